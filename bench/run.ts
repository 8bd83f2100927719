// `npm run bench` (= node --import tsx bench/run.ts): the core against a raw node:tls client on a
// private Dovecot with 10k- and 100k-message Maildir folders, then a 1,000,000-message one
// (folder-1m.ts). `-- --quick` measures 10k only; `-- --no-1m` leaves the 1M folder out.
//
// stdout: a table, then (last line) one JSON object with the results. Progress goes to stderr.
// Options: --quick | --sizes 1k,10k,100k | --no-1m | --only-1m | --reps N | --data-dir DIR (default <repo>/.bench-data)
//
// How: seeds are generated once into .bench-data/ (see seed.ts) and hard-link cloned into the
// Dovecot of each run (the benchmark changes flags). One Dovecot (test/harness/dovecot.ts) serves
// all sizes: for each, it is stopped, alice's Maildir is replaced by the clone, and it is started
// again. Before measuring a size the server cache is warmed (full ENVELOPE fetches, the first
// pages with BODYSTRUCTURE), and Dovecot is brought to its steady state (see settle()). Every
// measurement runs once unrecorded, then core and raw samples alternate; medians are reported.
// The raw client's numbers come with Dovecot's own processing time ("server" column), the part
// no client can save.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot, type TestServer } from '../test/harness/dovecot';
import { type BenchAccount, CoreAccount, type MessageRef, planMessage } from './core-api';
import { getGc, log, mailOwner, MB, med, median, paired, r1, r2, roundAll, sampled } from './measure';
import { RawImap, selectInfo, serverMs } from './raw-imap';
import { cpuMsSince, INDEX_ITEMS, PAGE, rawFirstPage, rawLogin, type ServerState, settle, warmServer } from './server-state';
import { cloneSeed, ensureSeed, isSeededFlagged, SEED_VERSION, SIZE_COUNTS, type SeedMeta } from './seed';
import { bench1M, type Folder1MEnv, type Folder1MResult, NEXT_PAGES, prepareFolder1M, SEARCHES } from './folder-1m';
import { ensureMdboxSeed, type MdboxSeedMeta } from './seed-mdbox';
import { measureWarmReopen, WARM_REOPEN_NOTE, type WarmReopenSample } from './warm-reopen';

const REPO = path.resolve(__dirname, '..');

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

interface Options {
  quick: boolean;
  sizes: string[];
  /** measure the 1M folder too (default in the full run) */
  with1M: boolean;
  reps: number;
  dataDir: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, sizes: [], with1M: true, reps: 0, dataDir: path.join(REPO, '.bench-data') };
  let only1M = false;
  let no1M = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--sizes') o.sizes = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--no-1m') no1M = true;
    else if (a === '--only-1m') only1M = true;
    else if (a === '--reps') o.reps = Math.max(1, Math.min(50, Number(value()) || 5));
    else if (a === '--data-dir') o.dataDir = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stderr.write('usage: node --import tsx bench/run.ts [--quick] [--sizes 1k,10k,100k] [--no-1m | --only-1m] [--reps N] [--data-dir DIR]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (only1M && (no1M || o.quick || o.sizes.length)) throw new Error('--only-1m goes with neither --no-1m, --quick nor --sizes');
  if (o.sizes.length === 0 && !only1M) o.sizes = o.quick ? ['10k'] : ['10k', '100k'];
  o.with1M = only1M || (!o.quick && !no1M);
  if (o.reps === 0) o.reps = o.quick ? 3 : 5;
  for (const s of o.sizes) {
    if (s === '1m') throw new Error('the 1M folder has its own measurements: it runs after --sizes unless --no-1m (or alone with --only-1m)');
    if (!SIZE_COUNTS[s]) throw new Error(`unknown size ${s} (known: ${Object.keys(SIZE_COUNTS).filter((k) => k !== '1m').join(', ')})`);
  }
  o.sizes.sort((a, b) => SIZE_COUNTS[a]! - SIZE_COUNTS[b]!);
  return o;
}

