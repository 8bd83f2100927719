import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReaderRequest, safeExternalLink } from '../../src/shared/protocol';

test('well-formed reader requests pass; anything else is dropped', () => {
  assert.deepEqual(parseReaderRequest({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseReaderRequest({ type: 'action', key: 'm3', action: 'archive', extra: 'ignored' }), { type: 'action', key: 'm3', action: 'archive' });
  assert.deepEqual(parseReaderRequest({ type: 'saveAttachment', key: 'm3', part: '2.1', open: false }), { type: 'saveAttachment', key: 'm3', part: '2.1', open: false });
  assert.deepEqual(parseReaderRequest({ type: 'openRelated', key: 'm3', id: 't0' }), { type: 'openRelated', key: 'm3', id: 't0' });
  for (const bad of [
    null, 'ready', [], {}, { type: 'exec', command: 'rm -rf /' },
    { type: 'action', key: 'm3', action: 'expungeAll' },
    { type: 'action', key: '../../x y', action: 'archive' },
    { type: 'saveAttachment', key: 'm3', part: '../../etc/passwd', open: true },
    { type: 'saveAttachment', key: 'm3', part: '1', open: 'yes' },
    { type: 'loadRemote', key: 'm3' },
    { type: 'openRelated', key: 'm3', id: 'javascript:alert(1)' },
    { type: 'openLink', href: 42 },
    { type: 'openLink', href: 'x'.repeat(10_000) },
  ]) {
    assert.equal(parseReaderRequest(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
  }
});

test('links from mail open only as http, https or mailto', () => {
  assert.equal(safeExternalLink('https://example.com/a?b=c'), 'https://example.com/a?b=c');
  assert.equal(safeExternalLink('mailto:ann@example.com?subject=Hi'), 'mailto:ann@example.com?subject=Hi');
  for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'file:///etc/passwd', 'vscode://ms-vscode.x/run', 'command:workbench.action.terminal.new', 'data:text/html,<script>', 'http://', 'not a url', '//evil.test/x']) {
    assert.equal(safeExternalLink(bad), undefined, bad);
  }
});

test('mailto: links keep only to, cc, bcc, subject and body', () => {
  assert.equal(safeExternalLink('mailto:ann@example.com?attach=/etc/passwd&subject=Hi%20there&X-Mailer=evil&body=a+b%26c&Attachment=~/.ssh/id_rsa&CC=bob@example.com'),
    'mailto:ann@example.com?subject=Hi%20there&body=a%2Bb%26c&cc=bob%40example.com');
  assert.equal(safeExternalLink('mailto:?to=ann@example.com&attach=x'), 'mailto:?to=ann%40example.com');
  assert.equal(safeExternalLink('mailto:?attach=/etc/passwd'), undefined, 'nothing left to write to');
  assert.equal(safeExternalLink('mailto:ann@example.com?body=%E0%A4%A'), 'mailto:ann@example.com', 'a field that does not decode is dropped');
});
