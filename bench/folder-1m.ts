// The 1,000,000-message folder: what stays the same and what grows when a folder is 10x the 100k
// one. Through the core's public API (core-api.ts) against the raw client, on the same server:
// the cold first page, the heap with the folder open, "Load more" page by page, and a server search.
import * as path from 'node:path';
import { type BenchAccount, CoreAccount, type SearchQuery } from './core-api';
import { log, MB, med, median, paired, r1, r2, roundAll, sampled } from './measure';
import { RawImap, selectInfo, serverMs } from './raw-imap';
import type { Owner } from './seed';
import { cloneMdboxSeed } from './seed-mdbox';
import { allowBigMailboxes, cpuMsSince, PAGE, rawFirstPage, rawLogin, type ServerState, settle, sleep, SUMMARY_ITEMS } from './server-state';

export interface Folder1MEnv extends ServerState {
  account: BenchAccount;
  reps: number;
  gc: (() => void) | null;
  /** how long the folder stays open and idle for the heap drift */
  idleMs: number;
}

/** "Load more" clicks per sample: pages 2..NEXT_PAGES+1. */
export const NEXT_PAGES = 10;

/** Searches a person runs on a big folder: a header text (Dovecot reads it from every message) and a flag (index only). */
export const SEARCHES: ReadonlyArray<{ key: string; query: SearchQuery; raw: string; note: string }> = [
  { key: 'Subject', query: { subject: 'Security advisory' }, raw: 'SUBJECT "Security advisory"', note: 'subject:"Security advisory" (~1 in 18 match)' },
  { key: 'Flagged', query: { flagged: true }, raw: 'FLAGGED', note: 'is:flagged (~1 in 97 match)' },
];

export type Folder1MResult = Record<string, unknown> & { samples: Record<string, unknown> };

