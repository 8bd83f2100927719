// Organising mail through the account store against a private Dovecot: folders (create, rename,
// delete, subscribe), Mark All as Read, Empty Trash, junk and keywords, search across folders.
// What happened on the server is checked through an independent client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { UndoLog } from '../../src/core/sync/undo';
import { Flag, Keyword } from '../../src/shared/flags';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { serverView, useServer } from './setup';
import { seed, storeFor } from './store-setup';

const ctx = useServer();
let legacy: ImapProxy;

before(async () => {
  await ctx.ready;
  legacy = await startProxy(ctx.server, { hideCapabilities: ['UIDPLUS', 'MOVE'] });
});
after(async () => {
  await legacy?.close();
});

/** The folders another client lists: path → subscribed. */
async function serverFolders(): Promise<Map<string, boolean>> {
  const other = await ctx.otherClient();
  return new Map((await other.list()).map((f) => [f.path, f.subscribed === true]));
}

const subjectsIn = async (path: string) =>
  [...(await serverView(await ctx.otherClient(), path)).values()].map((m) => m.subject).sort();

const refsIn = (path: string, uidValidity: string, uids: number[]): MessageRef[] =>
  uids.map((uid) => ({ mailbox: path, uidValidity, uid }));

test('New Folder under a folder joins the names with the server delimiter, subscribes it, and the folder list follows', async () => {
  const { store, events } = storeFor(ctx);
  await store.loadFolders();
  const before = events.filter((e) => e.kind === 'folders').length;
  const outcome = await store.apply({ kind: 'createFolder', parent: 'Projects', name: 'Clients' });
  assert.equal(outcome.folder, 'Projects/Clients');
  assert.equal((await serverFolders()).get('Projects/Clients'), true, 'created and subscribed on the server');
  assert.ok(store.folder('Projects/Clients'), 'the store lists it');
  assert.ok(events.filter((e) => e.kind === 'folders').length > before, 'a folders event told the tree');
  await assert.rejects(store.apply({ kind: 'createFolder', name: 'a/b' }), /cannot contain "\/"/);
  await assert.rejects(store.apply({ kind: 'createFolder', name: '  ' }), /needs a name/);
});

test('Rename keeps the folder in its place, takes its mail and subfolders along, and forgets the old path', async () => {
  await seed(ctx, 'Rename Me', ['rename 1', 'rename 2']);
  await seed(ctx, 'Rename Me/Child', ['child 1']);
  const { store } = storeFor(ctx);
  await store.loadFolders();
  await store.open('Rename Me');
  const outcome = await store.apply({ kind: 'renameFolder', path: 'Rename Me', name: 'Renamed' });
  assert.equal(outcome.folder, 'Renamed');
  const folders = await serverFolders();
  assert.ok(!folders.has('Rename Me'));
  assert.equal(folders.get('Renamed'), true);
  assert.ok(folders.has('Renamed/Child'));
  assert.deepEqual(await subjectsIn('Renamed'), ['rename 1', 'rename 2']);
  assert.equal(store.folderState('Rename Me'), undefined, 'the old path is no longer loaded');
  assert.equal(store.folder('Rename Me'), undefined);
  assert.ok(store.folder('Renamed/Child'));
});

test('Delete asks first, naming how many messages the folder holds; only the confirmed follow-up deletes it', async () => {
  await seed(ctx, 'Old Stuff', ['old 1', 'old 2', 'old 3']);
  const { store } = storeFor(ctx);
  await store.loadFolders(true);
  const asked = await store.apply({ kind: 'deleteFolder', path: 'Old Stuff' });
  assert.equal(asked.done, false);
  assert.equal(asked.confirm?.kind, 'deleteFolder');
  if (asked.confirm?.kind !== 'deleteFolder') return;
  assert.equal(asked.confirm.messages, 3);
  assert.equal(asked.confirm.of, 1);
  assert.ok((await serverFolders()).has('Old Stuff'), 'nothing deleted before the answer');
  const done = await store.apply(asked.confirm.followUp);
  assert.equal(done.done, true);
  assert.ok(!(await serverFolders()).has('Old Stuff'));
  assert.equal(store.folder('Old Stuff'), undefined);
});

