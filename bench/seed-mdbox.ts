// The 1,000,000-message folder as a Dovecot mdbox, seeded once into .bench-data/ and cloned per run.
//
// Why mdbox and not Maildir like the 10k/100k seeds (both were measured here, bench/README.md):
//  - a 1M Maildir is a million files in .bench-data/: `vsce package` walks the whole worktree
//    before it applies .vscodeignore and took over 10 minutes (npm run package, bench:e2e, test:e2e);
//    the mdbox is ~2,400 files of 10 MB;
//  - on a 1M Maildir every new IMAP session reads the 52 MB dovecot-uidlist: SELECT costs ~0.9-1.4 s
//    on the server, which would bury what the client does; mdbox has no uidlist;
//  - cloning links ~2,400 files instead of a million (13-19 s), and tearing down is as quick.
// mdbox cannot be written directly: messages are generated as Maildir chunks (same generator, same
// content and order as a Maildir seed would have) and imported with doveadm, then Dovecot caches
// every envelope once (the full ENVELOPE fetch a long-lived server has long done), and the whole
// mailbox directory, index included, becomes the seed.
//
// Layout:  .bench-data/mdbox-<SEED_VERSION>-<label>/{storage/m.*, mailboxes/INBOX/…, dovecot.*, seed.json}
// Clones hard-link storage/m.* (made read-only: nothing in the benchmark writes messages there;
// flags and the cache live in the index files, which are copied).
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startDovecot } from '../test/harness/dovecot';
import {
  DISK_MARGIN_BYTES, freeBytes, MessageGenerator, type Owner, removeStaleTemps, SEED_VERSION, seedBytesEstimate, seedMeta, type SeedMeta,
  writeMaildirMessages,
} from './seed';
import { allowBigMailboxes, type ServerState, settle, warmServer } from './server-state';

const run = promisify(execFile);
const DOVEADM = '/usr/bin/doveadm';
const CHUNK = 100_000;
const STORAGE_FILE = /^m\.\d+$/;

export const MDBOX_COUNTS: Readonly<Record<string, number>> = { '1m': 1_000_000 };

export interface MdboxSeedMeta extends SeedMeta {
  format: 'mdbox';
  dovecot: string;
  /** doveadm import of all chunks (Dovecot builds the index meanwhile) */
  importMs: number;
  /** Dovecot's first full ENVELOPE fetch (parses every message into its cache) */
  firstFullFetchMs: number;
  /** the whole seeding: generate + import + cache */
  seedMs: number;
  diskBytes: number;
  storageFiles: number;
}

export function mdboxSeedDir(cacheRoot: string, label: string): string {
  return path.join(cacheRoot, `mdbox-${SEED_VERSION}-${label}`);
}

function du(p: string): number {
  return Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]);
}

