// The account store against a private Dovecot: loading, the disk cache, operations and their
// confirmations, undo, and the events that say what changed. What happened on the server is
// checked through an independent client.
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MailError } from '../../src/core/errors';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { MailCache } from '../../src/core/sync/cache';
import { cacheKeyOf } from '../../src/core/sync/store';
import { UndoLog } from '../../src/core/sync/undo';
import { Flag } from '../../src/shared/flags';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { serverView, useServer } from './setup';
import { pageFetches } from '../harness/command-log';
import { messageEvents, seed, storeFor, tempDir, uidsOf, until } from './store-setup';

const ctx = useServer();
let proxy: ImapProxy;
let legacy: ImapProxy;

before(async () => {
  await ctx.ready;
  proxy = await startProxy(ctx.server);
  legacy = await startProxy(ctx.server, { hideCapabilities: ['UIDPLUS', 'MOVE'] });
});
after(async () => {
  await proxy?.close();
  await legacy?.close();
});

const refsIn = (path: string, uidValidity: string, uids: number[]): MessageRef[] =>
  uids.map((uid) => ({ mailbox: path, uidValidity, uid }));
const serverFlags = async (path: string, uid: number) =>
  (await serverView(await ctx.otherClient(), path)).get(uid)?.flags;

test('a folder asked for twice during its first load is loaded once, and both callers get the same snapshot', async () => {
  await seed(ctx, 'Once', ['once 1', 'once 2', 'once 3']);
  const { store, events } = storeFor(ctx, 'alice', { config: { port: proxy.port } });
  await store.loadFolders();
  const from = proxy.commands.length;
  const [a, b] = await Promise.all([store.open('Once'), store.open('Once')]);
  assert.equal(a, b);
  assert.deepEqual(
    a.messages.map((m) => m.subject),
    ['once 3', 'once 2', 'once 1'],
  );
  assert.equal(await store.open('Once'), a, 'a loaded folder is answered from memory');
  assert.equal(pageFetches(proxy, 'Once', from), 1, 'one page was fetched');
  const added = messageEvents(events, 'Once');
  assert.equal(added.length, 1);
  assert.deepEqual(uidsOf(added[0]!.added), uidsOf(a.messages));
});

test('what the store hands out is frozen: nothing outside it can change what other surfaces show', async () => {
  await seed(ctx, 'Frozen', ['frozen']);
  const { store } = storeFor(ctx);
  await store.loadFolders();
  const snap = await store.open('Frozen');
  const m = snap.messages[0]!;
  assert.throws(() => {
    (m.flags as string[]).push(Flag.Flagged);
  });
  assert.throws(() => {
    (snap.messages as unknown[]).pop();
  });
  assert.throws(() => {
    (store.folders as unknown[]).pop();
  });
  assert.deepEqual(store.folderState('Frozen')?.messages[0]?.flags, []);
});

test('a folder seen before is shown from the cache at once, then a resync finds the flags changed and the messages gone elsewhere', async () => {
  const dir = await tempDir();
  const uids = await seed(ctx, 'Warm', ['warm 1', 'warm 2', 'warm 3', 'warm 4']);
  const first = storeFor(ctx, 'alice', { store: { cacheDir: dir } });
  await first.store.loadFolders();
  const shown = await first.store.open('Warm');
  await first.store.flushCache();
  first.store.dispose();
  const other = await ctx.otherClient();
  await other.mailboxOpen('Warm');
  await other.messageFlagsAdd(String(uids[1]), [Flag.Flagged], { uid: true });
  await other.messageDelete(String(uids[2]), { uid: true });

  const next = storeFor(ctx, 'alice', { store: { cacheDir: dir } });
  await next.store.loadFolders();
  const cached = await next.store.open('Warm');
  assert.deepEqual(
    cached.messages.map((m) => m.subject),
    ['warm 4', 'warm 3', 'warm 2', 'warm 1'],
    'the cached list, before the server answered',
  );
  assert.equal(messageEvents(next.events, 'Warm', 'cache').length, 1);
  await until('the resync', () => messageEvents(next.events, 'Warm', 'server').length > 0);
  const [resynced] = messageEvents(next.events, 'Warm', 'server');
  const uv = shown.uidValidity!;
  assert.deepEqual(resynced!.removed, refsIn('Warm', uv, [uids[2]!]));
  assert.deepEqual(resynced!.changed, refsIn('Warm', uv, [uids[1]!]));
  assert.deepEqual(resynced!.added, []);
  assert.deepEqual(
    next.store.folderState('Warm')!.messages.map((m) => [m.subject, m.flags.includes(Flag.Flagged)]),
    [
      ['warm 4', false],
      ['warm 2', true],
      ['warm 1', false],
    ],
  );
});