test('a special-use folder needs two confirmations, and INBOX cannot be deleted at all', async () => {
  const { store } = storeFor(ctx);
  await store.loadFolders();
  const first = await store.apply({ kind: 'deleteFolder', path: 'Archive' });
  assert.equal(first.confirm?.kind, 'deleteFolder');
  if (first.confirm?.kind !== 'deleteFolder') return;
  assert.deepEqual([first.confirm.step, first.confirm.of, first.confirm.specialUse], [1, 2, 'archive']);
  const second = await store.apply(first.confirm.followUp);
  assert.equal(second.done, false, 'one answer is not enough');
  assert.equal(second.confirm?.kind === 'deleteFolder' && second.confirm.step, 2);
  assert.ok((await serverFolders()).has('Archive'), 'still there after the first answer');
  await assert.rejects(store.apply({ kind: 'deleteFolder', path: 'INBOX' }), /INBOX cannot be deleted/);
});

test('Unsubscribe and Subscribe change the subscription on the server and in the folder list', async () => {
  await seed(ctx, 'Newsletters', ['news 1']);
  const other = await ctx.otherClient();
  await other.mailboxSubscribe('Newsletters');
  const { store } = storeFor(ctx);
  await store.loadFolders(true);
  await store.apply({ kind: 'subscribe', path: 'Newsletters', subscribed: false });
  assert.equal((await serverFolders()).get('Newsletters'), false);
  assert.equal(store.folder('Newsletters')?.subscribed, false);
  await store.apply({ kind: 'subscribe', path: 'Newsletters', subscribed: true });
  assert.equal((await serverFolders()).get('Newsletters'), true);
  assert.equal(store.folder('Newsletters')?.subscribed, true);
});

test('Mark All as Read marks every unread message of the folder, also those not loaded, and the loaded rows follow', async () => {
  const uids = await seed(ctx, 'Busy', ['busy 1', 'busy 2', 'busy 3', 'busy 4', 'busy 5']);
  const { store } = storeFor(ctx, 'alice', { settings: { pageSize: 2 } });
  await store.loadFolders(true);
  const snap = await store.open('Busy');
  assert.equal(snap.messages.length, 2, 'only one page is loaded');
  const outcome = await store.apply({ kind: 'markAllRead', path: 'Busy' });
  assert.equal(outcome.count, 5);
  const view = await serverView(await ctx.otherClient(), 'Busy');
  for (const uid of uids) assert.ok(view.get(uid)?.flags.has(Flag.Seen), `UID ${uid} is read on the server`);
  assert.ok(store.folderState('Busy')!.messages.every((m) => m.flags.includes(Flag.Seen)));
});

test('Empty Trash removes exactly the messages the person agreed to, even without UIDPLUS: mail marked deleted elsewhere and mail arriving later stay', async () => {
  const trashed = await seed(ctx, 'Trash', ['trash 1', 'trash 2']);
  const [keep] = await seed(ctx, 'INBOX', ['deleted elsewhere, not expunged']);
  const other = await ctx.otherClient();
  await other.mailboxOpen('INBOX');
  await other.messageFlagsAdd(String(keep), [Flag.Deleted], { uid: true });
  const { store } = storeFor(ctx, 'alice', { config: { port: legacy.port } });
  await store.loadFolders(true);
  const asked = await store.apply({ kind: 'emptyFolder', path: 'Trash' });
  assert.equal(asked.confirm?.kind, 'emptyFolder');
  if (asked.confirm?.kind !== 'emptyFolder') return;
  assert.equal(asked.confirm.count, trashed.length);
  await seed(ctx, 'Trash', ['arrived after the question']);
  const done = await store.apply(asked.confirm.followUp);
  assert.equal(done.count, 2);
  assert.deepEqual(await subjectsIn('Trash'), ['arrived after the question']);
  const inbox = await serverView(await ctx.otherClient(), 'INBOX');
  assert.ok(inbox.get(keep!)?.flags.has(Flag.Deleted), "the other client's \\Deleted message in INBOX is untouched");
});

