// The account store with live updates (IDLE) against a private Dovecot reached through the fault
// proxy: changes from other clients, an operation racing them, and a server restart. The proxy's
// command log says what was fetched; an independent client says what the server holds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { nextEvent } from '../../src/core/events';
import type { MessageRef } from '../../src/core/mailbox/messages';
import type { AccountStore } from '../../src/core/sync/store';
import { Flag } from '../../src/shared/flags';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { serverView, useServer } from './setup';
import { pageFetches, summaryFetches } from '../harness/command-log';
import { messageEvents, seed, sleep, storeFor, uidsOf, until } from './store-setup';

const ctx = useServer();
let proxy: ImapProxy;

before(async () => {
  await ctx.ready;
  proxy = await startProxy(ctx.server);
});
after(async () => {
  await proxy?.close();
});

const serverFlags = async (path: string, uid: number) =>
  (await serverView(await ctx.otherClient(), path)).get(uid)?.flags;

async function liveOn(store: AccountStore, path: string): Promise<void> {
  if (store.liveState(path)?.status === 'live') return;
  await nextEvent(store.onDidChange, (e) => e.kind === 'live' && e.path === path && e.state.status === 'live', 15_000);
}

async function openLive(store: AccountStore, path: string) {
  await store.loadFolders();
  const snap = await store.open(path);
  await liveOn(store, path);
  return snap;
}

test('changes by another client arrive live and name exactly the messages they concern', async () => {
  const uids = await seed(ctx, 'Watched', ['w1', 'w2']);
  const { store, events } = storeFor(ctx, 'alice', { config: { port: proxy.port } });
  const snap = await openLive(store, 'Watched');
  const uv = snap.uidValidity!;
  const other = await ctx.otherClient();
  await other.mailboxOpen('Watched');
  events.length = 0;

  await other.messageFlagsAdd(String(uids[0]), [Flag.Flagged], { uid: true });
  await until('the flag', () => messageEvents(events, 'Watched').length > 0);
  assert.deepEqual(messageEvents(events, 'Watched')[0]!.changed, [
    { mailbox: 'Watched', uidValidity: uv, uid: uids[0] },
  ]);

  const [fresh] = await seed(ctx, 'Watched', ['w3']);
  await until('the new mail', () => messageEvents(events, 'Watched').some((e) => e.added.length > 0));
  assert.deepEqual(
    messageEvents(events, 'Watched')
      .flatMap((e) => e.added)
      .map((r) => r.uid),
    [fresh],
  );
  assert.ok(events.some((e) => e.kind === 'newMail' && e.path === 'Watched' && e.messages[0]?.subject === 'w3'));

  await other.messageDelete(String(uids[1]), { uid: true });
  await until('the expunge', () => messageEvents(events, 'Watched').some((e) => e.removed.length > 0));
  assert.deepEqual(
    messageEvents(events, 'Watched').flatMap((e) => e.removed),
    [{ mailbox: 'Watched', uidValidity: uv, uid: uids[1] }],
  );
  assert.deepEqual(
    store.folderState('Watched')!.messages.map((m) => m.subject),
    ['w3', 'w1'],
  );
});

test("mail that arrives between a folder's listing and its live connection's SELECT is delivered, once", async () => {
  await seed(ctx, 'Gap', ['listed']);
  const { store } = storeFor(ctx, 'alice', { config: { port: proxy.port } });
  await store.loadFolders();
  proxy.setConnectDelay(1500); // the watcher's new connection logs in slowly; the command connection is up already
  try {
    const from = proxy.commands.length;
    await store.open('Gap');
    const [late] = await seed(ctx, 'Gap', ['in the gap']);
    await liveOn(store, 'Gap');
    await until('the mail from the gap', () =>
      store.folderState('Gap')!.messages.some((m) => m.subject === 'in the gap'),
    );
    await sleep(500);
    assert.deepEqual(
      store.folderState('Gap')!.messages.map((m) => m.subject),
      ['in the gap', 'listed'],
    );
    assert.equal(summaryFetches(proxy, 'Gap', late!, from), 1);
  } finally {
    proxy.setConnectDelay(0);
  }
});

