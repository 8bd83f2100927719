import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailError } from '../../src/core/errors';
import {
  findMessageLinks,
  formatMessageLink,
  imapUrl,
  messageIdProblem,
  midUrl,
  parseImapUrl,
  parseMessageLink,
  parseMidUrl,
  searchOrder,
} from '../../src/core/links/links';
import type { MailboxInfo } from '../../src/core/mailbox/mailboxes';

test('RFC 2392 mid: URLs — the RFC examples and percent-encoding round trip', () => {
  // RFC 2392 §2: mid:960830.1639@XIson.com and mid:foo4%25foo1@bar.net
  assert.equal(parseMidUrl('mid:960830.1639@XIson.com'), '960830.1639@XIson.com');
  assert.equal(parseMidUrl('mid:foo4%25foo1@bar.net'), 'foo4%foo1@bar.net');
  assert.equal(parseMidUrl('mid:960830.1639@XIson.com/partA.960830.1639@XIson.com'), '960830.1639@XIson.com');
  assert.equal(midUrl('<foo4%foo1@bar.net>'), 'mid:foo4%25foo1@bar.net');
  for (const id of ['a b/c?d#e@ex.test', 'ünï@ex.test', "x'y(z)*@ex.test", 'CAF=+_r@mail.gmail.com']) {
    const url = midUrl(id);
    assert.ok(!/[\s<>/?#]/.test(url.slice(4)), url);
    assert.equal(parseMidUrl(url), id);
  }
});

test('RFC 5092 IMAP URLs — the RFC example, non-ASCII folders, ports and users', () => {
  const p = parseImapUrl('imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20');
  assert.deepEqual(p, { host: 'minbari.example.org', mailbox: 'gray-council', uidValidity: '385759045', uid: 20 });
  const parts = {
    user: 'joe@example.test',
    host: 'imap.example.test',
    port: 993,
    mailbox: 'Projekte/Grüße & Co',
    uidValidity: '17',
    uid: 4,
  };
  const url = imapUrl(parts);
  assert.equal(
    url,
    'imap://joe%40example.test@imap.example.test:993/Projekte/Gr%C3%BC%C3%9Fe%20%26%20Co;UIDVALIDITY=17/;UID=4',
  );
  assert.deepEqual(parseImapUrl(url), parts);
});

test('message links: one URL that round-trips and is found in Markdown and plain text', () => {
  const link = {
    account: 'Work mail',
    messageId: '<a+b@ex.test>',
    hint: { user: 'me', host: 'h.test', mailbox: 'INBOX', uidValidity: '9', uid: 12 },
  };
  const url = formatMessageLink(link);
  assert.match(url, /^vscode:\/\/mailroom\.mailroom\/message\?account=Work\+mail&mid=mid%3Aa%252Bb%40ex\.test&imap=/);
  assert.ok(!/[\s()<>]/.test(url), 'safe inside Markdown link syntax');
  assert.deepEqual(parseMessageLink(url), { ...link, messageId: 'a+b@ex.test' });
  const text = `- [ ] Reply [Hi — Ann](${url}) and also ${url}.\n// see ${url}`;
  const found = findMessageLinks(text);
  assert.equal(found.length, 3);
  for (const f of found) {
    assert.equal(f.url, url);
    assert.equal(text.slice(f.start, f.end), url);
  }
});

test('malformed links are refused with a clear reason', () => {
  const fails = (text: string, why: RegExp) =>
    assert.throws(
      () => parseMessageLink(text),
      (e: unknown) => e instanceof MailError && e.kind === 'malformed' && why.test(e.message),
    );
  fails('not a url', /is not a URL/);
  fails('https://example.com/message?account=a&mid=mid:x@y', /must start with vscode:\/\/mailroom\.mailroom\/message/);
  fails('vscode://mailroom.mailroom/message?mid=mid:x@y', /account is missing/);
  fails('vscode://mailroom.mailroom/message?account=a', /mid\) is missing/);
  fails('vscode://mailroom.mailroom/message?account=a&mid=x@y', /not an RFC 2392 mid: URL/);
  fails('vscode://mailroom.mailroom/message?account=a&mid=mid:%E0%A4%A@y', /broken percent-encoding/);
  fails('vscode://mailroom.mailroom/message?account=a&mid=mid:x@y&imap=imap://h/INBOX', /RFC 5092/);
  fails('mid:x@y', /does not say which account/);
});

test('a mid: that cannot name one message ("@", an empty or blank side, control characters) is refused, and no link to one is made', () => {
  const refused = (mid: string, why: RegExp) =>
    assert.throws(
      () => parseMessageLink(`vscode://mailroom.mailroom/message?account=a&mid=${encodeURIComponent(mid)}`),
      (e: unknown) =>
        e instanceof MailError &&
        e.kind === 'malformed' &&
        /is not a Message-ID that names one message/.test(e.message) &&
        why.test(e.message) &&
        /does not search/.test(e.message),
    );
  refused('mid:@', /letters or digits on both sides/);
  refused('mid:%40', /letters or digits on both sides/);
  refused('mid:abc@', /letters or digits on both sides/);
  refused('mid:@example.com', /letters or digits on both sides/);
  refused('mid:.@.', /letters or digits on both sides/);
  refused('mid:abc', /no "@"/);
  refused('mid:%20@%20', /letters or digits on both sides/);
  refused('mid:x%0A@y', /control characters/);
  refused('mid:%3Cx@y%3E', /angle brackets/);
  refused(`mid:${'a'.repeat(1000)}@y`, /longer than a header line/);
  assert.equal(messageIdProblem('CAF=+_r@mail.gmail.com'), undefined);
  assert.equal(messageIdProblem('ünï@ex.test'), undefined);
  assert.equal(messageIdProblem('a@b'), undefined);
  assert.throws(
    () => midUrl('<@>'),
    (e: unknown) => e instanceof MailError && /is not a Message-ID that names one message/.test(e.message),
  );
  assert.throws(() => formatMessageLink({ account: 'a', messageId: 'no-at-sign' }), /no "@"/);
});

test('folders are searched where mail usually is first', () => {
  const f = (path: string, specialUse?: MailboxInfo['specialUse'], selectable = true): MailboxInfo => ({
    path,
    name: path,
    delimiter: '/',
    parentPath: '',
    subscribed: true,
    selectable,
    ...(specialUse ? { specialUse } : {}),
  });
  assert.deepEqual(
    searchOrder([
      f('Trash', 'trash'),
      f('Zoo'),
      f('Archive', 'archive'),
      f('[Gmail]', undefined, false),
      f('INBOX', 'inbox'),
      f('Junk', 'junk'),
      f('All Mail', 'all'),
    ]),
    ['INBOX', 'Archive', 'All Mail', 'Zoo', 'Junk', 'Trash'],
  );
});