export async function bench1M(env: Folder1MEnv): Promise<Folder1MResult> {
  const samples: Record<string, unknown> = {};
  const result: Folder1MResult = { messages: env.count, samples };
  const newAccount = (): CoreAccount => new CoreAccount(env.account);

  // --- heap: the folder open (first page listed, watched on its IDLE connection, as the extension keeps INBOX) ---
  {
    const gc = env.gc ?? ((): void => undefined);
    const heapNow = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };
    const open = await sampled('1m: heap with the folder open', Math.min(env.reps, 3), async () => {
      const base = heapNow();
      const account = newAccount();
      try {
        await account.connect();
        const page = await account.listPage('INBOX', { pageSize: PAGE });
        const stop = await account.watch('INBOX');
        try {
          if (page.messages.length !== PAGE || page.exists !== env.count) throw new Error(`1m heap: page of ${page.messages.length}/${page.exists}`);
          return (heapNow() - base) / MB;
        } finally {
          stop();
        }
      } finally {
        await account.dispose();
      }
    });
    // Then once: does the heap grow while nothing happens and the folder stays open?
    const base = heapNow();
    const account = newAccount();
    let drift: { openMB: number; afterIdleMB: number };
    try {
      await account.connect();
      await account.listPage('INBOX', { pageSize: PAGE });
      const stop = await account.watch('INBOX');
      try {
        const opened = heapNow();
        await sleep(env.idleMs);
        const after = heapNow();
        drift = { openMB: (opened - base) / MB, afterIdleMB: (after - base) / MB };
      } finally {
        stop();
      }
    } finally {
      await account.dispose();
    }
    log(`  1m: heap open ${drift.openMB.toFixed(2)} MB, after ${Math.round(env.idleMs / 1000)} s idle ${drift.afterIdleMB.toFixed(2)} MB`);
    samples.heapMB = open.map(r2);
    Object.assign(result, {
      heapMB: r2(median(open)),
      heapIdleDriftMB: r2(drift.afterIdleMB - drift.openMB),
      heapIdleSeconds: Math.round(env.idleMs / 1000),
    });
  }

  // --- cold first page ------------------------------------------------------------------------
  await settle(env, '1m: before cold first page');
  {
    const s = await paired('1m: cold first page', env.reps, async () => {
      const account = newAccount();
      try {
        await account.connect();
        account.wireStats(true);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const page = await account.listPage('INBOX', { pageSize: PAGE });
        const ms = performance.now() - t0;
        const cpuMs = cpuMsSince(c0);
        const st = account.wireStats();
        if (page.messages.length !== PAGE || page.exists !== env.count || !page.hasMore) throw new Error(`1m core page: ${page.messages.length} of ${page.exists}`);
        return { ms, wireBytes: st.sent + st.received, cpuMs };
      } finally {
        await account.dispose();
      }
    }, () => rawFirstPage(env));
    samples.coldFirstPage = { core: s.core.map(roundAll), raw: s.raw.map(roundAll) };
    Object.assign(result, {
      coldFirstPageMs: r1(med(s.core, (x) => x.ms)),
      coldFirstPageCpuMs: r1(med(s.core, (x) => x.cpuMs)),
      coldFirstPageWireBytes: med(s.core, (x) => x.wireBytes),
      rawColdFirstPageMs: r1(med(s.raw, (x) => x.ms)),
      rawColdFirstPageServerMs: r1(med(s.raw, (x) => x.serverMs)),
      rawColdFirstPageWireBytes: med(s.raw, (x) => x.wireBytes),
    });
  }

  // --- "Load more": pages 2..11 after the first, each timed ---------------------------------------
  // Raw: a client that remembers the sequence numbers of the page it showed asks for the 50 before
  // them (FETCH a:b). The core pages by UID (what it shows survives expunges in between).
  await settle(env, '1m: before load more');
  {
    const s = await paired('1m: load more (10 pages per sample)', Math.min(env.reps, 3), async () => {
      const account = newAccount();
      try {
        await account.connect();
        let page = await account.listPage('INBOX', { pageSize: PAGE });
        const pages: number[] = [];
        for (let k = 0; k < NEXT_PAGES; k++) {
          const before = page.messages.at(-1)!.uid;
          const t0 = performance.now();
          page = await account.listPage('INBOX', { pageSize: PAGE, before });
          pages.push(performance.now() - t0);
          if (page.messages.length !== PAGE || page.messages[0]!.uid >= before) throw new Error(`1m load more: page ${k + 2} wrong`);
        }
        return pages;
      } finally {
        await account.dispose();
      }
    }, async () => {
      const c = await rawLogin(env);
      try {
        const sel = selectInfo((await c.ok('SELECT INBOX', { collect: true })).lines);
        await c.ok(`FETCH ${sel.exists - PAGE + 1}:${sel.exists} (${SUMMARY_ITEMS})`);
        const pages: Array<{ ms: number; serverMs: number | undefined }> = [];
        for (let k = 1; k <= NEXT_PAGES; k++) {
          const end = sel.exists - k * PAGE;
          const t0 = performance.now();
          const r = await c.ok(`FETCH ${end - PAGE + 1}:${end} (${SUMMARY_ITEMS})`);
          pages.push({ ms: performance.now() - t0, serverMs: serverMs(r.text) });
          if (r.untaggedCount !== PAGE) throw new Error(`1m raw load more: ${r.untaggedCount} responses`);
        }
        return pages;
      } finally {
        await c.logout();
      }
    });
    const core = s.core.flat();
    const raw = s.raw.flat();
    samples.nextPage = { core: core.map(r2), raw: raw.map(roundAll) };
    Object.assign(result, {
      nextPageMs: r1(median(core)),
      rawNextPageMs: r1(med(raw, (x) => x.ms)),
      rawNextPageServerMs: r1(med(raw, (x) => x.serverMs)),
    });
  }

  // --- server search: all matching UIDs, and the summaries of the newest 50 of them ----------------
  // Both on a session that has INBOX open (a person searches the folder they are looking at).
  await settle(env, '1m: before search');
  for (const search of SEARCHES) {
    const account = newAccount();
    let raw: RawImap | undefined;
    try {
      await account.connect();
      await account.listPage('INBOX', { pageSize: PAGE });
      raw = await rawLogin(env);
      const rc = raw;
      await rc.ok('SELECT INBOX');
      // Dovecot's first search of a header reads it from every file and then caches it: reported, not paired.
      const f0 = performance.now();
      const first = await rc.ok(`UID SEARCH ${search.raw}`, { timeoutMs: 600_000 });
      const firstMs = performance.now() - f0;
      const s = await paired(`1m: search ${search.key}`, Math.min(env.reps, 3), async () => {
        const t0 = performance.now();
        const r = await account.search('INBOX', search.query, PAGE);
        const ms = performance.now() - t0;
        if (r.uids.length < PAGE || r.messages.length !== PAGE) throw new Error(`1m search ${search.key}: ${r.uids.length} matches`);
        return { ms, matches: r.uids.length };
      }, async () => {
        const t0 = performance.now();
        const r = await rc.ok(`UID SEARCH ${search.raw}`, { collect: true, timeoutMs: 600_000 });
        const line = r.lines.find((l) => /^\* SEARCH/i.test(l)) ?? '';
        const uids = line.slice(8).trim().split(/\s+/).filter(Boolean).map(Number).sort((a, b) => b - a);
        const f = await rc.ok(`UID FETCH ${uids.slice(0, PAGE).join(',')} (${SUMMARY_ITEMS})`);
        const ms = performance.now() - t0;
        if (f.untaggedCount !== PAGE) throw new Error(`1m raw search ${search.key}: fetched ${f.untaggedCount}`);
        return { ms, matches: uids.length, serverMs: (serverMs(r.text) ?? 0) + (serverMs(f.text) ?? 0) };
      });
      samples[`search${search.key}`] = { core: s.core.map(roundAll), raw: s.raw.map(roundAll) };
      Object.assign(result, {
        [`search${search.key}Ms`]: r1(med(s.core, (x) => x.ms)),
        [`rawSearch${search.key}Ms`]: r1(med(s.raw, (x) => x.ms)),
        [`rawSearch${search.key}ServerMs`]: r1(med(s.raw, (x) => x.serverMs)),
        [`search${search.key}Matches`]: s.raw[0]?.matches,
        [`serverFirstSearch${search.key}Ms`]: r1(serverMs(first.text) ?? firstMs),
        [`search${search.key}Note`]: search.note,
      });
    } finally {
      await raw?.logout();
      await account.dispose();
    }
  }
  result.settleMs = Math.round(env.settleMs);
  result.unsettled = env.unsettled;
  return result;
}

