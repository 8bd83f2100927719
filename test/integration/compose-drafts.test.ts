// Drafts on the server: saved with \Draft \Seen, replaced without touching anyone else's mail
// (also without UIDPLUS), resumed (ours and another client's) and removed once sent.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { newContext } from '../../src/core/compose/context';
import { parseComposer } from '../../src/core/compose/document';
import { openDraft } from '../../src/core/compose/draft-read';
import { discardDraft, saveDraft, sendMessage } from '../../src/core/compose/send';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { messagesIn, seedMessage, useSubmission, waitForCount } from './compose-setup';

const ctx = useSubmission();
let legacy: ImapProxy; // no UIDPLUS, and UID EXPUNGE refused
const dirs: string[] = [];
before(async () => {
  await ctx.submissionReady;
  legacy = await startProxy(ctx.server, { hideCapabilities: ['UIDPLUS'], refuseCommands: ['UID EXPUNGE'] });
});
after(async () => {
  await legacy?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ALICE = { name: 'Alice Example', address: 'alice@example.test' };
const drafts = async () => messagesIn(await ctx.otherClient('alice'), 'Drafts');
const subjectsIn = async () =>
  (await drafts()).map((m) => `${m.parsed.subject}${m.flags.has('\\Deleted') ? ' [deleted]' : ''}`).sort();

async function clearDrafts(): Promise<void> {
  const other = await ctx.otherClient('alice');
  const lock = await other.getMailboxLock('Drafts');
  try {
    if (other.mailbox && other.mailbox.exists) await other.messageDelete('1:*');
  } finally {
    lock.release();
  }
}

test('a draft is saved with \\Draft \\Seen, Bcc and attachments kept, no signature; resuming gives the same composer', async () => {
  await clearDrafts();
  const alice = ctx.composeAccount('alice', { signature: 'Alice\nExample Corp' });
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-draft-'));
  dirs.push(dir);
  await writeFile(join(dir, 'plan.txt'), 'the plan\n');
  const text =
    'From: Alice Example <alice@example.test>\nTo: Bob <bob@example.test>\nCc:\nBcc: dave@example.test\nSubject: Plans\nAttach: plan.txt\n\nDraft **one**.\n\n> quoted\n';
  const { context, saved } = await saveDraft(alice, { text, context: newContext(), baseDir: dir });
  assert.equal(context.draft?.uid, saved.draft.uid);

  const [stored] = await drafts();
  assert.ok(stored!.flags.has('\\Draft') && stored!.flags.has('\\Seen'));
  assert.equal(stored!.parsed.subject, 'Plans');
  assert.doesNotMatch(stored!.parsed.text ?? '', /Example Corp/, 'no signature in a draft');
  assert.equal(stored!.parsed.attachments[0]!.content.toString(), 'the plan\n');

  const reopened = await openDraft(alice.imap, saved.draft, ALICE);
  const doc = parseComposer(reopened.text);
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(doc.to.addresses, [{ name: 'Bob', address: 'bob@example.test' }]);
  assert.deepEqual(doc.bcc.addresses, [{ address: 'dave@example.test' }]);
  assert.equal(doc.subject, 'Plans');
  assert.equal(doc.body, 'Draft **one**.\n\n> quoted');
  assert.deepEqual(
    doc.attach.map((a) => a.kind === 'ref' && `#${a.id} ${a.label}`),
    ['#1 plan.txt'],
  );
  assert.equal(reopened.context.draft?.uid, saved.draft.uid);
});

test("replacing a draft leaves exactly one; another client's \\Deleted message in Drafts is not expunged", async () => {
  await clearDrafts();
  const alice = ctx.composeAccount('alice');
  const other = await ctx.otherClient('alice');
  const theirs = await seedMessage(other, 'Drafts', 'From: x@example.test\r\nSubject: theirs\r\n\r\nx\r\n', [
    '\\Draft',
    '\\Deleted',
  ]);
  let context = newContext();
  for (const n of [1, 2, 3]) {
    ({ context } = await saveDraft(alice, { text: `To: bob@example.test\nSubject: version ${n}\n\nv${n}`, context }));
  }
  assert.deepEqual(await subjectsIn(), ['theirs [deleted]', 'version 3']);
  assert.ok((await drafts()).some((m) => m.uid === theirs.uid));
});

test("without UIDPLUS a replaced draft waits (marked deleted) rather than expunge someone else's message", async () => {
  await clearDrafts();
  const alice = ctx.composeAccount('alice', { port: legacy.port });
  const other = await ctx.otherClient('alice');
  await seedMessage(other, 'Drafts', 'From: x@example.test\r\nSubject: theirs\r\n\r\nx\r\n', ['\\Deleted']);
  let { context, saved } = await saveDraft(alice, {
    text: 'To: bob@example.test\nSubject: old\n\nold',
    context: newContext(),
  });
  assert.equal(saved.previousPending, undefined);
  ({ context, saved } = await saveDraft(alice, { text: 'To: bob@example.test\nSubject: new\n\nnew', context }));
  assert.ok(saved.previousPending, 'the old version is reported as waiting');
  assert.equal(saved.previousPending.otherDeleted, 1);
  assert.deepEqual(await subjectsIn(), ['new', 'old [deleted]', 'theirs [deleted]']);
  assert.deepEqual(legacy.refused, [], 'no UID EXPUNGE was attempted');
  assert.equal(context.draft?.uid, saved.draft.uid);
});

test('a draft written by another client (HTML only, with an attachment) opens in the composer and sends, and is then removed', async () => {
  await clearDrafts();
  const alice = ctx.composeAccount('alice');
  const other = await ctx.otherClient('alice');
  const bob = await ctx.otherClient('bob');
  const foreign = [
    'From: Alice <alice@example.test>',
    'To: bob@example.test',
    'Subject: From my phone',
    'Message-ID: <phone@example.test>',
    'In-Reply-To: <parent@example.test>',
    'References: <root@example.test> <parent@example.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="m"',
    '',
    '--m',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Written <b>elsewhere</b>.</p>',
    '--m',
    'Content-Type: image/png; name="dot.png"',
    'Content-Disposition: attachment; filename="dot.png"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from([137, 80, 78, 71, 1, 2, 3]).toString('base64'),
    '--m--',
    '',
  ].join('\r\n');
  const ref = await seedMessage(other, 'Drafts', foreign, ['\\Draft', '\\Seen']);
  const opened = await openDraft(alice.imap, ref, ALICE);
  const doc = parseComposer(opened.text);
  assert.equal(doc.subject, 'From my phone');
  assert.match(doc.body, /Written elsewhere\./);
  assert.deepEqual(
    doc.attach.map((a) => a.kind === 'ref' && a.label),
    ['dot.png'],
  );
  assert.equal(opened.context.inReplyTo, '<parent@example.test>');
  assert.equal(opened.context.kind, 'reply');

  const before = (await messagesIn(bob, 'INBOX')).length;
  const outcome = await sendMessage(alice, { text: opened.text, context: opened.context });
  assert.deepEqual(outcome.draft, { status: 'removed' });
  await waitForCount(bob, 'INBOX', before + 1);
  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.messageId)!;
  assert.deepEqual(got.parsed.references, ['<root@example.test>', '<parent@example.test>']);
  assert.ok(got.parsed.attachments[0]!.content.equals(Buffer.from([137, 80, 78, 71, 1, 2, 3])));
  assert.deepEqual(await subjectsIn(), [], 'the draft is gone after sending');
});

test('a resumed draft with attachments can be saved again: its parts follow into the new version', async () => {
  await clearDrafts();
  const alice = ctx.composeAccount('alice');
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-draft-'));
  dirs.push(dir);
  await writeFile(join(dir, 'a.bin'), Buffer.from([1, 2, 3, 4]));
  const first = await saveDraft(alice, {
    text: 'To: bob@example.test\nSubject: parts\nAttach: a.bin\n\nv1',
    context: newContext(),
    baseDir: dir,
  });
  const opened = await openDraft(alice.imap, first.saved.draft, ALICE);
  const second = await saveDraft(alice, { text: opened.text.replace('v1', 'v2'), context: opened.context });
  assert.notEqual(second.saved.draft.uid, first.saved.draft.uid);
  assert.equal(second.context.parts[0]!.ref.uid, second.saved.draft.uid, 'the part now points into the new version');
  const third = await saveDraft(alice, { text: opened.text.replace('v1', 'v3'), context: second.context });
  const [only] = await drafts();
  assert.equal((await drafts()).length, 1);
  assert.equal(only!.uid, third.saved.draft.uid);
  assert.ok(only!.parsed.attachments[0]!.content.equals(Buffer.from([1, 2, 3, 4])));
});

test('discarding removes the draft; an unfinished draft (no recipient yet) can still be saved', async () => {
  await clearDrafts();
  const alice = ctx.composeAccount('alice');
  const { context } = await saveDraft(alice, { text: 'To: \nSubject: \n\nhalf a thought', context: newContext() });
  assert.equal((await drafts()).length, 1);
  assert.deepEqual(await discardDraft(alice, context), { status: 'removed' });
  assert.equal((await drafts()).length, 0);
  await assert.rejects(
    saveDraft(alice, { text: 'X-Unknown: 1\n\nbody', context: newContext() }),
    /Unknown header "X-Unknown"/,
  );
});
