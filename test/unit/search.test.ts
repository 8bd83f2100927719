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
