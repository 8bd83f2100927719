// Dovecot's state while benchmarking: the same warm-up and steady state for every measurement
// that compares the core (or the extension) with a raw IMAP client.
import type { TestServer } from '../test/harness/dovecot';
import { RawImap, selectInfo, serverMs } from './raw-imap';
import type { SeedMeta } from './seed';

export const PAGE = 50;
export const SUMMARY_ITEMS = 'UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE';
export const INDEX_ITEMS = 'UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE';
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerState {
  server: TestServer;
  /** alice's password; her INBOX (and for bench:e2e a folder "Big") holds the seed */
  pass: string;
  count: number;
  meta: SeedMeta;
  /** total time spent waiting for the Maildir to settle */
  settleMs: number;
  /** Date.now() of the last write to the Maildir (flag changes) */
  lastWriteAt: number;
  /** settle() calls that gave up */
  unsettled: string[];
  log: (msg: string) => void;
}

export function rawLogin(env: ServerState): Promise<RawImap> {
  return RawImap.login({ host: env.server.host, port: env.server.imapsPort, ca: env.server.ca, user: 'alice', pass: env.pass });
}

/**
 * Brings Dovecot's Maildir back to its steady state before something is measured (bounded, ~10 s).
 *
 * Two Dovecot behaviours would otherwise put server work of earlier actions into the next sample:
 *  - A Maildir directory modified within MAILDIR_SYNC_SECS (1 s, compared in whole seconds) cannot
 *    be trusted, so every new session rescans cur/ (at 100k: 100-700 ms per SELECT) until a sync
 *    sees the mtime old enough. Flag changes start such a window. So: wait until 1.1 s after the
 *    last write and let SELECTs do the final rescan. Changes "made elsewhere" are thereby made a
 *    little while before the reopen that should see them, as in real use.
 *  - Big index-log transactions (building the index, the warm-up caching 100k envelopes) leave
 *    every new session replaying megabytes of log (~120 ms per SELECT at 100k) until a sync that
 *    commits a change brings the index header up to date. `touch` makes such a change (sets and
 *    clears \Flagged on UID 1); it is done once, after the warm-up.
 * Settled = a fresh session's SELECT costs at most 5 ms + 0.2 ms per 1000 messages on the server,
 * twice in a row. (The steady state is not free: once CONDSTORE was used on a folder, Dovecot's
 * SELECT costs ~10 ms at 100k, and the first FETCH of each session ~100 ms. A rescan or a log
 * replay costs far more: ~30 ms at 10k, 100-700 ms at 100k.)
 */
export async function settle(env: ServerState, why: string, opts: { touch?: boolean; mailbox?: string } = {}): Promise<void> {
  const mailbox = opts.mailbox ?? 'INBOX';
  const t0 = performance.now();
  if (opts.touch) {
    const c = await rawLogin(env);
    try {
      await c.ok(`SELECT ${mailbox}`, { timeoutMs: 120_000 });
      await c.ok('UID STORE 1 +FLAGS.SILENT (\\Flagged)');
      await c.ok('UID STORE 1 -FLAGS.SILENT (\\Flagged)');
    } finally {
      await c.logout();
    }
    env.lastWriteAt = Date.now();
  }
  const sinceWrite = Date.now() - env.lastWriteAt;
  if (sinceWrite < 1100) await sleep(1100 - sinceWrite);
  const limitMs = 5 + (0.2 * env.count) / 1000;
  let fast = 0;
  let last = NaN;
  for (let i = 0; i < 25 && fast < 2 && performance.now() - t0 < 8_000; i++) {
    const c = await rawLogin(env);
    try {
      last = serverMs((await c.ok(`SELECT ${mailbox}`, { timeoutMs: 120_000 })).text) ?? 0;
    } finally {
      await c.logout();
    }
    fast = last <= limitMs ? fast + 1 : 0;
    if (fast === 0) await sleep(250);
  }
  env.settleMs += performance.now() - t0;
  if (fast < 2) {
    env.unsettled.push(`${why}: SELECT still ${last} ms on the server`);
    env.log(`  warning: Dovecot did not settle (${why}); last SELECT took ${last} ms on the server`);
  }
}

export async function warmServer(env: ServerState, mailbox = 'INBOX'): Promise<{ firstFullFetchMs: number; secondFullFetchMs: number }> {
  const c = await rawLogin(env);
  try {
    // Like the core (imapflow enables CONDSTORE/QRESYNC): the first such session makes Dovecot
    // start tracking modseqs for the whole folder (~100 ms at 100k), a one-time cost.
    await c.ok('ENABLE CONDSTORE QRESYNC');
    const sel = selectInfo((await c.ok(`SELECT ${mailbox}`, { collect: true, timeoutMs: 120_000 })).lines);
    if (sel.exists !== env.count) throw new Error(`${mailbox} has ${sel.exists} messages, expected ${env.count}`);
    let t = performance.now();
    await c.ok(`UID FETCH 1:* (${INDEX_ITEMS})`, { timeoutMs: 600_000 });
    const firstFullFetchMs = performance.now() - t;
    await c.ok(`FETCH ${sel.exists - 2 * PAGE + 1}:${sel.exists} (${SUMMARY_ITEMS} BODY.PEEK[HEADER])`);
    await c.ok(`UID FETCH ${env.meta.bigUid} (BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[1.1] BODY.PEEK[1.2])`);
    t = performance.now();
    await c.ok(`UID FETCH 1:* (${INDEX_ITEMS})`, { timeoutMs: 600_000 });
    const secondFullFetchMs = performance.now() - t;
    return { firstFullFetchMs, secondFullFetchMs };
  } finally {
    await c.logout();
  }
}

export function cpuMsSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** What the first page costs the least IMAP client: a new session's SELECT + FETCH of the newest PAGE summaries. */
export async function rawFirstPage(env: ServerState, mailbox = 'INBOX'): Promise<{ ms: number; inclLoginMs: number; wireBytes: number; cpuMs: number; serverMs: number }> {
  const t0 = performance.now();
  const c = await rawLogin(env);
  try {
    const b0 = c.bytesIn + c.bytesOut;
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const r1 = await c.ok(`SELECT ${mailbox}`, { collect: true });
    const sel = selectInfo(r1.lines);
    const f = await c.ok(`FETCH ${Math.max(1, sel.exists - PAGE + 1)}:${sel.exists} (${SUMMARY_ITEMS})`);
    const t2 = performance.now();
    const cpuMs = cpuMsSince(c0);
    if (f.untaggedCount < PAGE) throw new Error(`raw page: ${f.untaggedCount} responses`);
    return {
      ms: t2 - t1, inclLoginMs: t2 - t0, wireBytes: c.bytesIn + c.bytesOut - b0, cpuMs,
      serverMs: (serverMs(r1.text) ?? 0) + (serverMs(f.text) ?? 0),
    };
  } finally {
    await c.logout();
  }
}
