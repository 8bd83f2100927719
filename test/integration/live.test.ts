import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { nextEvent } from '../../src/core/events';
import { LiveUpdates } from '../../src/core/sync/live';
import type { WatchState } from '../../src/core/sync/watcher';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { MemoryLogger, useServer } from './setup';

const ctx = useServer();
let proxy: ImapProxy;
const lives: LiveUpdates[] = [];

before(async () => {
  await ctx.ready;
  proxy = await startProxy(ctx.server);
});
after(async () => {
  for (const l of lives) l.dispose();
  await proxy?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mail = (subject: string) =>
  buildMessage({ from: 'Live <live@example.test>', to: 'alice@example.test', subject, text: subject });

function liveOf(account: ReturnType<typeof ctx.mailAccount>): LiveUpdates {
  const live = new LiveUpdates(account, new MemoryLogger());
  lives.push(live);
  return live;
}

function stateOf(live: LiveUpdates, path: string, status: WatchState['status']): Promise<unknown> {
  if (live.state(path)?.status === status) return Promise.resolve();
  return nextEvent(live.onDidChangeState, (e) => e.path === path && e.state.status === status, 15_000);
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !ok(); await sleep(20)) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  }
}

test('IDLE: new mail, flag changes and expunges by another client arrive as events', async () => {
  const account = ctx.mailAccount('alice', {}, { autoIdleDelayMs: 100 });
  const watcher = await account.watch('INBOX');
  const other = await ctx.otherClient();

  const added = nextEvent(watcher.onDidAddMessages);
  const appended = await other.append(
    'INBOX',
    buildMessage({
      from: 'Live <live@example.test>',
      to: 'alice@example.test',
      subject: 'Arrived while watching',
      text: 'hi',
    }),
  );
  const summaries = await added;
  assert.deepEqual(
    summaries.map((s) => [s.uid, s.subject]),
    [[appended && appended.uid, 'Arrived while watching']],
  );

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
  await other.append(
    'Projects/Other',
    buildMessage({ from: 'x@example.test', to: 'alice@example.test', subject: 'counted', text: 'x' }),
  );
  const counts = (await changed).get('Projects/Other')!;
  assert.equal(counts.messages, 1);
  assert.equal(counts.unseen, 1);
  poll.dispose();
});

test('live updates own one IDLE connection per folder whatever the interleaving of callers, and report each new mail once', async () => {
  const account = ctx.mailAccount('alice', { port: proxy.port });
  const live = liveOf(account);
  const before = proxy.openConnections;
  // Two listings in a row (activation, then a Refresh click), each asking for live updates when done,
  // while the first watcher is still logging in.
  live.watch(['INBOX']);
  await Promise.all([
    account.listMailboxes().then(() => live.watch(['INBOX'])),
    account.listMailboxes().then(() => live.watch(['INBOX'])),
  ]);
  live.watch(['INBOX', 'Projects']);
  live.watch(['INBOX', 'Projects/Other']); // the folder opened last replaces the one before
  live.watch(['INBOX', 'Projects/Other']);
  live.pollCounts(60_000);
  live.pollCounts(60_000);
  await Promise.all([stateOf(live, 'INBOX', 'live'), stateOf(live, 'Projects/Other', 'live')]);
  assert.deepEqual(live.paths.sort(), ['INBOX', 'Projects/Other']);
  // ops + INBOX + Projects/Other; the Projects watcher logged out.
  await until('the replaced watcher to log out', () => proxy.openConnections - before === 3);

  const added: string[] = [];
  live.onDidAddMessages(({ path, messages }) => added.push(...messages.map((m) => `${path}: ${m.subject}`)));
  const arrived = nextEvent(live.onDidAddMessages, (e) => e.messages.some((m) => m.subject === 'counted once'));
  await (await ctx.otherClient()).append('INBOX', mail('counted once'));
  await arrived;
  await sleep(500);
  assert.deepEqual(added, ['INBOX: counted once']);
  live.dispose();
  await until('every live connection to log out', () => proxy.openConnections - before === 1);
});

test(
  'a watcher stopped by a wrong password is started again once the account logs in again',
  { timeout: 60_000 },
  async () => {
    let password = ctx.server.users.bob.pass;
    const account = ctx.mailAccount('bob', { port: proxy.port }, { passwords: async () => password });
    const live = liveOf(account);
    await account.listMailboxes();
    await ctx.server.setPassword('bob', 'bob-new-pw');
    try {
      live.watch(['INBOX']);
      await stateOf(live, 'INBOX', 'failed');
      const failed = live.state('INBOX');
      assert.equal(failed?.status === 'failed' && failed.error.kind, 'auth');

      // The person types the new password; the command connection logs in again with it.
      password = 'bob-new-pw';
      proxy.cutAll();
      await account.listMailboxes();
      await stateOf(live, 'INBOX', 'live');
      const arrived = nextEvent(live.onDidAddMessages, (e) =>
        e.messages.some((m) => m.subject === 'after the new password'),
      );
      await (await ctx.otherClient('bob')).append('INBOX', mail('after the new password'));
      await arrived;
    } finally {
      await ctx.server.setPassword('bob', 'bobpw');
    }
  },
);

test(
  'a watcher that cannot reach the server keeps trying, says so, and catches up when it is back',
  { timeout: 60_000 },
  async () => {
    const account = ctx.mailAccount('alice', { port: proxy.port }, { backoff: { baseMs: 50, maxMs: 300 } });
    const live = liveOf(account);
    live.watch(['INBOX']);
    await stateOf(live, 'INBOX', 'live');
    proxy.setAccepting(false);
    try {
      proxy.cutAll();
      await stateOf(live, 'INBOX', 'reconnecting');
      await (await ctx.otherClient()).append('INBOX', mail('sent while away'));
      await sleep(1000); // several failed attempts: connection refused is not the end
      assert.equal(live.state('INBOX')?.status, 'reconnecting');
    } finally {
      proxy.setAccepting(true);
    }
    // Not in any IDLE stream: delivered when the watcher is back.
    const arrived = await nextEvent(live.onDidAddMessages, (e) =>
      e.messages.some((m) => m.subject === 'sent while away'),
    );
    assert.deepEqual(
      arrived.messages.map((m) => m.subject),
      ['sent while away'],
    );
    assert.equal(live.state('INBOX')?.status, 'live');
  },
);

test(
  'a folder the server refuses to open is tried again by itself, and its mail arrives once it opens',
  { timeout: 60_000 },
  async () => {
    // The watcher opens its folder read-only: only EXAMINE is refused, the rest of the session works.
    const refusing = await startProxy(ctx.server, { refuseCommands: ['EXAMINE'] });
    try {
      const account = ctx.mailAccount('alice', { port: refusing.port }, { backoff: { baseMs: 50, maxMs: 300 } });
      const live = liveOf(account);
      live.watch(['INBOX']);
      await stateOf(live, 'INBOX', 'failed');
      await until('a second try', () => refusing.refused.filter((c) => c === 'EXAMINE').length >= 2);
      assert.equal(live.state('INBOX')?.status, 'failed', 'still refused: still failed, with the reason');

      refusing.setRefused([]);
      await stateOf(live, 'INBOX', 'live');
      const arriving = nextEvent(live.onDidAddMessages, (e) =>
        e.messages.some((m) => m.subject === 'after the refusals'),
      );
      await (await ctx.otherClient()).append('INBOX', mail('after the refusals'));
      const arrived = await arriving;
      assert.deepEqual(
        arrived.messages.map((m) => m.subject),
        ['after the refusals'],
      );
    } finally {
      await refusing.close();
    }
  },
);
