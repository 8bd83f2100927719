import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { angleItems, MAX_URIS, parseListHeaders } from '../../src/core/lists/list-headers';

/** The header lines mailparser gives the reader, from a raw header block. */
async function lines(...headers: string[]) {
  const parsed = await simpleParser(Buffer.from([...headers, 'Subject: x', '', 'body', ''].join('\r\n')));
  return parsed.headerLines;
}

test('a list with one-click unsubscribe, a mailto, a posting address and an archive', async () => {
  const list = parseListHeaders(
    await lines(
      'List-Id: "Mailroom Developers" <dev.mailroom.example>',
      'List-Unsubscribe: <mailto:leave@lists.example?subject=unsubscribe%20me>,',
      ' <https://lists.example/u/abc?x=1>',
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'List-Post: <mailto:dev@lists.example>',
      'List-Archive: <https://lists.example/archive/dev/>',
    ),
  );
  assert.deepEqual(list, {
    id: 'dev.mailroom.example',
    name: 'Mailroom Developers',
    unsubscribe: {
      oneClick: 'https://lists.example/u/abc?x=1',
      web: 'https://lists.example/u/abc?x=1',
      mailto: { to: 'leave@lists.example', subject: 'unsubscribe me' },
    },
    post: { to: 'dev@lists.example' },
    archive: 'https://lists.example/archive/dev/',
  });
});

test('without List-Unsubscribe-Post the https URI is a web page to open, never a one-click POST', async () => {
  const list = parseListHeaders(await lines('List-Unsubscribe: <https://lists.example/u/abc>'));
  assert.equal(list?.unsubscribe.oneClick, undefined);
  assert.equal(list?.unsubscribe.web, 'https://lists.example/u/abc');
  const other = parseListHeaders(
    await lines('List-Unsubscribe: <https://lists.example/u/abc>', 'List-Unsubscribe-Post: List-Unsubscribe=Yes'),
  );
  assert.equal(other?.unsubscribe.oneClick, undefined, 'only the exact RFC 8058 value announces one-click');
});

test('one-click is never plain http: an http URI is only a web page', async () => {
  const list = parseListHeaders(
    await lines('List-Unsubscribe: <http://lists.example/u/abc>', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click'),
  );
  assert.equal(list?.unsubscribe.oneClick, undefined);
  assert.equal(list?.unsubscribe.web, 'http://lists.example/u/abc');
});

test('javascript:, data:, file: and credentials-in-URL URIs are dropped; the next good one is used', async () => {
  const list = parseListHeaders(
    await lines(
      'List-Unsubscribe: <javascript:alert(1)>, <data:text/html,<b>x</b>>, <file:///etc/passwd>,',
      ' <https://user:pw@evil.example/>, <https://lists.example/ok>',
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'List-Archive: <javascript:alert(2)>',
    ),
  );
  assert.equal(list?.unsubscribe.oneClick, 'https://lists.example/ok');
  assert.equal(list?.archive, undefined);
});

test('comments are skipped, also nested and with brackets inside; a URI folded across lines is joined', async () => {
  const list = parseListHeaders(
    await lines(
      'List-Unsubscribe: (Use this one (really) <https://evil.example/>) <https://lists.example/',
      ' u/abc>',
      'List-Post: NO (posting is not allowed on this list)',
    ),
  );
  assert.equal(list?.unsubscribe.web, 'https://lists.example/u/abc');
  assert.equal(list?.post, false);
});

test('a mailto keeps one address, its subject and body, and drops other fields and several recipients', async () => {
  const list = parseListHeaders(
    await lines(
      'List-Unsubscribe: <mailto:a@x.example,b@y.example>, <mailto:robot@lists.example?subject=unsub%0d%0aBcc:%20x@evil.example&body=go&attach=/etc/passwd&cc=x@evil.example>',
      'List-Post: <mailto:dev@lists.example?subject=Hello>',
    ),
  );
  assert.deepEqual(list?.unsubscribe.mailto, {
    to: 'robot@lists.example',
    subject: 'unsub Bcc: x@evil.example',
    body: 'go',
  });
  assert.deepEqual(list?.post, { to: 'dev@lists.example', subject: 'Hello' });
});

test('a message without list headers has no list', async () => {
  assert.equal(parseListHeaders(await lines('From: ann@example.test')), undefined);
  assert.equal(parseListHeaders(undefined), undefined);
});

test('a huge header is cut before it is read and keeps at most a few URIs', () => {
  const many = Array.from({ length: 200_000 }, (_, i) => `<https://lists.example/${i}>`).join(', ');
  const list = parseListHeaders([
    { key: 'list-unsubscribe', line: `List-Unsubscribe: ${many}` },
    { key: 'list-archive', line: `List-Archive: ${'('.repeat(500_000)}<https://lists.example/a>` },
    { key: 'list-post', line: `List-Post: <${'a'.repeat(1_000_000)}@x.example>` },
  ]);
  assert.equal(list?.unsubscribe.web, 'https://lists.example/0');
  assert.equal(list?.archive, undefined, 'an unclosed comment hides what follows it');
  assert.equal(list?.post, undefined, 'a URI longer than any real one is dropped');
  assert.equal(angleItems(many).length, MAX_URIS);
});
