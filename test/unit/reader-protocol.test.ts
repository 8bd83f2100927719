import assert from 'node:assert/strict';
import { test } from 'node:test';
import { READER_PROTOCOL, safeExternalLink } from '../../src/shared/reader-protocol';
import { parsePageMessage } from '../../src/shared/webview-protocol';

const parse = (raw: unknown) => parsePageMessage(READER_PROTOCOL, raw);

test("well-formed messages from the reader pass the envelope and the reader's parsers; anything else is dropped", () => {
  assert.deepEqual(parse({ type: 'ready' }), { kind: 'ready' });
  assert.deepEqual(parse({ type: 'action', key: 'm3', action: 'archive', requestId: 7, extra: 'ignored' }), {
    kind: 'request',
    requestId: 7,
    request: { type: 'action', key: 'm3', action: 'archive' },
  });
  assert.deepEqual(parse({ type: 'saveAttachment', key: 'm3', part: '2.1', open: false }), {
    kind: 'command',
    command: { type: 'saveAttachment', key: 'm3', part: '2.1', open: false },
  });
  assert.deepEqual(parse({ type: 'openRelated', key: 'm3', id: 't0' }), {
    kind: 'command',
    command: { type: 'openRelated', key: 'm3', id: 't0' },
  });
  assert.deepEqual(parse({ type: 'close', key: 'm3' }), { kind: 'command', command: { type: 'close', key: 'm3' } });
  for (const bad of [
    null,
    'ready',
    [],
    {},
    { type: 'exec', command: 'rm -rf /' },
    { type: 'action', key: 'm3', action: 'expungeAll', requestId: 1 },
    { type: 'action', key: '../../x y', action: 'archive', requestId: 1 },
    { type: 'action', key: 'm3', action: 'archive' }, // a request without its id
    { type: 'action', key: 'm3', action: 'archive', requestId: 0 },
    { type: 'action', key: 'm3', action: 'archive', requestId: 1.5 },
    { type: 'action', key: 'm3', action: 'archive', requestId: '1' },
    { type: 'openLink', href: 'https://example.com', requestId: 1 }, // a command is not a request
    { type: 'saveAttachment', key: 'm3', part: '../../etc/passwd', open: true },
    { type: 'saveAttachment', key: 'm3', part: '1', open: 'yes' },
    { type: 'loadRemote', key: 'm3' },
    { type: 'openRelated', key: 'm3', id: 'javascript:alert(1)' },
    { type: 'openLink', href: 42 },
    { type: 'openLink', href: 'x'.repeat(10_000) },
  ]) {
    assert.equal(parse(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
  }
});

test("the reader's list, source, headers, keywords and retry commands are parsed; other list actions are dropped", () => {
  assert.deepEqual(parse({ type: 'list', key: 'm3', action: 'unsubscribe' }), {
    kind: 'command',
    command: { type: 'list', key: 'm3', action: 'unsubscribe' },
  });
  for (const type of ['viewSource', 'showHeaders', 'editKeywords', 'retry'])
    assert.deepEqual(parse({ type, key: 'm3', extra: 1 }), { kind: 'command', command: { type, key: 'm3' } });
  assert.deepEqual(parse({ type: 'redecode', key: 'm3', part: '1.2', charset: 'windows-1252' }), {
    kind: 'command',
    command: { type: 'redecode', key: 'm3', part: '1.2', charset: 'windows-1252' },
  });
  assert.equal(parse({ type: 'redecode', key: 'm3', part: '1', charset: 'utf-7; rm -rf' }), undefined);
  assert.equal(parse({ type: 'redecode', key: 'm3', part: 'TEXT', charset: 'utf-8' }), undefined);
  for (const bad of [
    { type: 'list', key: 'm3', action: 'subscribe' },
    { type: 'list', key: 'm3', action: 'unsubscribe', url: 'https://evil.example/' },
    { type: 'list', key: 'm3' },
    { type: 'viewSource' },
    { type: 'retry', key: '../x y' },
  ]) {
    const parsed = parse(bad);
    assert.ok(parsed === undefined || (parsed.kind === 'command' && !('url' in parsed.command)), JSON.stringify(bad));
    if (bad.action !== 'unsubscribe') assert.equal(parsed, undefined, JSON.stringify(bad));
  }
});

test('the state a page saved is checked before a restored panel uses it', () => {
  const ref = { mailbox: 'INBOX', uidValidity: '1700000000', uid: 42 };
  assert.deepEqual(parse({ type: 'ready', state: { account: 'Work', ref, scrollY: 120 } }), {
    kind: 'ready',
    state: { account: 'Work', ref, scrollY: 120 },
  });
  for (const state of [
    'Work',
    { account: 'Work' },
    { account: 7, ref },
    { account: 'Work', ref: { ...ref, uid: -1 } },
    { account: 'Work', ref: { ...ref, uidValidity: '1; DROP' } },
    { account: 'Work', ref: { ...ref, mailbox: 'x'.repeat(5000) } },
  ]) {
    assert.deepEqual(parse({ type: 'ready', state }), { kind: 'ready' }, JSON.stringify(state).slice(0, 80));
  }
  assert.equal(READER_PROTOCOL.parseState({ account: 'Work', ref, scrollY: -5 })?.scrollY, undefined);
});

test('links from mail open only as http, https or mailto', () => {
  assert.equal(safeExternalLink('https://example.com/a?b=c'), 'https://example.com/a?b=c');
  assert.equal(safeExternalLink('mailto:ann@example.com?subject=Hi'), 'mailto:ann@example.com?subject=Hi');
  for (const bad of [
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'file:///etc/passwd',
    'vscode://ms-vscode.x/run',
    'command:workbench.action.terminal.new',
    'data:text/html,<script>',
    'http://',
    'not a url',
    '//evil.test/x',
  ]) {
    assert.equal(safeExternalLink(bad), undefined, bad);
  }
});

test('mailto: links keep only to, cc, bcc, subject and body', () => {
  assert.equal(
    safeExternalLink(
      'mailto:ann@example.com?attach=/etc/passwd&subject=Hi%20there&X-Mailer=evil&body=a+b%26c&Attachment=~/.ssh/id_rsa&CC=bob@example.com',
    ),
    'mailto:ann@example.com?subject=Hi%20there&body=a%2Bb%26c&cc=bob%40example.com',
  );
  assert.equal(safeExternalLink('mailto:?to=ann@example.com&attach=x'), 'mailto:?to=ann%40example.com');
  assert.equal(safeExternalLink('mailto:?attach=/etc/passwd'), undefined, 'nothing left to write to');
  assert.equal(
    safeExternalLink('mailto:ann@example.com?body=%E0%A4%A'),
    'mailto:ann@example.com',
    'a field that does not decode is dropped',
  );
});
