import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MailAccount } from '../../src/core/session/mail-account';
import { MailError } from '../../src/core/errors';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { buildMessage } from '../harness/fixtures';
import { serverView, useServer } from './setup';

const ctx = useServer();

/** Appends fresh messages to `path` and returns refs to them (as `account` sees them). */
async function seed(account: MailAccount, path: string, subjects: string[]): Promise<MessageRef[]> {
  const other = await ctx.otherClient();
  const uids: number[] = [];
  for (const subject of subjects) {
    const r = await other.append(
      path,
      buildMessage({
        from: 'Ann <ann@example.test>',
        to: 'alice@example.test',
        subject,
        text: subject,
        messageId: `<${subject.replace(/\W/g, '')}@mailroom.test>`,
      }),
    );
    assert.ok(r && r.uid);
    uids.push(r.uid);
  }
  const page = await account.listMessages(path, { pageSize: 200 });
  return uids.map((uid) => ({ mailbox: path, uidValidity: page.uidValidity, uid }));
}

const subjectsIn = async (path: string) =>
  [...(await serverView(await ctx.otherClient(), path)).values()].map((m) => m.subject).sort();

test('flags and keywords are set and cleared by UID, as another client sees', async () => {
  const account = ctx.mailAccount();
  const [a, b] = await seed(account, 'INBOX', ['flag-a', 'flag-b']);
  await account.setFlags([a!, b!], { add: ['\\Seen', '\\Flagged', '\\Answered', '$Todo'] });
  let view = await serverView(await ctx.otherClient(), 'INBOX');
  for (const ref of [a!, b!]) {
    for (const f of ['\\Seen', '\\Flagged', '\\Answered', '$Todo'])
      assert.ok(view.get(ref.uid)!.flags.has(f), `${f} on ${ref.uid}`);
  }
  await account.setFlags([a!], { remove: ['\\Seen', '\\Flagged', '$Todo'] });
  view = await serverView(await ctx.otherClient(), 'INBOX');
  assert.deepEqual([...view.get(a!.uid)!.flags].sort(), ['\\Answered']);
  assert.ok(view.get(b!.uid)!.flags.has('\\Flagged'), 'the other message is untouched');
  await assert.rejects(account.setFlags([a!], { add: ['bad flag)'] }), /not a valid IMAP flag/);
});

test('mail the command connection has not heard of yet (announced to the live one) is flagged and moved all the same', async () => {
  const account = ctx.mailAccount();
  const [known] = await seed(account, 'INBOX', ['known before']); // INBOX is open on the command connection now
  // Another device delivers two messages; our command connection is not told until it asks.
  const other = await ctx.otherClient();
  const uids: number[] = [];
  for (const subject of ['just arrived', 'arrived too']) {
    const r = await other.append(
      'INBOX',
      buildMessage({ from: 'Ann <ann@example.test>', to: 'alice@example.test', subject, text: subject }),
    );
    assert.ok(r && r.uid);
    uids.push(r.uid);
  }
  const ref = (uid: number): MessageRef => ({ mailbox: 'INBOX', uidValidity: known!.uidValidity, uid });
  await account.setFlags([ref(uids[0]!)], { add: ['$Junk'] });
  const view = await serverView(await ctx.otherClient(), 'INBOX');
  assert.ok(view.get(uids[0]!)?.flags.has('$Junk'), 'the keyword is on the server');
  await account.move([ref(uids[1]!)], 'Archive');
  assert.ok((await subjectsIn('Archive')).includes('arrived too'), 'moved to Archive');
  assert.ok(!(await subjectsIn('INBOX')).includes('arrived too'), 'and gone from INBOX');
});

test('move (UID MOVE), archive, and undo of a move', async () => {
  const account = ctx.mailAccount();
  const [m1, m2, m3] = await seed(account, 'INBOX', ['move-1', 'move-2', 'archive-me']);
  const moved = await account.move([m1!, m2!], 'Projects/Mailroom');
  assert.equal(moved.uidMap?.length, 2, 'COPYUID map recorded');
  assert.deepEqual(await subjectsIn('Projects/Mailroom'), ['move-1', 'move-2']);
  assert.ok(!(await subjectsIn('INBOX')).includes('move-1'));

  await account.undo(moved);
  assert.deepEqual(await subjectsIn('Projects/Mailroom'), []);
  assert.ok((await subjectsIn('INBOX')).includes('move-1') && (await subjectsIn('INBOX')).includes('move-2'));

  const archived = await account.archive([m3!]);
  assert.ok((await subjectsIn('Archive')).includes('archive-me'));
  await assert.rejects(
    account.undo(archived).then(() => account.undo(archived)),
    (e: unknown) => e instanceof MailError && e.kind === 'nothingToUndo',
  );
  assert.ok((await subjectsIn('INBOX')).includes('archive-me'), 'the archive was undone once');
});

test('delete moves to Trash (undoable); inside Trash it removes exactly those messages', async () => {
  const account = ctx.mailAccount();
  const [d1, keep] = await seed(account, 'INBOX', ['delete-me', 'keep-me']);
  const result = await account.delete([d1!]);
  assert.ok(result.movedToTrash);
  assert.ok((await subjectsIn('Trash')).includes('delete-me'));
  await account.undo(result.movedToTrash);
  assert.ok((await subjectsIn('INBOX')).includes('delete-me'));
  assert.ok(!(await subjectsIn('Trash')).includes('delete-me'));

  const [t1, t2] = await seed(account, 'Trash', ['trash-1', 'trash-2']);
  // Someone else marked trash-2 \Deleted without expunging: it must survive our delete of trash-1.
  const other = await ctx.otherClient();
  await other.mailboxOpen('Trash');
  await other.messageFlagsAdd(String(t2!.uid), ['\\Deleted'], { uid: true });
  const gone = await account.delete([t1!]);
  assert.equal(gone.permanent?.pendingExpunge, undefined);
  const trash = await subjectsIn('Trash');
  assert.ok(!trash.includes('trash-1'));
  assert.ok(trash.includes('trash-2'), 'UID EXPUNGE removed only our message');
  assert.ok((await subjectsIn('INBOX')).includes('keep-me'));
  void keep;
});

test('a stale ref, a move to the same folder and a move to a missing folder are refused', async () => {
  const account = ctx.mailAccount();
  const [r] = await seed(account, 'INBOX', ['stale']);
  await assert.rejects(
    account.setFlags([{ ...r!, uidValidity: '1' }], { add: ['\\Seen'] }),
    (e: unknown) => e instanceof MailError && e.kind === 'uidValidityChanged',
  );
  await assert.rejects(account.move([r!], 'INBOX'), /already in "INBOX"/);
  await assert.rejects(account.move([r!], 'No/Such/Folder'), /Could not move to "No\/Such\/Folder"/);
  assert.ok((await subjectsIn('INBOX')).includes('stale'), 'a failed move changes nothing');
});