// ---------------------------------------------------------------------------
// one size
// ---------------------------------------------------------------------------

interface SizeEnv extends ServerState {
  label: string;
  account: BenchAccount;
  reps: number;
  fullReps: number;
  workDir: string;
  gc: (() => void) | null;
}

type SizeResult = Record<string, unknown> & { samples: Record<string, unknown> };

function newAccount(env: SizeEnv): CoreAccount {
  return new CoreAccount(env.account);
}

/**
 * Flags changed "elsewhere": \Flagged added to messages not flagged yet, spread over the folder
 * (never the first page), each time by a fresh session that logs out again, like another client.
 */
class FlagChanger {
  private used = new Set<number>();
  private k = 0;
  constructor(private readonly env: SizeEnv) {}

  /** `n` changes, then waits until the server has settled (the changes were made "a while ago"). */
  async change(n: number): Promise<void> {
    const uids: number[] = [];
    // bounded: at most 100 tries per wanted UID
    for (let tries = 0; uids.length < n && tries < n * 100; tries++) {
      this.k++;
      const uid = 2 + ((this.k * 7919) % Math.max(1, this.env.count - 2 * PAGE)); // not UID 1 (settle's), not the first page
      if (this.used.has(uid) || isSeededFlagged(uid) || uid === this.env.meta.bigUid) continue;
      this.used.add(uid);
      uids.push(uid);
    }
    if (uids.length < n) throw new Error('ran out of messages to flag');
    const c = await rawLogin(this.env);
    try {
      await c.ok('SELECT INBOX', { timeoutMs: 120_000 });
      await c.ok(`UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Flagged)`);
    } finally {
      await c.logout();
    }
    this.env.lastWriteAt = Date.now();
    await settle(this.env, 'after flag changes');
  }
}

