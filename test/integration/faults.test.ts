import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MailAccount } from '../../src/core/session/mail-account';
import { MailError } from '../../src/core/errors';
import { nextEvent } from '../../src/core/events';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { buildMessage, uidOf } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { serverView, useServer } from './setup';

const ctx = useServer();
let legacy: ImapProxy; // no MOVE, no UIDPLUS, and it refuses them outright
let liar: ImapProxy; // advertises MOVE but refuses it
let flaky: ImapProxy; // full server, for cutting connections
const tmp: string[] = [];

before(async () => {
  await ctx.ready;
  legacy = await startProxy(ctx.server, {
    hideCapabilities: ['MOVE', 'UIDPLUS'],
    refuseCommands: ['MOVE', 'UID MOVE', 'UID EXPUNGE'],
  });
  liar = await startProxy(ctx.server, { refuseCommands: ['MOVE', 'UID MOVE'] });
  flaky = await startProxy(ctx.server);
});
after(async () => {
  await Promise.all([legacy?.close(), liar?.close(), flaky?.close()]);
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

const via = (proxy: ImapProxy, options = {}) => ctx.mailAccount('alice', { port: proxy.port }, options);

async function seed(account: MailAccount, path: string, subjects: string[]): Promise<MessageRef[]> {
  const other = await ctx.otherClient();
  await other.mailboxCreate(path).catch(() => undefined);
  const uids: number[] = [];
  for (const subject of subjects) {
    const r = await other.append(
      path,
      buildMessage({
        from: 'f@example.test',
        to: 'alice@example.test',
        subject,
        text: subject,
        messageId: `<${subject}@mailroom.test>`,
      }),
    );
    uids.push(r && r.uid ? r.uid : 0);
  }
  const page = await account.listMessages(path, { pageSize: 500 });
  return uids.map((uid) => ({ mailbox: path, uidValidity: page.uidValidity, uid }));
}

const subjects = async (path: string) =>
  [...(await serverView(await ctx.otherClient(), path)).values()].map((m) => m.subject).sort();
const deletedSubjects = async (path: string) =>
  [...(await serverView(await ctx.otherClient(), path)).values()]
    .filter((m) => m.flags.has('\\Deleted'))
    .map((m) => m.subject)
    .sort();

test('without MOVE/UIDPLUS: COPY + STORE + EXPUNGE only when no one else has \\Deleted mail there', async () => {
  const account = via(legacy);
  const [a] = await seed(account, 'Legacy', ['legacy-a']);
  const result = await account.move([a!], 'Archive');
  assert.equal(result.pendingExpunge, undefined);
  assert.deepEqual(await subjects('Legacy'), []);
  assert.ok((await subjects('Archive')).includes('legacy-a'));
  assert.deepEqual(legacy.refused, [], 'MOVE and UID EXPUNGE were never attempted');
});

test("without UIDPLUS and with someone else's \\Deleted mail: nothing is expunged, the user is asked", async () => {
  const account = via(legacy);
  const [mine, theirs] = await seed(account, 'Shared', ['mine', 'theirs']);
  const other = await ctx.otherClient();
  await other.mailboxOpen('Shared');
  await other.messageFlagsAdd(String(theirs!.uid), ['\\Deleted'], { uid: true });

  const result = await account.move([mine!], 'Projects/Mailroom');
  assert.ok(result.pendingExpunge, 'the expunge waits for confirmation');
  assert.equal(result.pendingExpunge.otherDeleted, 1);
  assert.match(result.pendingExpunge.reason, /other message\(s\) in "Shared" are marked deleted/);
  assert.deepEqual(await subjects('Shared'), ['mine', 'theirs'], 'nothing left the source');
  assert.deepEqual(await deletedSubjects('Shared'), ['mine', 'theirs']);
  assert.ok((await subjects('Projects/Mailroom')).includes('mine'), 'the copy is in place');

  // Undo: the original is restored and the copy removed — by Message-ID, as there is no COPYUID.
  await account.undo(result);
  assert.deepEqual(await deletedSubjects('Shared'), ['theirs']);
  assert.ok(!(await subjects('Projects/Mailroom')).includes('mine'));

  // Deleting inside Trash follows the same rule.
  const [t, marked] = await seed(account, 'Trash', ['trash-legacy', 'already-marked']);
  await other.mailboxOpen('Trash');
  await other.messageFlagsAdd(String(marked!.uid), ['\\Deleted'], { uid: true });
  const gone = await account.delete([t!]);
  assert.ok(gone.permanent?.pendingExpunge);
  assert.ok((await subjects('Trash')).includes('already-marked'));
  assert.ok((await subjects('Trash')).includes('trash-legacy'));
  // After the user confirms, the folder is expunged.
  await account.expunge('Trash');
  assert.ok(!(await subjects('Trash')).includes('trash-legacy'));
  assert.deepEqual(legacy.refused, []);
});

test('a server that advertises MOVE but refuses it: fall back to COPY, nothing lost', async () => {
  const account = via(liar);
  const [m] = await seed(account, 'Liar', ['liar-1']);
  await account.move([m!], 'Archive');
  assert.deepEqual(liar.refused, ['UID MOVE']);
  assert.deepEqual(await subjects('Liar'), []);
  assert.ok((await subjects('Archive')).includes('liar-1'));
});

test('a connection cut mid-FETCH is a typed error, leaves no partial file, and the next call reconnects', async () => {
  const account = via(flaky);
  const page = await account.listMessages('INBOX', { pageSize: 1 });
  const ref = { mailbox: 'INBOX', uidValidity: page.uidValidity, uid: uidOf('big-attachment') };
  const content = await account.readMessage(ref);
  const big = content.attachments.find((a) => a.filename === 'big.bin')!;
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-cut-'));
  tmp.push(dir);
  flaky.cutAfterServerBytes(200_000);
  const started = Date.now();
  await assert.rejects(
    account.saveAttachment(ref, big, dir),
    (e: unknown) => e instanceof MailError && e.kind === 'connectionLost',
  );
  assert.ok(Date.now() - started < 10_000, 'no hang');
  assert.deepEqual(await readdir(dir), [], 'no partial file');
  const again = await account.listMessages('INBOX', { pageSize: 5 });
  assert.equal(again.messages.length, 5);
});

test('the watcher reconnects with backoff when the server goes away and comes back', async () => {
  const account = via(flaky, { backoff: { baseMs: 50, maxMs: 400 }, autoIdleDelayMs: 100 });
  const watcher = await account.watch('INBOX');
  const states: string[] = [];
  watcher.onDidChangeState((s) => states.push(s.status));
  flaky.setAccepting(false);
  flaky.cutAll();
  await new Promise((r) => setTimeout(r, 600));
  assert.ok(states.filter((s) => s === 'reconnecting').length >= 2, `retried with backoff: ${states.join(',')}`);
  const resync = nextEvent(watcher.onDidRequestResync);
  flaky.setAccepting(true);
  assert.equal((await resync).reason, 'reconnected');
  assert.equal(states.at(-1), 'live');

  const added = nextEvent(watcher.onDidAddMessages);
  await (
    await ctx.otherClient()
  ).append(
    'INBOX',
    buildMessage({ from: 'x@example.test', to: 'alice@example.test', subject: 'after reconnect', text: 'x' }),
  );
  assert.equal((await added)[0]!.subject, 'after reconnect');
  watcher.dispose();
});

test('Dovecot killed and restarted: calls fail fast with a precise error, then work again', async () => {
  const account = ctx.mailAccount();
  await account.listMessages('INBOX', { pageSize: 1 });
  await ctx.server.stop();
  const started = Date.now();
  await assert.rejects(
    account.listMessages('INBOX', { pageSize: 1 }),
    (e: unknown) => e instanceof MailError && (e.kind === 'connectionRefused' || e.kind === 'connectionLost'),
  );
  assert.ok(Date.now() - started < 10_000);
  await ctx.server.start();
  const page = await account.listMessages('INBOX', { pageSize: 1 });
  assert.equal(page.messages.length, 1);
});