test("a message shown outside the loaded pages (a search result, the reader's) hears its changes too", async () => {
  const [uid] = await seed(ctx, 'Tracked', ['tracked']);
  const { store, events } = storeFor(ctx, 'alice', { settings: { pageSize: 10 } });
  const snap = await openLive(store, 'Tracked');
  const ref: MessageRef = { mailbox: 'Tracked', uidValidity: snap.uidValidity!, uid: uid! };
  await seed(
    ctx,
    'Tracked',
    Array.from({ length: 12 }, (_, i) => `newer ${i}`),
  ); // pushes it out of the first page
  await store.reload('Tracked');
  assert.equal(store.message(ref), undefined, 'not in the loaded page any more');
  store.track([{ ...ref, flags: [] }]);
  events.length = 0;
  const other = await ctx.otherClient();
  await other.mailboxOpen('Tracked');
  await other.messageFlagsAdd(String(uid), [Flag.Seen], { uid: true });
  await until('the flag of the tracked message', () => store.flags(ref)?.includes(Flag.Seen) === true);
  assert.ok(messageEvents(events, 'Tracked').some((e) => e.changed.some((r) => r.uid === uid)));
  await other.messageDelete(String(uid), { uid: true });
  await until('its removal', () => messageEvents(events, 'Tracked').some((e) => e.removed.some((r) => r.uid === uid)));
  assert.equal(store.flags(ref), undefined);
});

test("a flag change the server reports inside the live connection's own FETCH is not lost", async () => {
  const [old] = await seed(ctx, 'Stray', ['old']);
  const { store } = storeFor(ctx, 'alice', { config: { port: proxy.port } });
  const snap = await openLive(store, 'Stray');
  await sleep(300); // the look at the folder after it went live is done
  const ref: MessageRef = { mailbox: 'Stray', uidValidity: snap.uidValidity!, uid: old! };
  // New mail makes the watcher leave IDLE and FETCH; before that FETCH reaches the server, another
  // client flags the old message, so the server reports the flag inside the FETCH's own response.
  const other = await ctx.otherClient();
  await other.mailboxOpen('Stray');
  const from = proxy.commands.length;
  proxy.delayCommandsTo('UID FETCH', 1000);
  await seed(ctx, 'Stray', ['new']);
  await until("the watcher's FETCH on its way", () =>
    proxy.commands.slice(from).some((c) => c.command.startsWith('UID FETCH')),
  );
  await other.messageFlagsAdd(String(old), [Flag.Flagged], { uid: true });
  await until('the new mail', () => store.folderState('Stray')!.messages.some((m) => m.subject === 'new'));
  await until('the flag', () => store.flags(ref)?.includes(Flag.Flagged) === true);
  assert.deepEqual(
    store.folderState('Stray')!.messages.map((m) => m.subject),
    ['new', 'old'],
    'the report is not taken for a message',
  );
});

test('the folder opened last is the live one; a look at another loaded folder in the background leaves it so', async () => {
  await seed(ctx, 'First', ['first']);
  await seed(ctx, 'Second', ['second']);
  const { store } = storeFor(ctx);
  await openLive(store, 'First');
  await openLive(store, 'Second');
  assert.equal(store.liveState('First'), undefined, 'First is not watched any more');
  await store.refresh('First'); // as Refresh, an undo or a move into it would
  await sleep(300);
  assert.equal(store.liveState('Second')?.status, 'live');
  assert.equal(store.liveState('First'), undefined);
});

test('a loaded folder opened again after another one is live again and catches up on what happened meanwhile', async () => {
  const [kept, gone] = await seed(ctx, 'Again', ['kept', 'gone']);
  await seed(ctx, 'Meanwhile', ['meanwhile']);
  const { store } = storeFor(ctx);
  await openLive(store, 'Again');
  await openLive(store, 'Meanwhile');
  assert.equal(store.liveState('Again'), undefined, 'Again is not watched any more');

  const other = await ctx.otherClient();
  await other.mailboxOpen('Again');
  await other.messageFlagsAdd(String(kept), [Flag.Flagged], { uid: true });
  await other.messageDelete(String(gone), { uid: true });
  const [arrived] = await seed(ctx, 'Again', ['arrived']);
  await sleep(300);
  assert.deepEqual(
    store.folderState('Again')!.messages.map((m) => m.subject),
    ['gone', 'kept'],
    'nothing of it is known while the folder is not watched',
  );

  store.reopened('Again');
  await liveOn(store, 'Again');
  await until('the arrival, the expunge and the flag', () => {
    const messages = store.folderState('Again')!.messages;
    return (
      messages.map((m) => m.uid).join() === [arrived, kept].join() &&
      !!messages.find((m) => m.uid === kept)?.flags.includes(Flag.Flagged)
    );
  });
  assert.equal(store.liveState('Meanwhile'), undefined, 'the live connection moved to the folder opened again');
});