async function benchSize(env: SizeEnv): Promise<SizeResult> {
  const { reps } = env;
  const samples: Record<string, unknown> = {};
  const result: SizeResult = { messages: env.count, samples };

  log(`${env.label}: warming the server cache …`);
  const warm = await warmServer(env);
  result.serverWarmupFirstFullFetchMs = Math.round(warm.firstFullFetchMs);
  log(`${env.label}: first full ENVELOPE fetch ${Math.round(warm.firstFullFetchMs)} ms (Dovecot parsing/caching), later ${Math.round(warm.secondFullFetchMs)} ms`);
  env.lastWriteAt = Date.now(); // the warm-up filled Dovecot's cache
  await settle(env, 'after warm-up', { touch: true });

  // --- heap: the core opening the folder's first page -----------------------------------------
  {
    const gc = env.gc ?? ((): void => undefined);
    const heap = await sampled('heap after first page', Math.min(reps, 3), async () => {
      gc(); gc();
      const base = process.memoryUsage().heapUsed;
      const account = newAccount(env);
      try {
        await account.connect();
        const page = await account.listPage('INBOX', { pageSize: PAGE });
        gc(); gc();
        const after = process.memoryUsage().heapUsed;
        if (page.messages.length !== PAGE) throw new Error('short page');
        return (after - base) / MB;
      } finally {
        await account.dispose();
      }
    });
    samples.heapMB = heap.map(r2);
    result.heapMB = r2(median(heap));
  }

  // --- cold first page --------------------------------------------------------------------------
  await settle(env, 'before cold first page');
  let ref: MessageRef | undefined;
  {
    const s = await paired('cold first page', reps, async () => {
      const t0 = performance.now();
      const account = newAccount(env);
      try {
        await account.connect();
        account.wireStats(true);
        const c0 = process.cpuUsage();
        const t1 = performance.now();
        const page = await account.listPage('INBOX', { pageSize: PAGE });
        const t2 = performance.now();
        const cpuMs = cpuMsSince(c0);
        const st = account.wireStats();
        if (page.messages.length !== PAGE || page.exists !== env.count) throw new Error(`core page: ${page.messages.length} of ${page.exists}`);
        const big = page.messages.find((m) => m.uid === env.meta.bigUid);
        if (!big || !big.hasAttachments || big.size < 5 * MB) throw new Error('the big message is not in the first page as expected');
        ref = { mailbox: big.mailbox, uidValidity: big.uidValidity, uid: big.uid };
        return { ms: t2 - t1, inclLoginMs: t2 - t0, wireBytes: st.sent + st.received, cpuMs };
      } finally {
        await account.dispose();
      }
    }, () => rawFirstPage(env));
    samples.coldFirstPage = { core: s.core.map(roundAll), raw: s.raw.map(roundAll) };
    Object.assign(result, {
      coldFirstPageMs: r1(med(s.core, (x) => x.ms)),
      coldFirstPageInclLoginMs: r1(med(s.core, (x) => x.inclLoginMs)),
      coldFirstPageWireBytes: med(s.core, (x) => x.wireBytes),
      coldFirstPageCpuMs: r1(med(s.core, (x) => x.cpuMs)),
      rawColdFirstPageMs: r1(med(s.raw, (x) => x.ms)),
      rawColdFirstPageInclLoginMs: r1(med(s.raw, (x) => x.inclLoginMs)),
      rawColdFirstPageWireBytes: med(s.raw, (x) => x.wireBytes),
      rawColdFirstPageCpuMs: r1(med(s.raw, (x) => x.cpuMs)),
      rawColdFirstPageServerMs: r1(med(s.raw, (x) => x.serverMs)),
    });
  }
  if (!ref) throw new Error('no reference to the big message');
  const bigRef: MessageRef = ref;

  // --- warm reopen ------------------------------------------------------------------------------
  {
    const changer = new FlagChanger(env);
    const cacheDir = path.join(env.workDir, 'warm-reopen-cache');
    fs.mkdirSync(cacheDir, { recursive: true });
    const s = await paired('warm reopen', reps, (): Promise<WarmReopenSample> =>
      measureWarmReopen({ newAccount: () => newAccount(env), changeFlagsElsewhere: (n) => changer.change(n), pageSize: PAGE }, cacheDir),
    async () => {
      // previous session: remembers UIDVALIDITY and HIGHESTMODSEQ
      const prev = await rawLogin(env);
      let known: ReturnType<typeof selectInfo>;
      try {
        await prev.ok('ENABLE QRESYNC');
        known = selectInfo((await prev.ok('SELECT INBOX', { collect: true })).lines);
      } finally {
        await prev.logout();
      }
      if (!known.highestModseq) throw new Error('no HIGHESTMODSEQ from the server');
      await changer.change(10);
      const c = await rawLogin(env);
      try {
        await c.ok('ENABLE QRESYNC');
        const b0 = c.bytesIn + c.bytesOut;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await c.ok(`SELECT INBOX (QRESYNC (${known.uidValidity} ${known.highestModseq}))`, { collect: true });
        const ms = performance.now() - t0;
        const cpuMs = cpuMsSince(c0);
        const changes = r.lines.filter((l) => /^\* \d+ FETCH /i.test(l)).length;
        if (changes < 10) throw new Error(`QRESYNC reopen reported ${changes} changes, expected >= 10`);
        return { ms, wireBytes: c.bytesIn + c.bytesOut - b0, cpuMs, changesSeen: changes, serverMs: serverMs(r.text) };
      } finally {
        await c.logout();
      }
    });
    samples.warmReopen = { core: s.core.map(roundAll), raw: s.raw.map(roundAll) };
    Object.assign(result, {
      warmReopenMs: r1(med(s.core, (x) => x.ms)),
      warmReopenWireBytes: med(s.core, (x) => x.wireBytes),
      warmReopenCpuMs: r1(med(s.core, (x) => x.cpuMs)),
      warmReopenNote: WARM_REOPEN_NOTE,
      rawWarmReopenMs: r1(med(s.raw, (x) => x.ms)),
      rawWarmReopenWireBytes: med(s.raw, (x) => x.wireBytes),
      rawWarmReopenServerMs: r1(med(s.raw, (x) => x.serverMs)),
      rawWarmReopenChangesSeen: med(s.raw, (x) => x.changesSeen),
    });
  }

  // --- big message open -------------------------------------------------------------------------
  // Both sides on a session that already has INBOX selected (in the app, the list was shown first).
  await settle(env, 'before big message');
  {
    const account = newAccount(env);
    let rc: RawImap | undefined;
    try {
      await account.connect();
      await account.listPage('INBOX', { pageSize: PAGE });
      const structure = await account.bodyStructure(bigRef);
      if (!structure) throw new Error('no BODYSTRUCTURE for the big message');
      const plan = planMessage(structure);
      const shown = plan.body.reduce((n, p) => n + p.size, 0);
      const attachment = plan.attachments.reduce((n, p) => n + p.size, 0);
      const raw = await rawLogin(env);
      rc = raw;
      await raw.ok('SELECT INBOX');
      // A few milliseconds each: enough samples that JIT warm-up does not decide the median.
      const openReps = Math.max(reps, 15);
      const s = await paired('big message open', openReps, async () => {
        account.wireStats(true);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const content = await account.readMessage(bigRef);
        const ms = performance.now() - t0;
        const cpuMs = cpuMsSince(c0);
        const st = account.wireStats();
        if (!content.body.some((b) => b.kind === 'html') || content.attachments.length !== 1 || content.truncated) throw new Error('big message read incompletely');
        return { ms, receivedBytes: st.received, sentBytes: st.sent, cpuMs };
      }, async () => {
        const b0 = raw.bytesIn;
        const o0 = raw.bytesOut;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const a = await raw.ok(`UID FETCH ${bigRef.uid} (BODYSTRUCTURE)`);
        const b = await raw.ok(`UID FETCH ${bigRef.uid} (BODY.PEEK[1])`);
        const ms = performance.now() - t0;
        const cpuMs = cpuMsSince(c0);
        return { ms, receivedBytes: raw.bytesIn - b0, sentBytes: raw.bytesOut - o0, cpuMs, serverMs: (serverMs(a.text) ?? 0) + (serverMs(b.text) ?? 0) };
      });
      // The same open when the list never showed this message (a link, a search hit far down): the
      // core has to ask for its BODYSTRUCTURE first, like the raw client always does.
      const cold = await sampled('big message open, structure unknown', openReps, async () => {
        account.forgetStructure(bigRef);
        const t0 = performance.now();
        await account.readMessage(bigRef);
        return { ms: performance.now() - t0 };
      });
      samples.bigMessage = { core: s.core.map(roundAll), raw: s.raw.map(roundAll), coreStructureUnknown: cold.map(roundAll) };
      Object.assign(result, {
        bigMessageColdOpenMs: r1(med(cold, (x) => x.ms)),
        bigMessageOpenMs: r1(med(s.core, (x) => x.ms)),
        bigMessageWireBytes: med(s.core, (x) => x.receivedBytes),
        bigMessageCpuMs: r1(med(s.core, (x) => x.cpuMs)),
        bigMessageShownBytes: shown,
        bigMessageAttachmentBytes: attachment,
        rawBigMessageMs: r1(med(s.raw, (x) => x.ms)),
        rawBigMessageWireBytes: med(s.raw, (x) => x.receivedBytes),
        rawBigMessageServerMs: r1(med(s.raw, (x) => x.serverMs)),
      });
    } finally {
      await rc?.logout();
      await account.dispose();
    }
  }

  // --- full index ---------------------------------------------------------------------------------
  await settle(env, 'before full index');
  {
    // The core has no full index yet. When it does, measure it here (and keep the null until then).
    result.fullIndexMs = null;
    const s = await paired('full index: raw and naive imapflow fetch 1:*', env.fullReps, async () => {
      const client = new ImapFlow({
        host: env.server.host, port: env.server.imapsPort, secure: true, tls: { ca: [env.server.ca] },
        auth: { user: env.account.user, pass: env.pass }, logger: false, disableCompression: true,
      });
      await client.connect();
      try {
        await client.mailboxOpen('INBOX');
        client.stats(true);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        let n = 0;
        for await (const msg of client.fetch('1:*', { uid: true, flags: true, envelope: true, internalDate: true, size: true })) {
          if (msg.uid) n++;
        }
        const ms = performance.now() - t0;
        const cpuMs = cpuMsSince(c0);
        if (n !== env.count) throw new Error(`imapflow full fetch: ${n} messages, expected ${env.count}`);
        return { ms, receivedBytes: client.stats().received, cpuMs };
      } finally {
        await client.logout().catch(() => client.close());
      }
    }, async () => {
      const c = await rawLogin(env);
      try {
        await c.ok('SELECT INBOX');
        const b0 = c.bytesIn;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await c.ok(`UID FETCH 1:* (${INDEX_ITEMS})`, { timeoutMs: 600_000 });
        const ms = performance.now() - t0;
        const cpuMs = cpuMsSince(c0);
        if (r.untaggedCount !== env.count) throw new Error(`raw full fetch: ${r.untaggedCount} responses, expected ${env.count}`);
        return { ms, receivedBytes: c.bytesIn - b0, cpuMs, serverMs: serverMs(r.text) };
      } finally {
        await c.logout();
      }
    });
    samples.fullIndex = { naiveImapflow: s.core.map(roundAll), raw: s.raw.map(roundAll) };
    const rawCpu = med(s.raw, (x) => x.cpuMs);
    const naiveCpu = med(s.core, (x) => x.cpuMs);
    Object.assign(result, {
      rawFullIndexMs: Math.round(med(s.raw, (x) => x.ms)),
      rawFullIndexServerMs: Math.round(med(s.raw, (x) => x.serverMs)),
      rawFullIndexWireBytes: med(s.raw, (x) => x.receivedBytes),
      rawFullIndexCpuMs: Math.round(rawCpu),
      rawFullIndexCpuUsPerMessage: r2((rawCpu * 1000) / env.count),
      naiveImapflowFullFetchMs: Math.round(med(s.core, (x) => x.ms)),
      naiveImapflowFullFetchCpuMs: Math.round(naiveCpu),
      naiveImapflowCpuUsPerMessage: r2((naiveCpu * 1000) / env.count),
    });
  }
  result.settleMs = Math.round(env.settleMs);
  result.unsettled = env.unsettled;
  return result;
}