/** The cached mdbox seed of `label`, seeding it first (~8 min for 1M) when missing or made by another Dovecot. */
export async function ensureMdboxSeed(
  cacheRoot: string, label: string, owner: Owner | null, dovecot: string, log: (msg: string) => void,
): Promise<{ dir: string; meta: MdboxSeedMeta; generated: boolean }> {
  const count = MDBOX_COUNTS[label];
  if (!count) throw new Error(`unknown mdbox size ${label}`);
  const dir = mdboxSeedDir(cacheRoot, label);
  const metaFile = path.join(dir, 'seed.json');
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as MdboxSeedMeta;
    if (meta.version === SEED_VERSION && meta.count === count && meta.dovecot === dovecot) return { dir, meta, generated: false };
    log(`${metaFile} was made for ${meta.version}/${meta.dovecot}: seeding again`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(cacheRoot, { recursive: true });
  removeStaleTemps(cacheRoot);
  const need = seedBytesEstimate(count) + seedBytesEstimate(CHUNK) + 1e9; // + one chunk + the index
  const free = freeBytes(cacheRoot);
  if (free - need < DISK_MARGIN_BYTES) {
    throw new Error(`not enough disk for the ${label} mdbox seed in ${cacheRoot}: it needs ~${(need / 1e9).toFixed(1)} GB and ` +
      `${(DISK_MARGIN_BYTES / 1e9).toFixed(0)} GB must stay free, but only ${(free / 1e9).toFixed(1)} GB are (use --data-dir elsewhere, or --no-1m)`);
  }
  const t0 = performance.now();
  log(`seeding ${label} (${count} messages) as mdbox into ${dir} (once: ~8 min) …`);
  // bob's mailbox starts empty (alice's holds the harness's fixtures), so the UIDs are 1..count.
  const server = await startDovecot({ mailFormat: 'mdbox' });
  try {
    await server.stop();
    allowBigMailboxes(server);
    await server.start();
    const conf = path.join(server.dir, 'dovecot.conf');
    const gen = new MessageGenerator(count);
    let totalBytes = 0;
    let generateMs = 0;
    let importMs = 0;
    for (let from = 0; from < count; from += CHUNK) {
      const to = Math.min(count, from + CHUNK);
      const chunk = path.join(server.dir, 'chunk');
      const maildir = path.join(chunk, 'Maildir');
      const control = path.join(chunk, 'control');
      for (const d of [chunk, maildir, control, ...['cur', 'new', 'tmp'].map((s) => path.join(maildir, s))]) {
        fs.mkdirSync(d, { recursive: true, mode: 0o755 });
        if (owner) fs.chownSync(d, owner.uid, owner.gid);
      }
      let g0 = performance.now();
      totalBytes += writeMaildirMessages(gen, from, to, path.join(maildir, 'cur'), owner, () => undefined);
      generateMs += performance.now() - g0;
      g0 = performance.now();
      // Keeps the order (UIDs), flags and INTERNALDATEs; the chunk's own index goes to `control`.
      await run(DOVEADM, ['-c', conf, 'import', '-u', 'bob', `maildir:${maildir}:CONTROL=${control}:INDEX=${control}`, '', 'mailbox', 'INBOX', 'ALL'],
        { maxBuffer: 16 * 1024 * 1024 });
      importMs += performance.now() - g0;
      fs.rmSync(chunk, { recursive: true, force: true });
      log(`  ${to}/${count} (${Math.round((performance.now() - t0) / 1000)} s)`);
    }
    const status = await run(DOVEADM, ['-c', conf, 'mailbox', 'status', '-u', 'bob', 'messages', 'INBOX']);
    if (Number(/messages=(\d+)/.exec(status.stdout)?.[1]) !== count) throw new Error(`mdbox seed: ${status.stdout.trim()}`);
    const meta0 = seedMeta(label, gen, totalBytes, Math.round(generateMs));
    const state: ServerState = { server, user: 'bob', pass: server.users.bob.pass, count, meta: meta0, settleMs: 0, lastWriteAt: 0, unsettled: [], log };
    log(`  imported in ${Math.round(importMs / 1000)} s; Dovecot caches every envelope now …`);
    const warm = await warmServer(state);
    state.lastWriteAt = Date.now();
    await settle(state, `${label} mdbox seed`, { touch: true });
    await server.stop();
    const tmp = path.join(cacheRoot, `.tmp-mdbox-${SEED_VERSION}-${label}-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    moveDir(path.join(server.dir, 'home', 'bob', 'mdbox'), tmp);
    const storage = fs.readdirSync(path.join(tmp, 'storage')).filter((n) => STORAGE_FILE.test(n));
    for (const n of storage) fs.chmodSync(path.join(tmp, 'storage', n), 0o440);
    const meta: MdboxSeedMeta = {
      ...meta0, format: 'mdbox', dovecot, importMs: Math.round(importMs), firstFullFetchMs: Math.round(warm.firstFullFetchMs),
      seedMs: Math.round(performance.now() - t0), diskBytes: du(tmp), storageFiles: storage.length,
    };
    fs.writeFileSync(path.join(tmp, 'seed.json'), JSON.stringify(meta, null, 2) + '\n');
    fs.renameSync(tmp, dir);
    log(`seeded ${label} mdbox: ${(meta.diskBytes / 1e9).toFixed(1)} GB in ${Math.round(meta.seedMs / 1000)} s ` +
      `(generate ${Math.round(generateMs / 1000)} s, import ${Math.round(importMs / 1000)} s, first full ENVELOPE fetch ${Math.round(warm.firstFullFetchMs / 1000)} s)`);
    return { dir, meta, generated: true };
  } finally {
    await server.dispose();
  }
}

function moveDir(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    execFileSync('cp', ['-a', from, to]);
    fs.rmSync(from, { recursive: true, force: true });
  }
}

/**
 * A fresh mdbox at `target` (the server stopped): storage files hard-linked from the seed, the
 * index files copied (Dovecot changes them in place), everything owned by `owner`.
 */
export function cloneMdboxSeed(seedDir: string, target: string, owner: Owner | null): { ms: number; linked: boolean } {
  const t0 = performance.now();
  fs.rmSync(target, { recursive: true, force: true });
  let linked = true;
  const walk = (from: string, to: string, inStorage: boolean): void => {
    fs.mkdirSync(to, { mode: 0o700 });
    if (owner) fs.chownSync(to, owner.uid, owner.gid);
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, e.name);
      const dst = path.join(to, e.name);
      if (e.isDirectory()) {
        walk(src, dst, e.name === 'storage' && from === seedDir);
        continue;
      }
      if (from === seedDir && e.name === 'seed.json') continue;
      if (inStorage && STORAGE_FILE.test(e.name) && linked) {
        try {
          fs.linkSync(src, dst);
          continue;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
          linked = false;
        }
      }
      fs.copyFileSync(src, dst);
      const st = fs.statSync(src);
      fs.chmodSync(dst, st.mode & 0o777);
      if (owner) fs.chownSync(dst, owner.uid, owner.gid);
      fs.utimesSync(dst, st.atime, st.mtime);
    }
  };
  walk(seedDir, target, false);
  return { ms: performance.now() - t0, linked };
}