test('an operation racing a live update ends where the server is: what another client did after it is not overwritten', async () => {
  const [uid] = await seed(ctx, 'Race', ['race']);
  const { store } = storeFor(ctx, 'alice', { config: { port: proxy.port } });
  const snap = await openLive(store, 'Race');
  const ref: MessageRef = { mailbox: 'Race', uidValidity: snap.uidValidity!, uid: uid! };
  const other = await ctx.otherClient();
  await other.mailboxOpen('Race');

  // The command connection hears its STORE's reply only late (a slow link) ...
  proxy.delayRepliesTo('UID STORE', 2000);
  const applying = store.apply({ kind: 'setFlags', refs: [ref], add: [Flag.Seen] });
  // ... while the server has done it, another client undoes it, and the live connection reports
  // that (long before the reply arrives).
  await until('\\Seen on the server', async () => (await serverFlags('Race', uid!))?.has(Flag.Seen) === true);
  await other.messageFlagsRemove(String(uid), [Flag.Seen], { uid: true });
  await applying;
  await sleep(300);
  assert.equal((await serverFlags('Race', uid!))?.has(Flag.Seen), false, 'the other client had the last word');
  assert.deepEqual(store.flags(ref), [], 'and the store agrees with the server');
});

test(
  'a server restart: live updates say they are reconnecting, come back by themselves, and fetch the mail that arrived once',
  { timeout: 90_000 },
  async () => {
    const uids = await seed(ctx, 'INBOX', ['before the restart']);
    // A proxy of its own: its command log holds only this store's connections.
    const mine = await startProxy(ctx.server);
    after(() => mine.close());
    const { store, events } = storeFor(ctx, 'alice', { config: { port: mine.port } });
    const inbox = await openLive(store, 'INBOX');
    events.length = 0;

    await ctx.server.stop();
    await until('the live state to say reconnecting', () =>
      events.some((e) => e.kind === 'live' && e.path === 'INBOX' && e.state.status === 'reconnecting'),
    );
    assert.equal(store.liveState('INBOX')?.status, 'reconnecting');
    await ctx.server.start();
    // Mail and a flag change before the watcher is back: only a resync or the catch-up can tell.
    const from = mine.commands.length;
    const direct = await ctx.otherClient();
    const appended = await direct.append(
      'INBOX',
      buildMessage({ from: 'r@example.test', to: 'alice@example.test', subject: 'during the restart', text: 'x' }),
    );
    assert.ok(appended && appended.uid);
    await direct.mailboxOpen('INBOX');
    await direct.messageFlagsAdd(String(uids[0]), [Flag.Flagged], { uid: true });

    await liveOn(store, 'INBOX');
    await until(
      'the new mail',
      () => store.folderState('INBOX')!.messages.some((m) => m.subject === 'during the restart'),
      30_000,
    );
    await until(
      'the flag changed meanwhile',
      () =>
        store.flags({ mailbox: 'INBOX', uidValidity: inbox.uidValidity!, uid: uids[0]! })?.includes(Flag.Flagged) ===
        true,
      30_000,
    );
    await sleep(1000);
    assert.equal(store.folderState('INBOX')!.messages.filter((m) => m.subject === 'during the restart').length, 1);
    assert.equal(summaryFetches(mine, 'INBOX', appended.uid, from), 1, 'its summary was fetched once');
    assert.equal(pageFetches(mine, 'INBOX', from), 0, 'no page was read again');
    const added = messageEvents(events, 'INBOX').flatMap((e) => e.added);
    assert.deepEqual(uidsOf(added), [appended.uid], 'announced once');
  },
);