// ---------------------------------------------------------------------------
// output
// ---------------------------------------------------------------------------

function fmtMs(v: unknown): string {
  return typeof v === 'number' ? (v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`) : 'n/a';
}
function fmtBytes(v: unknown): string {
  if (typeof v !== 'number') return 'n/a';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} MB`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)} KB`;
  return `${v} B`;
}
function ratio(a: unknown, b: unknown): string {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(1)}×` : '';
}

function table(results: Record<string, SizeResult>, r1m: Folder1MResult | null, header: string): string {
  const rows: string[][] = [['size', 'measurement', 'core', 'raw', 'core/raw', 'server', 'note']];
  for (const [label, r] of Object.entries(results)) {
    const row = (name: string, core: unknown, raw: unknown, fmt: (v: unknown) => string, server: unknown = undefined, note = ''): void => {
      rows.push([label, name, fmt(core), fmt(raw), ratio(core, raw), server === undefined ? '' : fmtMs(server), note]);
    };
    row('cold first page (after login)', r.coldFirstPageMs, r.rawColdFirstPageMs, fmtMs, r.rawColdFirstPageServerMs, 'raw: SELECT + FETCH last 50');
    row('cold first page (incl. login)', r.coldFirstPageInclLoginMs, r.rawColdFirstPageInclLoginMs, fmtMs, undefined, 'TLS + LOGIN + the above');
    row('  wire bytes', r.coldFirstPageWireBytes, r.rawColdFirstPageWireBytes, fmtBytes, undefined, 'both directions');
    row('warm reopen', r.warmReopenMs, r.rawWarmReopenMs, fmtMs, r.rawWarmReopenServerMs, 'raw: SELECT (QRESYNC) after 10 changes');
    row('  wire bytes', r.warmReopenWireBytes, r.rawWarmReopenWireBytes, fmtBytes, undefined, 'both directions; core: see below');
    row('big message open (5 MB att.)', r.bigMessageOpenMs, r.rawBigMessageMs, fmtMs, r.rawBigMessageServerMs, 'raw: BODYSTRUCTURE + BODY.PEEK[1]; core: listed, 1 FETCH');
    row('  not listed before', r.bigMessageColdOpenMs, r.rawBigMessageMs, fmtMs, undefined, 'core: BODYSTRUCTURE first, 2 FETCHes');
    row('  wire bytes received', r.bigMessageWireBytes, r.rawBigMessageWireBytes, fmtBytes, undefined, `text parts shown: ${fmtBytes(r.bigMessageShownBytes)}`);
    row('full index (ENVELOPE 1:*)', r.fullIndexMs, r.rawFullIndexMs, fmtMs, r.rawFullIndexServerMs, `core: none yet; ${fmtBytes(r.rawFullIndexWireBytes)} received`);
    row('  naive imapflow fetch 1:*', r.naiveImapflowFullFetchMs, r.rawFullIndexMs, fmtMs, undefined,
      `client CPU ${r.naiveImapflowCpuUsPerMessage} µs/msg (raw ${r.rawFullIndexCpuUsPerMessage})`);
    rows.push([label, 'heap after first page (core)', `${r.heapMB} MB`, '', '', '', 'heapUsed delta after GC']);
  }
  if (r1m) {
    const row = (name: string, core: unknown, raw: unknown, server: unknown = undefined, note = ''): void => {
      rows.push(['1m', name, fmtMs(core), fmtMs(raw), ratio(core, raw), server === undefined ? '' : fmtMs(server), note]);
    };
    row('cold first page (after login)', r1m.coldFirstPageMs, r1m.rawColdFirstPageMs, r1m.rawColdFirstPageServerMs, 'raw: SELECT + FETCH last 50');
    row('load more (each next page)', r1m.nextPageMs, r1m.rawNextPageMs, r1m.rawNextPageServerMs, `pages 2-${NEXT_PAGES + 1}; raw: FETCH of the 50 before`);
    for (const q of SEARCHES) {
      row(`search ${q.key.toLowerCase()} + first 50`, r1m[`search${q.key}Ms`], r1m[`rawSearch${q.key}Ms`], r1m[`rawSearch${q.key}ServerMs`],
        `${q.note}: ${r1m[`search${q.key}Matches`]} matches; Dovecot's first: ${fmtMs(r1m[`serverFirstSearch${q.key}Ms`])}`);
    }
    rows.push(['1m', 'heap with the folder open (core)', `${r1m.heapMB} MB`, '', '', '', 'first page listed + IDLE watcher; heapUsed delta after GC']);
    rows.push(['1m', `  growth over ${r1m.heapIdleSeconds} s idle`, `${r1m.heapIdleDriftMB} MB`, '', '', '', 'same account, nothing happening']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const legend = [
    'server = Dovecot\'s own time for the raw commands (from its tagged OK), i.e. the part neither client can save.',
    `warm reopen (core) = ${WARM_REOPEN_NOTE}`,
  ];
  return [header, line(rows[0]!), sep, ...rows.slice(1).map(line), ...legend].join('\n');
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  // Hard cap: a hung server must not hang CI. The harness's exit hook kills Dovecot.
  // The 1M folder's first run also seeds it (~3 min) and has Dovecot index it (~4 min).
  const capMs = (opts.quick ? 5 : opts.with1M ? 75 : 30) * 60_000;
  setTimeout(() => {
    log(`FAILED: the benchmark took longer than ${capMs / 60_000} min; giving up`);
    process.exit(3);
  }, capMs).unref();

  const loadStart = os.loadavg().map(r2);
  // A supervisor may signal only the wrapper that started us (npm, a shell): if our parent goes
  // away, stop too rather than run on as an orphan (the harness's exit hook kills Dovecot).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      log('FAILED: the parent process went away; stopping');
      process.exit(143);
    }
  }, 500).unref();

  const { gc, method: gcMethod } = getGc();
  if (!gc) log('warning: no GC control; heap numbers include garbage (run with node --expose-gc)');
  const owner = mailOwner();

  const dovecotVersion = execFileSync('/usr/sbin/dovecot', ['--version'], { encoding: 'utf8' }).trim();
  // Seeds first, while no Dovecot runs (the 1M mdbox seed needs one of its own, once).
  const seeds: Record<string, { dir: string; meta: SeedMeta; generated: boolean; ms: number }> = {};
  for (const label of opts.sizes) {
    const s0 = performance.now();
    seeds[label] = { ...ensureSeed(opts.dataDir, label, owner, log), ms: performance.now() - s0 };
  }
  let seed1M: { dir: string; meta: MdboxSeedMeta; generated: boolean; ms: number } | undefined;
  if (opts.with1M) {
    const s0 = performance.now();
    seed1M = { ...(await ensureMdboxSeed(opts.dataDir, '1m', owner, dovecotVersion, log)), ms: performance.now() - s0 };
  }

  const results: Record<string, SizeResult> = {};
  let result1M: Folder1MResult | null = null;
  const timings: Record<string, unknown> = {};
  const serverErrors: string[] = [];
  const errorsOf = (server: TestServer): string[] => server.logTail(200_000).split('\n').filter((l) => /\b(Error|Panic|Fatal):/.test(l)).slice(0, 20);
  if (opts.sizes.length) {
    const server = await startDovecot();
    try {
      for (const label of opts.sizes) {
        const seed = seeds[label]!;
        const s0 = performance.now();
        await server.stop();
        const clone = cloneSeed(seed.dir, path.join(server.dir, 'home', 'alice', 'Maildir'), owner);
        await server.start();
        log(`${label}: cloned the seed in ${Math.round(clone.ms)} ms${clone.linked ? ' (hard links)' : ' (COPIED: the seed is on another file system)'}`);
        const workDir = path.join(server.dir, 'bench', label);
        fs.mkdirSync(workDir, { recursive: true });
        const env: SizeEnv = {
          label, count: seed.meta.count, meta: seed.meta, server, reps: opts.reps, fullReps: Math.min(opts.reps, 3), workDir, gc, settleMs: 0, lastWriteAt: 0, unsettled: [], log,
          account: { name: `bench-${label}`, host: server.host, port: server.imapsPort, user: server.users.alice.user, pass: server.users.alice.pass, caFile: server.caFile },
          pass: server.users.alice.pass,
        };
        results[label] = await benchSize(env);
        timings[label] = {
          seedMs: Math.round(seed.ms), seedGenerated: seed.generated, cloneMs: Math.round(clone.ms), clonedWithHardLinks: clone.linked,
          measureMs: Math.round(performance.now() - s0),
        };
        log(`${label}: done in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
      }
      serverErrors.push(...errorsOf(server));
    } finally {
      await server.dispose();
    }
  }
  if (seed1M) {
    const s0 = performance.now();
    const server = await startDovecot({ mailFormat: 'mdbox' });
    try {
      const env: Folder1MEnv = {
        count: seed1M.meta.count, meta: seed1M.meta, server, reps: opts.reps, gc, idleMs: 30_000,
        settleMs: 0, lastWriteAt: 0, unsettled: [], log,
        account: { name: 'bench-1m', host: server.host, port: server.imapsPort, user: server.users.alice.user, pass: server.users.alice.pass, caFile: server.caFile },
        pass: server.users.alice.pass,
      };
      const prepared = await prepareFolder1M(env, seed1M.dir, owner);
      result1M = await bench1M(env);
      const m = seed1M.meta;
      timings['1m'] = {
        format: 'mdbox', seedGenerated: seed1M.generated, seedMs: m.seedMs, seedGenerateMs: m.generateMs, seedImportMs: m.importMs,
        dovecotFirstFullFetchMs: m.firstFullFetchMs, seedDiskBytes: m.diskBytes, seedStorageFiles: m.storageFiles, ...prepared,
        measureMs: Math.round(performance.now() - s0),
      };
      serverErrors.push(...errorsOf(server));
      log(`1m: done in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    } finally {
      await server.dispose();
    }
  }

  const largest = opts.sizes[opts.sizes.length - 1];
  const top: Record<string, unknown> = {};
  if (largest) for (const [k, v] of Object.entries(results[largest]!)) if (k !== 'samples') top[k] = v;
  const of1M = (k: string): unknown => result1M?.[k] ?? null;
  const totalMs = Math.round(performance.now() - t0);
  const out = {
    bench: 'mailroom-core',
    seedVersion: SEED_VERSION,
    mode: opts.quick ? 'quick' : 'full',
    largestSize: largest ?? null,
    ...top,
    heapMB100k: (results['100k']?.heapMB as number | undefined) ?? null,
    coldFirstPage1MMs: of1M('coldFirstPageMs'),
    rawColdFirstPage1MMs: of1M('rawColdFirstPageMs'),
    heapMB1M: of1M('heapMB'),
    heapIdleDriftMB1M: of1M('heapIdleDriftMB'),
    nextPage1MMs: of1M('nextPageMs'),
    rawNextPage1MMs: of1M('rawNextPageMs'),
    searchSubject1MMs: of1M('searchSubjectMs'),
    rawSearchSubject1MMs: of1M('rawSearchSubjectMs'),
    searchFlagged1MMs: of1M('searchFlaggedMs'),
    rawSearchFlagged1MMs: of1M('rawSearchFlaggedMs'),
    sizes: results,
    folder1m: result1M,
    env: {
      node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
      dovecot: dovecotVersion, mailFormat: opts.with1M ? 'maildir (10k, 100k), mdbox (1m)' : 'maildir', transport: 'TLS over loopback, no compression', reps: opts.reps,
      fullIndexReps: Math.min(opts.reps, 3), statistic: 'median', gc: gcMethod,
      loadavgStart: loadStart, loadavgEnd: os.loadavg().map(r2),
    },
    timings: { totalMs, ...timings },
    serverErrors,
  };
  const header = `Mailroom benchmark (${out.mode}): Dovecot ${dovecotVersion.split(' ')[0]} ${out.env.mailFormat}, TLS on loopback, node ${process.version}, ` +
    `${os.cpus().length} CPUs; median of ${opts.reps} (full index: ${Math.min(opts.reps, 3)}); total ${(totalMs / 1000).toFixed(1)} s`;
  process.stdout.write(table(results, result1M, header) + '\n');
  if (Math.max(loadStart[0]!, out.env.loadavgEnd[0]!) > os.cpus().length * 0.75) {
    process.stdout.write(`Note: the machine was busy (load average ${loadStart[0]} at start, ${out.env.loadavgEnd[0]} at end, ${os.cpus().length} CPUs): expect noise.\n`);
  }
  if (serverErrors.length) process.stdout.write(`Dovecot logged errors:\n  ${serverErrors.join('\n  ')}\n`);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
