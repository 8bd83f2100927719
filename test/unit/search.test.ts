import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailError } from '../../src/core/errors';
import { parseSearchText, toSearchObject } from '../../src/core/mailbox/search';

test('search text with fields, quotes and flags', () => {
  assert.deepEqual(
    parseSearchText('from:ann subject:"quarterly report" is:unread is:flagged since:2026-01-02 budget 2026'),
    {
      from: 'ann',
      subject: 'quarterly report',
      unseen: true,
      flagged: true,
      since: '2026-01-02',
      text: 'budget 2026',
    },
  );
});

test('query becomes an IMAP SEARCH object; empty and invalid queries are refused', () => {
  const s = toSearchObject({
    from: 'a',
    unseen: true,
    flagged: true,
    since: '2026-01-01',
    before: new Date('2026-02-01'),
  });
  assert.equal(s.from, 'a');
  assert.equal(s.seen, false);
  assert.equal(s.flagged, true);
  assert.ok(s.since instanceof Date);
  assert.throws(
    () => toSearchObject({}),
    (e) => e instanceof MailError && e.kind === 'config',
  );
  assert.throws(() => toSearchObject({ since: 'yesterday-ish' }), /not a date/);
});

test('tag:, keyword: and is:junk search by IMAP keyword; a keyword with IMAP specials is refused; "all" lists everything', () => {
  assert.deepEqual(parseSearchText('tag:work report'), { keyword: 'work', text: 'report' });
  assert.deepEqual(parseSearchText('keyword:$NotJunk'), { keyword: '$NotJunk' });
  assert.deepEqual(parseSearchText('is:junk'), { keyword: '$Junk' });
  assert.equal(toSearchObject({ keyword: 'work' }).keyword, 'work');
  assert.throws(() => toSearchObject({ keyword: 'a b' }), /not an IMAP keyword/);
  assert.throws(() => toSearchObject({ keyword: '\\Seen' }), /not an IMAP keyword/);
  assert.deepEqual(toSearchObject({ all: true }), { all: true });
  assert.equal(toSearchObject({ all: true, unseen: true }).seen, false);
});