test('a folder never opened shows the first page read ahead at connect at once, then catches up with what arrived since', async () => {
  const dir = await tempDir();
  await seed(ctx, 'Ahead Of Time', ['early 1', 'early 2']);
  const other = await ctx.otherClient();
  await other.mailboxSubscribe('Ahead Of Time');
  const { store, events } = storeFor(ctx, 'alice', { config: { port: proxy.port }, store: { cacheDir: dir } });
  await store.loadFolders();
  const cache = new MailCache(dir, cacheKeyOf(store.config));
  await until('its first page in the cache', () => cache.hasMailbox('Ahead Of Time'));
  assert.equal(store.folderState('Ahead Of Time'), undefined, 'into the cache only: nothing shown changed');
  await seed(ctx, 'Ahead Of Time', ['arrived since']);

  const shown = await store.open('Ahead Of Time');
  assert.deepEqual(
    shown.messages.map((m) => m.subject),
    ['early 2', 'early 1'],
    'the page read ahead, shown before the server was asked (it would have the new message)',
  );
  assert.equal(messageEvents(events, 'Ahead Of Time', 'cache').length, 1);
  await until('the message that arrived since', () =>
    store.folderState('Ahead Of Time')!.messages.some((m) => m.subject === 'arrived since'),
  );
  assert.ok(messageEvents(events, 'Ahead Of Time', 'server').length > 0);
});

test('a folder rebuilt on the server mid-session (new UIDVALIDITY): the old messages leave by ref, the new ones come, an old ref is refused', async () => {
  await seed(ctx, 'Reborn', ['old 1', 'old 2']);
  const { store, events } = storeFor(ctx);
  await store.loadFolders();
  const before = await store.open('Reborn');
  const oldRefs = before.messages.map((m) => ({ mailbox: m.mailbox, uidValidity: m.uidValidity, uid: m.uid }));
  const other = await ctx.otherClient();
  await other.mailboxDelete('Reborn');
  await new Promise((r) => setTimeout(r, 1100)); // Dovecot's UIDVALIDITY is a timestamp
  await seed(ctx, 'Reborn', ['new 1']);
  await store.refresh('Reborn');
  const now = store.folderState('Reborn')!;
  assert.notEqual(now.uidValidity, before.uidValidity);
  assert.deepEqual(
    now.messages.map((m) => m.subject),
    ['new 1'],
  );
  const removed = messageEvents(events, 'Reborn', 'server').flatMap((e) => e.removed);
  assert.deepEqual(
    removed.map((r) => `${r.uidValidity}/${r.uid}`).sort(),
    oldRefs.map((r) => `${r.uidValidity}/${r.uid}`).sort(),
  );
  await assert.rejects(
    store.apply({ kind: 'setFlags', refs: [oldRefs[0]!], add: [Flag.Seen] }),
    (e: unknown) => e instanceof MailError && e.kind === 'uidValidityChanged',
  );
});