/** Mark as Junk of one new message in `folder`, then Undo; returns every state of it another client saw there meanwhile. */
async function junkAndUndo(subject: string, folder: string, port?: number) {
  const [uid] = await seed(ctx, folder, [subject]);
  const undo = new UndoLog();
  const { store } = storeFor(ctx, 'alice', { store: { undo }, ...(port ? { config: { port } } : {}) });
  await store.loadFolders(true);
  const snap = await store.open(folder);
  const outcome = await store.apply({ kind: 'junk', refs: refsIn(folder, snap.uidValidity!, [uid!]), junk: true });
  assert.equal(outcome.undoable, true);
  const junk = [...(await serverView(await ctx.otherClient(), 'Junk')).values()].find((m) => m.subject === subject);
  assert.ok(junk, 'in Junk on the server');
  assert.ok(junk.flags.has(Keyword.Junk));
  assert.ok(!(await subjectsIn(folder)).includes(subject));

  // Another client looks at the folder as fast as it can while the undo runs.
  const watcher = await ctx.otherClient();
  const seen: Array<Set<string>> = [];
  let undoing = true;
  const watching = (async () => {
    while (undoing) {
      // A round trip each time: an empty folder would otherwise be answered from imapflow's state.
      await watcher.noop();
      const m = [...(await serverView(watcher, folder)).values()].find((v) => v.subject === subject);
      if (m) seen.push(m.flags);
    }
  })();
  await undo.undoLast().finally(() => (undoing = false));
  await watching;
  const back = [...(await serverView(await ctx.otherClient(), folder)).values()].find((m) => m.subject === subject);
  assert.ok(back, `back in ${folder}`);
  assert.ok(!back.flags.has(Keyword.Junk), 'without $Junk');
  assert.ok(!(await subjectsIn('Junk')).includes(subject));
  return seen;
}

test('Mark as Junk sets $Junk and moves the message to Junk as one operation; Undo takes the keyword off before the message is back in INBOX', async () => {
  const seen = await junkAndUndo('cheap watches', 'INBOX');
  assert.ok(
    seen.every((flags) => !flags.has(Keyword.Junk)),
    `another client saw the message back in INBOX still marked $Junk (${seen.length} looks)`,
  );
});

test('without MOVE and UIDPLUS, Undo of Mark as Junk finds the message in Junk and brings it back without the keyword', async () => {
  // A folder where no one else's mail is marked deleted: the move's EXPUNGE need not wait for a question.
  await junkAndUndo('cheap pills', 'Suspicious', legacy.port);
});

test('Not Junk in the Junk folder sets $NotJunk and moves the message to INBOX; keywords are searchable across folders', async () => {
  await seed(ctx, 'Junk', ['actually from my bank']);
  const { store } = storeFor(ctx);
  await store.loadFolders(true);
  const snap = await store.open('Junk');
  const m = snap.messages.find((x) => x.subject === 'actually from my bank')!;
  await store.apply({ kind: 'junk', refs: [m], junk: false });
  const inbox = [...(await serverView(await ctx.otherClient(), 'INBOX')).values()].find(
    (x) => x.subject === 'actually from my bank',
  );
  assert.ok(inbox?.flags.has(Keyword.NotJunk));

  const [tagged] = await seed(ctx, 'Projects', ['tagged in projects']);
  const other = await ctx.otherClient();
  await other.mailboxOpen('Projects');
  await other.messageFlagsAdd(String(tagged), ['work'], { uid: true });
  const found = await store.mail.searchFolders(['INBOX', 'Projects', 'Missing Folder'], { keyword: '$NotJunk' });
  assert.deepEqual(
    found.messages.map((x) => [x.mailbox, x.subject]),
    [['INBOX', 'actually from my bank']],
  );
  const work = await store.mail.searchFolders(['INBOX', 'Projects'], { keyword: 'work' });
  assert.deepEqual(
    work.messages.map((x) => [x.mailbox, x.subject]),
    [['Projects', 'tagged in projects']],
  );
  assert.equal(found.folders.find((f) => f.mailbox === 'Missing Folder')?.error !== undefined, true);
});

test('the folder says which keywords may be stored (PERMANENTFLAGS), and a keyword set through the store reaches the server', async () => {
  const [uid] = await seed(ctx, 'Tags', ['tag me']);
  const { store } = storeFor(ctx);
  await store.loadFolders(true);
  const allowed = await store.mail.permanentFlags('Tags');
  assert.ok(allowed.includes('\\*'), `Dovecot allows new keywords: ${allowed.join(' ')}`);
  const snap = await store.open('Tags');
  await store.apply({ kind: 'setFlags', refs: refsIn('Tags', snap.uidValidity!, [uid!]), add: ['invoice'] });
  assert.ok((await serverView(await ctx.otherClient(), 'Tags')).get(uid!)?.flags.has('invoice'));
  assert.ok(store.flags(refsIn('Tags', snap.uidValidity!, [uid!])[0]!)?.includes('invoice'));
});