export interface Prepared1M {
  cloneMs: number;
  linked: boolean;
  /** the first SELECT on this run's clone (the index came with the seed) */
  firstSelectMs: number;
}

/** Replaces alice's mdbox by a clone of the 1M seed (index included) and brings the server to its steady state. */
export async function prepareFolder1M(env: ServerState, seedDir: string, owner: Owner | null): Promise<Prepared1M> {
  const { server } = env;
  if (server.mailFormat !== 'mdbox') throw new Error('the 1M folder needs an mdbox server');
  await server.stop();
  allowBigMailboxes(server);
  const clone = cloneMdboxSeed(seedDir, path.join(server.dir, 'home', 'alice', 'mdbox'), owner);
  await server.start();
  log(`1m: cloned the seed in ${(clone.ms / 1000).toFixed(1)} s${clone.linked ? ' (storage hard-linked)' : ' (COPIED: the seed is on another file system)'}`);
  const c = await rawLogin(env);
  let firstSelectMs: number;
  try {
    const t0 = performance.now();
    const r = await c.ok('SELECT INBOX', { collect: true, timeoutMs: 600_000 });
    firstSelectMs = performance.now() - t0;
    if (selectInfo(r.lines).exists !== env.count) throw new Error(`1m: INBOX has ${selectInfo(r.lines).exists} messages`);
  } finally {
    await c.logout();
  }
  await settle(env, '1m: after clone');
  return { cloneMs: Math.round(clone.ms), linked: clone.linked, firstSelectMs: Math.round(firstSelectMs) };
}
