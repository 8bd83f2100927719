import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MailCache } from '../../src/core/sync/cache';
import { toCachedMailbox } from '../../src/core/sync/resync';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { useServer } from './setup';

const ctx = useServer();
let noCondstore: ImapProxy;
let dir: string;
before(async () => {
  await ctx.ready;
  noCondstore = await startProxy(ctx.server, { hideCapabilities: ['CONDSTORE', 'QRESYNC'] });
  dir = await mkdtemp(join(tmpdir(), 'mailroom-cache-'));
});
after(async () => {
  await noCondstore?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function folderWith(path: string, count: number): Promise<void> {
  const other = await ctx.otherClient();
  await other.mailboxCreate(path).catch(() => undefined);
  for (let i = 1; i <= count; i++) {
    await other.append(
      path,
      buildMessage({ from: 's@example.test', to: 'alice@example.test', subject: `${path} ${i}`, text: String(i) }),
      [],
      new Date(Date.UTC(2026, 0, i)),
    );
  }
}

/** What another device does while VS Code is closed: a flag, an expunge, a new message. */
async function changeElsewhere(path: string, flagUid: number, expungeUid: number): Promise<void> {
  const other = await ctx.otherClient();
  await other.mailboxOpen(path);
  await other.messageFlagsAdd(String(flagUid), ['\\Flagged'], { uid: true });
  await other.messageDelete(String(expungeUid), { uid: true });
  await other.append(
    path,
    buildMessage({ from: 'n@example.test', to: 'alice@example.test', subject: `${path} new`, text: 'new' }),
  );
}

test('the cache survives a restart and discards what it cannot trust', async () => {
  const cache = new MailCache(dir, 'alice-test');
  const account = ctx.mailAccount();
  await folderWith('Cached', 3);
  const page = await account.listMessages('Cached');
  await cache.saveMailbox(toCachedMailbox(page));
  await cache.saveFolders(await account.listMailboxes({ counts: true }));
  const again = new MailCache(dir, 'alice-test');
  assert.deepEqual(
    (await again.loadMailbox('Cached'))?.messages.map((m) => m.subject),
    ['Cached 3', 'Cached 2', 'Cached 1'],
  );
  assert.ok((await again.loadFolders())?.some((f) => f.path === 'Cached'));
  // Corrupt and version-mismatched files are dropped, not fatal.
  const files = async () => (await readdir(join(dir), { recursive: true })).filter((f) => String(f).endsWith('.json'));
  for (const f of await files()) await writeFile(join(dir, String(f)), '{"version":1,"data":');
  assert.equal(await again.loadMailbox('Cached'), undefined);
  assert.equal(await again.loadFolders(), undefined);
  await cache.saveFolders([]);
  for (const f of await files()) await writeFile(join(dir, String(f)), JSON.stringify({ version: 999, data: [] }));
  assert.equal(await again.loadFolders(), undefined);
  assert.deepEqual(await files(), [], 'bad files are removed');
});

test('QRESYNC warm start: flags, VANISHED and new mail from while VS Code was closed, in a few hundred bytes', async () => {
  await folderWith('Warm', 20);
  const first = ctx.mailAccount();
  const cached = toCachedMailbox(await first.listMessages('Warm', { pageSize: 10 }));
  const [flagMe, expungeMe] = [cached.messages[1]!.uid, cached.messages[2]!.uid];
  await first.dispose();
  await changeElsewhere('Warm', flagMe, expungeMe);

  const next = ctx.mailAccount(); // "VS Code restarted": a new session, nothing selected
  await next.connect();
  next.ops.client!.stats(true);
  const result = await next.resync(cached, { pageSize: 10 });
  const wire = next.ops.client!.stats();
  assert.equal(result.method, 'qresync');
  assert.deepEqual(result.vanished, [expungeMe]);
  assert.equal(result.changedFlags, 1);
  assert.deepEqual(
    result.added.map((m) => m.subject),
    ['Warm new'],
  );
  assert.ok(result.mailbox.messages.find((m) => m.uid === flagMe)!.flags.includes('\\Flagged'));
  assert.ok(!result.mailbox.messages.some((m) => m.uid === expungeMe));
  assert.equal(result.mailbox.messages[0]!.subject, 'Warm new');
  assert.notEqual(result.mailbox.highestModseq, cached.highestModseq);
  assert.ok(wire.received < 4096, `received ${wire.received} bytes`);

  // Nothing changed since: nothing to report.
  const quiet = await ctx.mailAccount().resync(result.mailbox, { pageSize: 10 });
  assert.deepEqual([quiet.vanished, quiet.changedFlags, quiet.added], [[], 0, []]);
});

test('on a connection that already has the folder open: CHANGEDSINCE', async () => {
  await folderWith('Open', 5);
  const account = ctx.mailAccount();
  const cached = toCachedMailbox(await account.listMessages('Open'));
  await changeElsewhere('Open', cached.messages[0]!.uid, cached.messages[4]!.uid);
  const result = await account.resync(cached);
  assert.equal(result.method, 'changedsince');
  assert.equal(result.changedFlags, 1);
  assert.equal(result.added.length, 1);
  assert.ok(!result.mailbox.messages.some((m) => m.uid === cached.messages[4]!.uid), 'the expunge is seen');
});

test('without CONDSTORE: UIDs and flags of the cached range', async () => {
  await folderWith('Plain', 5);
  const account = ctx.mailAccount('alice', { port: noCondstore.port });
  const cached = toCachedMailbox(await account.listMessages('Plain'));
  assert.equal(cached.highestModseq, undefined);
  await account.dispose();
  await changeElsewhere('Plain', cached.messages[0]!.uid, cached.messages[1]!.uid);
  const result = await ctx.mailAccount('alice', { port: noCondstore.port }).resync(cached);
  assert.equal(result.method, 'flags');
  assert.deepEqual(result.vanished, [cached.messages[1]!.uid]);
  assert.equal(result.changedFlags, 1);
  assert.equal(result.added.length, 1);
});

test('a UIDVALIDITY change throws the cache away and starts from the first page', async () => {
  await folderWith('Reborn', 3);
  const cached = toCachedMailbox(await ctx.mailAccount().listMessages('Reborn'));
  const other = await ctx.otherClient();
  await other.mailboxDelete('Reborn');
  await new Promise((r) => setTimeout(r, 1100));
  await folderWith('Reborn', 1);
  const result = await ctx.mailAccount().resync(cached);
  assert.equal(result.method, 'reset');
  assert.notEqual(result.mailbox.uidValidity, cached.uidValidity);
  assert.deepEqual(
    result.mailbox.messages.map((m) => m.subject),
    ['Reborn 1'],
  );
});

test('more mail than a page arrived since: the newest page replaces the cached one (no gap that "Load more" would never fill)', async () => {
  await folderWith('Flood', 3);
  const cached = toCachedMailbox(await ctx.mailAccount().listMessages('Flood', { pageSize: 5 }));
  const other = await ctx.otherClient();
  for (let i = 1; i <= 7; i++)
    await other.append(
      'Flood',
      buildMessage({ from: 's@example.test', to: 'alice@example.test', subject: `Flood new ${i}`, text: String(i) }),
    );
  const result = await ctx.mailAccount().resync(cached, { pageSize: 5 });
  assert.equal(result.method, 'reset');
  assert.deepEqual(
    result.mailbox.messages.map((m) => m.subject),
    ['Flood new 7', 'Flood new 6', 'Flood new 5', 'Flood new 4', 'Flood new 3'],
  );
  assert.equal(result.mailbox.hasMore, true);
});

test('without arrivals (a live connection delivers them), a resync looks only at what was cached and keeps its sync point', async () => {
  await folderWith('Quiet', 3);
  const cached = toCachedMailbox(await ctx.mailAccount().listMessages('Quiet'));
  await changeElsewhere('Quiet', cached.messages[0]!.uid, cached.messages[1]!.uid);
  const result = await ctx.mailAccount().resync(cached, { arrivals: false });
  assert.deepEqual(result.added, []);
  assert.equal(result.changedFlags, 1);
  assert.deepEqual(result.vanished, [cached.messages[1]!.uid]);
  assert.equal(result.mailbox.uidNext, cached.uidNext, 'the next resync looks for the arrivals again');
});