test('an operation announces exactly the messages it changed, once, and the server has the change', async () => {
  const uids = await seed(ctx, 'Exact', ['e1', 'e2', 'e3', 'e4']);
  const { store, events } = storeFor(ctx);
  await store.loadFolders();
  const snap = await store.open('Exact');
  const uv = snap.uidValidity!;
  events.length = 0;
  const outcome = await store.apply({
    kind: 'setFlags',
    refs: refsIn('Exact', uv, [uids[0]!, uids[2]!]),
    add: [Flag.Seen, Flag.Flagged],
  });
  assert.deepEqual([outcome.done, outcome.undoable, outcome.confirm], [true, false, undefined]);
  const [e, ...more] = messageEvents(events, 'Exact');
  assert.deepEqual(more, [], 'one event');
  assert.deepEqual([uidsOf(e!.changed), e!.added, e!.removed, e!.origin], [[uids[0], uids[2]], [], [], 'operation']);
  for (const uid of [uids[0]!, uids[2]!]) assert.ok((await serverFlags('Exact', uid))?.has(Flag.Flagged));
  assert.ok(!(await serverFlags('Exact', uids[1]!))?.has(Flag.Flagged));
  // The live connection echoes the change: nothing is announced twice.
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(messageEvents(events, 'Exact').length, 1);

  await store.apply({ kind: 'archive', refs: refsIn('Exact', uv, [uids[3]!]) });
  const removal = messageEvents(events, 'Exact').at(-1)!;
  assert.deepEqual([uidsOf(removal.removed), removal.changed, removal.origin], [[uids[3]], [], 'operation']);
  const moved = events.find((x) => x.kind === 'moved');
  assert.ok(
    moved &&
      moved.kind === 'moved' &&
      moved.from === 'Exact' &&
      moved.to === 'Archive' &&
      moved.messageIds.length === 1,
  );
  assert.ok([...(await serverView(await ctx.otherClient(), 'Archive')).values()].some((m) => m.subject === 'e4'));
});

test('undo reverses the last action anywhere, whichever account made it, one after the other', async () => {
  const undo = new UndoLog();
  const alice = storeFor(ctx, 'alice', { store: { undo } });
  const bob = storeFor(ctx, 'bob', { store: { undo } });
  const [a] = await seed(ctx, 'INBOX', ['undo alice']);
  const [b] = await seed(ctx, 'INBOX', ['undo bob'], 'bob');
  await Promise.all([alice.store.loadFolders(), bob.store.loadFolders()]);
  const aliceInbox = await alice.store.open('INBOX');
  const bobInbox = await bob.store.open('INBOX');
  const subjects = async (user: 'alice' | 'bob', path: string) =>
    [...(await serverView(await ctx.otherClient(user), path)).values()].map((m) => m.subject);

  await alice.store.apply({ kind: 'archive', refs: refsIn('INBOX', aliceInbox.uidValidity!, [a!]) });
  await bob.store.apply({ kind: 'delete', refs: refsIn('INBOX', bobInbox.uidValidity!, [b!]) });
  assert.ok((await subjects('bob', 'Trash')).includes('undo bob'));
  assert.equal(undo.last?.target, bob.store);

  const first = await undo.undoLast();
  assert.equal(first.entry.op.what, 'delete');
  assert.ok((await subjects('bob', 'INBOX')).includes('undo bob'));
  assert.ok(!(await subjects('bob', 'Trash')).includes('undo bob'));
  await until("bob's INBOX to show the message again", () =>
    bob.store.folderState('INBOX')!.messages.some((m) => m.subject === 'undo bob'),
  );

  const second = await undo.undoLast();
  assert.equal(second.entry.op.what, 'archive');
  assert.ok((await subjects('alice', 'INBOX')).includes('undo alice'));
  await assert.rejects(undo.undoLast(), (e: unknown) => e instanceof MailError && e.kind === 'nothingToUndo');
});

