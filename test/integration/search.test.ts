import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMessage } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();

test('server-side search by sender, recipient, subject, body, dates, unseen, flagged and combined', async () => {
  const other = await ctx.otherClient();
  await other.mailboxCreate('Search');
  const mail = [
    {
      from: 'Ann <ann@example.test>',
      to: 'team@example.test',
      subject: 'Quarterly report',
      text: 'numbers inside: zebra',
      date: '2026-03-01',
      flags: ['\\Seen'],
    },
    {
      from: 'Bob <bob@example.test>',
      to: 'alice@example.test',
      subject: 'Lunch?',
      text: 'pizza or sushi',
      date: '2026-03-05',
      flags: [],
    },
    {
      from: 'Ann <ann@example.test>',
      to: 'alice@example.test',
      subject: 'Re: Quarterly report',
      text: 'more zebra numbers',
      date: '2026-03-10',
      flags: ['\\Flagged'],
    },
  ];
  for (const m of mail) {
    await other.append(
      'Search',
      buildMessage({ ...m, date: new Date(`${m.date}T10:00:00Z`) }),
      m.flags,
      new Date(`${m.date}T10:00:00Z`),
    );
  }
  const account = ctx.mailAccount();
  const subjects = async (q: Parameters<typeof account.search>[1]) =>
    (await account.search('Search', q)).messages.map((m) => m.subject);
  assert.deepEqual(await subjects({ from: 'ann@example.test' }), ['Re: Quarterly report', 'Quarterly report']);
  assert.deepEqual(await subjects({ to: 'team@' }), ['Quarterly report']);
  assert.deepEqual(await subjects({ subject: 'lunch' }), ['Lunch?']);
  assert.deepEqual(await subjects({ body: 'zebra' }), ['Re: Quarterly report', 'Quarterly report']);
  assert.deepEqual(await subjects({ since: '2026-03-04', before: '2026-03-09' }), ['Lunch?']);
  assert.deepEqual(await subjects({ unseen: true }), ['Re: Quarterly report', 'Lunch?']);
  assert.deepEqual(await subjects({ flagged: true }), ['Re: Quarterly report']);
  assert.deepEqual(await subjects({ from: 'ann', body: 'zebra', unseen: true }), ['Re: Quarterly report']);
  assert.deepEqual(await subjects({ text: 'nothing-matches-this' }), []);
  const limited = await account.search('Search', { from: 'example.test' }, { limit: 1 });
  assert.equal(limited.uids.length, 3);
  assert.equal(limited.messages.length, 1);
  await assert.rejects(account.search('Search', {}), /Say what to search for/);
});
