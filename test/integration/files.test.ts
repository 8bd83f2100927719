// Files Mailroom writes hold someone's mail: owner-only, never overwriting what is there, and
// gone with the account they belong to.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MailCache } from '../../src/core/sync/cache';
import type { MessageSummary } from '../../src/core/mailbox/messages';
import { publishExclusive } from '../../src/core/reading/reader';
import { uidOf } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(parent = tmpdir()): Promise<string> {
  const d = await mkdtemp(join(parent, 'mailroom-files-'));
  dirs.push(d);
  return d;
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

/** Every folder and file under `root`, with its mode. */
async function modes(root: string): Promise<Array<[string, number]>> {
  const out: Array<[string, number]> = [];
  const walk = async (p: string, rel: string) => {
    out.push([rel || '.', await mode(p)]);
    if ((await stat(p)).isDirectory())
      for (const n of (await readdir(p)).sort()) await walk(join(p, n), rel ? `${rel}/${n}` : n);
  };
  await walk(root, '');
  return out;
}

const summary = (uid: number): MessageSummary => ({
  mailbox: 'INBOX',
  uidValidity: '7',
  uid,
  flags: [],
  date: '2024-01-01T00:00:00.000Z',
  subject: `s${uid}`,
  from: [],
  to: [],
  cc: [],
  size: 1,
  hasAttachments: false,
});

test('a saved attachment is readable by its owner only, and so is the folder made for it', async () => {
  const account = ctx.mailAccount();
  const page = await account.listMessages('INBOX', { pageSize: 1 });
  const ref = { mailbox: 'INBOX', uidValidity: page.uidValidity, uid: uidOf('attachment') };
  const content = await account.readMessage(ref);
  const parent = await tempDir();
  const opened = join(parent, 'attachments', 'x1'); // what "Open" saves into: folders that do not exist yet
  const saved = await account.saveAttachment(ref, content.attachments[0]!, opened);
  assert.equal(await mode(saved.path), 0o600);
  assert.equal(await mode(opened), 0o700);
  assert.equal(await mode(join(parent, 'attachments')), 0o700);

  // "Save…" into a folder of the person's: the file is owner-only, the folder is left as it was.
  const downloads = await tempDir();
  await chmod(downloads, 0o755);
  const again = await account.saveAttachment(ref, content.attachments[0]!, downloads);
  assert.equal(await mode(again.path), 0o600);
  assert.equal(await mode(downloads), 0o755);
});

test('where hard links are refused, the finished file is published by an exclusive copy that overwrites nothing', async () => {
  // A temp file on another file system than the target makes link() fail for real (EXDEV), as
  // FAT/exFAT (EPERM) and many network shares (ENOTSUP) do.
  const elsewhere = await tempDir('/dev/shm');
  const target = await tempDir();
  assert.notEqual(
    (await stat(elsewhere)).dev,
    (await stat(target)).dev,
    '/dev/shm and the temp dir must be different file systems',
  );
  const tmp = join(elsewhere, 'download.part');
  await writeFile(tmp, 'the attachment', { mode: 0o600 });
  await writeFile(join(target, 'report.pdf'), "someone else's file");

  const published = await publishExclusive(tmp, target, 'report.pdf');
  assert.equal(published, join(target, 'report (1).pdf'));
  assert.equal(await readFile(published, 'utf8'), 'the attachment');
  assert.equal(await mode(published), 0o600);
  assert.equal(await readFile(join(target, 'report.pdf'), 'utf8'), "someone else's file", 'never overwritten');
  assert.equal(await readFile(tmp, 'utf8'), 'the attachment', "the temp file is the caller's to remove");
});

test('the cache is owner-only, also a cache an older version left world-readable', async () => {
  const dir = await tempDir();
  const cache = new MailCache(dir, 'alice@example.test');
  await cache.saveFolders([]);
  await cache.saveMailbox({
    path: 'INBOX',
    uidValidity: '7',
    uidNext: 3,
    exists: 2,
    messages: [summary(1), summary(2)],
    hasMore: false,
  });
  const [root] = await readdir(dir);
  for (const [p, m] of await modes(join(dir, root!)))
    assert.equal(m, p.endsWith('.json') ? 0o600 : 0o700, `${p}: ${m.toString(8)}`);

  // As 0.1.0 wrote it: default modes.
  const old = await tempDir();
  const before = new MailCache(old, 'bob@example.test');
  await before.saveFolders([]);
  const [oldRoot] = await readdir(old);
  await mkdir(join(old, oldRoot!, 'bodies'), { recursive: true });
  await writeFile(join(old, oldRoot!, 'bodies', 'x.json'), '{}', { mode: 0o644 });
  for (const [p] of await modes(join(old, oldRoot!)))
    await chmod(join(old, oldRoot!, p), p.endsWith('.json') ? 0o644 : 0o755);
  const after = new MailCache(old, 'bob@example.test');
  await after.saveMailbox({
    path: 'INBOX',
    uidValidity: '7',
    uidNext: 2,
    exists: 1,
    messages: [summary(1)],
    hasMore: false,
  });
  for (const [p, m] of await modes(join(old, oldRoot!)))
    assert.equal(m, p.endsWith('.json') ? 0o600 : 0o700, `${p}: ${m.toString(8)}`);
});

test("destroying an account's cache removes it, and a write still under way does not bring it back", async () => {
  const dir = await tempDir();
  const cache = new MailCache(dir, 'carol@example.test');
  const other = new MailCache(dir, 'dave@example.test');
  await cache.saveFolders([]);
  await other.saveFolders([]);
  assert.equal((await readdir(dir)).length, 2);
  const late = cache.saveMailbox({
    path: 'INBOX',
    uidValidity: '7',
    uidNext: 2,
    exists: 1,
    messages: [summary(1)],
    hasMore: false,
  });
  await cache.destroy();
  await late;
  await cache.saveFolders([]);
  assert.equal((await readdir(dir)).length, 1, 'only the other account is left');
  assert.ok(await other.loadFolders(), "the other account's cache is intact");
  assert.equal(await cache.loadFolders(), undefined);
});