test('deleting for good comes back as a confirmation with its follow-up; nothing happens until it is applied', async () => {
  const [t] = await seed(ctx, 'Trash', ['for good']);
  const { store, events } = storeFor(ctx);
  await store.loadFolders();
  const trash = await store.open('Trash');
  const refs = refsIn('Trash', trash.uidValidity!, [t!]);
  const asked = await store.apply({ kind: 'delete', refs });
  assert.equal(asked.done, false);
  assert.equal(asked.confirm?.kind, 'permanentDelete');
  assert.ok(await serverFlags('Trash', t!), 'still on the server');
  assert.ok(store.message(refs[0]!), 'still shown');
  const done = await store.apply(asked.confirm!.followUp);
  assert.equal(done.done, true);
  assert.equal(await serverFlags('Trash', t!), undefined, 'gone on the server');
  assert.equal(store.message(refs[0]!), undefined);
  assert.deepEqual(uidsOf(messageEvents(events, 'Trash', 'operation').at(-1)!.removed), [t]);
});

test('without UIDPLUS, a move whose expunge would take other mail asks first: the originals stay marked deleted until the follow-up', async () => {
  const [mine, theirs] = await seed(ctx, 'Legacy', ['mine', 'theirs']);
  const other = await ctx.otherClient();
  await other.mailboxOpen('Legacy');
  await other.messageFlagsAdd(String(theirs), [Flag.Deleted], { uid: true });
  const { store } = storeFor(ctx, 'alice', { config: { port: legacy.port } });
  await store.loadFolders();
  const snap = await store.open('Legacy');
  const ref = refsIn('Legacy', snap.uidValidity!, [mine!])[0]!;
  const moved = await store.apply({ kind: 'move', refs: [ref], to: 'Projects/Mailroom' });
  assert.equal(moved.confirm?.kind, 'expungeFolder');
  assert.ok(moved.confirm?.kind === 'expungeFolder' && moved.confirm.otherDeleted === 1);
  assert.ok(store.flags(ref)?.includes(Flag.Deleted), 'shown as the server has it: marked deleted');
  assert.ok(await serverFlags('Legacy', mine!), 'the original is still there');
  assert.ok(await serverFlags('Legacy', theirs!), "so is the other client's");
  await store.apply(moved.confirm!.followUp);
  assert.equal(await serverFlags('Legacy', mine!), undefined);
  assert.equal(await serverFlags('Legacy', theirs!), undefined, 'the person agreed to this');
  assert.equal(store.message(ref), undefined);
  assert.deepEqual(legacy.refused, []);
});

test('append stores a message with its flags and the loaded folder shows it', async () => {
  const { store, events } = storeFor(ctx);
  await store.loadFolders();
  await store.open('Drafts');
  await store.open('Projects'); // Drafts is no longer the live folder: the store fetches what it stored
  const raw = buildMessage({
    from: 'alice@example.test',
    to: 'bob@example.test',
    subject: 'A draft',
    text: 'unfinished',
    messageId: '<draft-append@mailroom.test>',
  });
  const outcome = await store.apply({
    kind: 'append',
    mailbox: { role: 'drafts' },
    raw,
    flags: [Flag.Draft, Flag.Seen],
    messageId: '<draft-append@mailroom.test>',
  });
  assert.ok(outcome.stored);
  const flags = await serverFlags('Drafts', outcome.stored.uid);
  assert.ok(flags?.has(Flag.Draft) && flags.has(Flag.Seen));
  assert.equal(store.message(outcome.stored)?.subject, 'A draft');
  assert.deepEqual(uidsOf(messageEvents(events, 'Drafts', 'operation').at(-1)!.added), [outcome.stored.uid]);
});

