import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextEvent } from '../../src/core/events';
import { buildMessage } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();

test('IDLE: new mail, flag changes and expunges by another client arrive as events', async () => {
  const account = ctx.mailAccount('alice', {}, { autoIdleDelayMs: 100 });
  const watcher = await account.watch('INBOX');
  const other = await ctx.otherClient();

  const added = nextEvent(watcher.onDidAddMessages);
  const appended = await other.append('INBOX', buildMessage({ from: 'Live <live@example.test>', to: 'alice@example.test', subject: 'Arrived while watching', text: 'hi' }));
  const summaries = await added;
  assert.deepEqual(summaries.map((s) => [s.uid, s.subject]), [[appended && appended.uid, 'Arrived while watching']]);

  await other.mailboxOpen('INBOX');
  const flagged = nextEvent(watcher.onDidChangeFlags, (e) => e.uid === summaries[0]!.uid);
  await other.messageFlagsAdd(String(summaries[0]!.uid), ['\\Flagged'], { uid: true });
  assert.ok((await flagged).flags.includes('\\Flagged'));

  const expunged = nextEvent(watcher.onDidExpunge);
  await other.messageDelete(String(summaries[0]!.uid), { uid: true });
  assert.deepEqual((await expunged).uids, [summaries[0]!.uid]);
  watcher.dispose();
});

test('counts of other folders are refreshed by polling', async () => {
  const account = ctx.mailAccount();
  const poll = account.pollCounts(200);
  await nextEvent(account.onDidChangeCounts); // the first round reports everything
  const changed = nextEvent(account.onDidChangeCounts, (m) => m.has('Projects/Other'));
  const other = await ctx.otherClient();
  await other.append('Projects/Other', buildMessage({ from: 'x@example.test', to: 'alice@example.test', subject: 'counted', text: 'x' }));
  const counts = (await changed).get('Projects/Other')!;
  assert.equal(counts.messages, 1);
  assert.equal(counts.unseen, 1);
  poll.dispose();
});
