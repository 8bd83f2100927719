// Flag changes and moves show at once and the server has the last word: what the store announces
// before the server answered, and what it takes back when the server refuses.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { Flag } from '../../src/shared/flags';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { serverView, useServer } from './setup';
import { messageEvents, seed, storeFor, until } from './store-setup';

const ctx = useServer();
let slow: ImapProxy;
let refusing: ImapProxy;

before(async () => {
  await ctx.ready;
  slow = await startProxy(ctx.server);
  refusing = await startProxy(ctx.server, { refuseCommands: ['UID STORE', 'UID MOVE', 'UID COPY'] });
});
after(async () => {
  await slow?.close();
  await refusing?.close();
});

const serverFlags = async (path: string, uid: number) =>
  (await serverView(await ctx.otherClient(), path)).get(uid)?.flags;

test('a flag change is shown before the server answers, and stays once it has', async () => {
  const [uid] = await seed(ctx, 'Quick', ['quick']);
  const { store, events } = storeFor(ctx, 'alice', { config: { port: slow.port } });
  await store.loadFolders();
  const snap = await store.open('Quick');
  const ref: MessageRef = { mailbox: 'Quick', uidValidity: snap.uidValidity!, uid: uid! };
  events.length = 0;

  slow.delayRepliesTo('UID STORE', 1500);
  const applying = store.apply({ kind: 'setFlags', refs: [ref], add: [Flag.Flagged] });
  assert.deepEqual(store.flags(ref), [Flag.Flagged], 'shown at once');
  assert.deepEqual(
    messageEvents(events, 'Quick').map((e) => e.origin),
    ['operation'],
  );
  await applying;
  assert.ok((await serverFlags('Quick', uid!))?.has(Flag.Flagged));
  assert.deepEqual(store.flags(ref), [Flag.Flagged]);
  assert.equal(messageEvents(events, 'Quick').length, 1, 'announced once');
});

test('a flag change the server refuses is taken back, and only that change', async () => {
  const [uid] = await seed(ctx, 'Refused', ['refused']);
  const other = await ctx.otherClient();
  await other.mailboxOpen('Refused');
  await other.messageFlagsAdd(String(uid), [Flag.Seen], { uid: true });
  const { store, events } = storeFor(ctx, 'alice', { config: { port: refusing.port } });
  await store.loadFolders();
  const snap = await store.open('Refused');
  const ref: MessageRef = { mailbox: 'Refused', uidValidity: snap.uidValidity!, uid: uid! };
  assert.deepEqual(store.flags(ref), [Flag.Seen]);
  events.length = 0;

  // Adding \Flagged (absent) and \Seen (present): taking it back removes \Flagged only.
  await assert.rejects(store.apply({ kind: 'setFlags', refs: [ref], add: [Flag.Flagged, Flag.Seen] }));
  assert.deepEqual(store.flags(ref), [Flag.Seen], 'back to what the server has');
  assert.deepEqual(
    messageEvents(events, 'Refused').map((e) => e.origin),
    ['operation', 'revert'],
  );
  assert.deepEqual([...((await serverFlags('Refused', uid!)) ?? [])], [Flag.Seen]);
});

test('an archived message leaves the list before the server answers; a refused move puts it back in its place', async () => {
  const uids = await seed(ctx, 'Leaving', ['first', 'second', 'third']);
  {
    const { store, events } = storeFor(ctx, 'alice', { config: { port: slow.port } });
    await store.loadFolders();
    const snap = await store.open('Leaving');
    const ref: MessageRef = { mailbox: 'Leaving', uidValidity: snap.uidValidity!, uid: uids[1]! };
    events.length = 0;
    slow.delayRepliesTo('UID MOVE', 1500);
    let answered = false;
    const archiving = store.apply({ kind: 'archive', refs: [ref] }).finally(() => (answered = true));
    await until('the message to leave the list', () => store.folderState('Leaving')!.messages.length === 2, 1000);
    assert.equal(answered, false, 'before the server answered');
    assert.deepEqual(
      store.folderState('Leaving')!.messages.map((m) => m.subject),
      ['third', 'first'],
    );
    await archiving;
    assert.equal(messageEvents(events, 'Leaving').length, 1, 'announced once');
    assert.ok(!(await serverFlags('Leaving', uids[1]!)), 'and gone from the server');
  }
  const { store, events } = storeFor(ctx, 'alice', { config: { port: refusing.port } });
  await store.loadFolders();
  const snap = await store.open('Leaving');
  const ref: MessageRef = { mailbox: 'Leaving', uidValidity: snap.uidValidity!, uid: uids[2]! };
  events.length = 0;
  await assert.rejects(store.apply({ kind: 'archive', refs: [ref] }));
  assert.deepEqual(
    store.folderState('Leaving')!.messages.map((m) => m.subject),
    ['third', 'first'],
    'back in its place',
  );
  assert.deepEqual(
    messageEvents(events, 'Leaving').map((e) => [e.origin, e.removed.length, e.added.length]),
    [
      ['operation', 1, 0],
      ['revert', 0, 1],
    ],
  );
  assert.ok(await serverFlags('Leaving', uids[2]!), 'still on the server');
});