test('a cache write that fails changes nothing shown, is logged once, and the cache is written again once it can be', async () => {
  const dir = await tempDir();
  const uids = await seed(ctx, 'Cached', ['c1', 'c2']);
  const { store, logger } = storeFor(ctx, 'alice', { store: { cacheDir: dir } });
  await store.loadFolders();
  const snap = await store.open('Cached');
  // INBOX is loaded by the store on its own; its write-back would make the folder again
  await store.open('INBOX');
  await store.flushCache();
  const [root] = await readdir(dir);
  const mailboxes = join(dir, root!, 'mailboxes');
  await until('the cache folder to be a file', () =>
    rm(mailboxes, { recursive: true, force: true })
      .then(() => writeFile(mailboxes, 'not a directory', { flag: 'wx' }))
      .then(
        () => true,
        () => false,
      ),
  );

  const ref = refsIn('Cached', snap.uidValidity!, [uids[0]!]);
  await store.apply({ kind: 'setFlags', refs: ref, add: [Flag.Flagged] });
  await store.apply({ kind: 'setFlags', refs: ref, add: [Flag.Seen] });
  await store.flushCache();
  assert.deepEqual([...store.flags(ref[0]!)!].sort(), [Flag.Flagged, Flag.Seen].sort());
  const warnings = logger.lines.filter(
    (l) => l.startsWith('warn') && l.includes('could not write the messages of "Cached"'),
  );
  assert.equal(warnings.length, 1, logger.text);

  await rm(mailboxes, { force: true });
  await store.apply({ kind: 'setFlags', refs: ref, remove: [Flag.Seen] });
  await store.flushCache();
  const written = await new MailCache(dir, cacheKeyOf(store.config)).loadMailbox('Cached');
  assert.deepEqual(
    written?.messages.find((m) => m.uid === uids[0])?.flags,
    [Flag.Flagged],
    `cached: ${JSON.stringify(written?.messages.map((m) => [m.uid, m.flags]))}\n${logger.text}`,
  );
  assert.ok(logger.lines.some((l) => l.includes('the cache is written again')));
});

test('a wrong password is forgotten; a server that is down or full leaves it alone', async () => {
  const wrong = storeFor(ctx, 'bob', { password: () => 'not-bobs-password' });
  await assert.rejects(wrong.store.loadFolders(), (e: unknown) => e instanceof MailError && e.kind === 'auth');
  assert.equal(wrong.store.status.kind, 'error');
  await until('the password to be forgotten', () => wrong.forgotten.length === 1);

  proxy.setAccepting(false);
  try {
    const down = storeFor(ctx, 'bob', { config: { port: proxy.port } });
    await assert.rejects(down.store.loadFolders(), (e: unknown) => e instanceof MailError && e.kind !== 'auth');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(down.forgotten, []);
  } finally {
    proxy.setAccepting(true);
  }
});

test('a message read ahead stays unread on the server, and opening it then reads nothing more over the wire', async () => {
  const uids = await seed(ctx, 'Ahead', ['ahead 1', 'ahead 2', 'ahead 3']);
  const dir = await tempDir();
  const { store } = storeFor(ctx, 'alice', { config: { port: proxy.port }, store: { cacheDir: dir } });
  await store.loadFolders();
  const snap = await store.open('Ahead');
  const ref = (uid: number): MessageRef => ({ mailbox: 'Ahead', uidValidity: snap.uidValidity!, uid });
  const bodyFetches = (from: number) =>
    proxy.commands.slice(from).filter((c) => /^UID FETCH .*BODY\.PEEK/i.test(c.command)).length;

  let from = proxy.commands.length;
  store.readAhead(ref(uids[1]!));
  store.readAhead(ref(uids[1]!)); // asked again while under way: one read
  const opened = await store.readMessage(ref(uids[1]!)); // a click during the read waits for it
  assert.equal(bodyFetches(from), 1, 'one read, shared by the read-ahead and the click');
  assert.match(opened.body[0]?.kind === 'text' ? opened.body[0].text : '', /ahead 2/);

  store.readAhead(ref(uids[0]!));
  const cache = new MailCache(dir, cacheKeyOf(store.config));
  await until('the body read ahead in the cache', async () => (await cache.loadBody(ref(uids[0]!))) !== undefined);
  from = proxy.commands.length;
  const later = await store.readMessage(ref(uids[0]!));
  assert.equal(bodyFetches(from), 0, 'the click found the body in the cache');
  assert.match(later.body[0]?.kind === 'text' ? later.body[0].text : '', /ahead 1/);
  for (const uid of uids) assert.deepEqual([...(await serverFlags('Ahead', uid))!], [], `UID ${uid} is still unread`);
});
