// `npm run bench:e2e`: what a person waits for in a real VS Code (code-server + Chromium), p50 and
// p95 per interaction, each next to the raw-protocol floor of the same thing where there is one,
// against a private Dovecot with 10k/100k folders. Reported, never asserted. See bench/README.md.
//
//   node --import tsx bench/e2e/latency.ts [--samples N] [--rounds N] [--only firstRow,reader,treeKey,triage,newMail,warmStart]
//
// stdout: a table, then (last line) one JSON object; progress on stderr.
import * as os from 'node:os';
import { codeServerInstall } from '../../test/e2e/harness/code-server';
import { r2 } from '../measure';
import { measureFirstRows } from './first-row';
import { measureNewMail } from './new-mail';
import { measureReader } from './reader';
import { type BenchServer, type Figure, log, openWindow, pct, rawMedian, startBenchServer } from './session';
import { measureTreeKeys } from './tree-keys';
import { measureTriage } from './triage';
import { measureWarmStart } from './warm-start';

const PHASES = ['firstRow', 'reader', 'treeKey', 'triage', 'newMail', 'warmStart'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  samples: number;
  /** fresh windows for the first-row clicks; each clicks `perSize` folders of each size */
  rounds: number;
  perSize: number;
  settleMs: number;
  only: Set<Phase>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { samples: 20, rounds: 5, perSize: 4, settleMs: 3000, only: new Set(PHASES) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--samples') o.samples = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--per-size') o.perSize = num();
    else if (a === '--settle-ms') o.settleMs = num();
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      for (const p of list) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase ${p} (known: ${PHASES.join(', ')})`);
      o.only = new Set(list as Phase[]);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** The budgets of issue 15 (p95, ms), printed next to the figures; nothing fails on them. */
const BUDGET: Record<string, number> = {
  firstRow10k: 100, firstRow100k: 250, bodyListed: 150, bodyCached: 50, triageNext: 100, treeKey: 50, newMail: 2000, warmStart: 300,
};

const LABELS: Record<string, string> = {
  firstRow10k: 'click never-opened folder → first row (10k)',
  firstRow100k: 'click never-opened folder → first row (100k)',
  inboxPrefetched: '  Inbox (first page prefetched at connect)',
  reExpand: '  re-expand a loaded folder (no network)',
  bodyListed: 'click message → body visible (listed, not cached)',
  bodyCached: 'click message → body visible (cached)',
  bodyFirstOpen: '  first open of the window (creates the webview)',
  bodyReadAhead: '  the message below the last one opened (read ahead)',
  triageNext: 'triage key → next message shown',
  treeKey: 'tree key S / U → row changes',
  newMail: 'new mail by another client → row visible',
  warmStart: 'start with 3 accounts cached → tree filled',
  warmStartServerFrozen: '  the same with the server frozen',
  viewVisible: '  (navigation → view visible)',
};

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const cap = setTimeout(() => {
    log('FAILED: bench:e2e took longer than 90 min; giving up');
    process.exit(3);
  }, 90 * 60_000);
  cap.unref();
  const t0 = performance.now();
  const loadStart = os.loadavg().map(r2);
  await codeServerInstall();
  const figures: Record<string, Figure> = {};
  /** Runs one phase and notes the machine's load around it on each figure it measured. */
  const phase = async <T extends { [K in keyof T]: Figure }>(measure: () => Promise<T>): Promise<void> => {
    const before = r2(os.loadavg()[0]!);
    const got = await measure();
    for (const f of Object.values<Figure>(got)) f.load = [before, r2(os.loadavg()[0]!)];
    Object.assign(figures, got);
  };
  const b: BenchServer = await startBenchServer(opts.perSize);
  try {
    if (opts.only.has('firstRow')) {
      log(`first rows: ${opts.rounds} fresh windows × ${opts.perSize} folders of each size`);
      await phase(() => measureFirstRows(b, opts.rounds, opts.settleMs));
    }
    const main = (['reader', 'treeKey', 'triage', 'newMail'] as const).filter((p) => opts.only.has(p));
    if (main.length) {
      const w = await openWindow(b, [{ name: 'Bench', user: 'alice' }]);
      try {
        await new Promise((r) => setTimeout(r, opts.settleMs));
        if (opts.only.has('reader')) await phase(() => measureReader(b, w, opts.samples));
        if (opts.only.has('treeKey')) await phase(async () => ({ treeKey: await measureTreeKeys(b, w, opts.samples) }));
        if (opts.only.has('triage')) await phase(async () => ({ triageNext: await measureTriage(b, w, Math.ceil(opts.samples / 4) * 4) }));
        if (opts.only.has('newMail')) await phase(async () => ({ newMail: await measureNewMail(b, w, opts.samples) }));
      } finally {
        await w.close();
      }
    }
    if (opts.only.has('warmStart')) await phase(() => measureWarmStart(b, opts.samples, 6000));
  } finally {
    await b.dispose();
  }
  report(figures, opts, { loadStart, totalMs: performance.now() - t0, unsettled: [...new Set([...b.inbox.unsettled, ...b.stateOf(b.folders['100k'][0]!).unsettled])] });
}

function report(figures: Record<string, Figure>, opts: Options, run: { loadStart: number[]; totalMs: number; unsettled: string[] }): void {
  const order = ['firstRow10k', 'firstRow100k', 'inboxPrefetched', 'reExpand', 'bodyListed', 'bodyCached', 'bodyReadAhead', 'bodyFirstOpen', 'triageNext', 'treeKey', 'newMail', 'warmStart', 'warmStartServerFrozen', 'viewVisible'];
  const rows: string[][] = [['interaction', 'p50', 'p95', 'n', 'raw p50', 'budget p95', '', 'load', 'note']];
  const fmt = (v: number | null): string => (v === null ? '—' : `${v} ms`);
  const details: Record<string, unknown> = {};
  for (const key of order) {
    const f = figures[key];
    if (!f) continue;
    const timeouts = f.samples.filter((x) => x === null).length;
    const p50 = pct(f.samples, 50);
    const p95 = pct(f.samples, 95);
    const budget = BUDGET[key];
    const verdict = budget === undefined ? '' : p95 === null ? 'over' : p95 <= budget ? 'ok' : 'over';
    const parts = Object.entries(f.parts ?? {}).map(([k, xs]) => `${k} ${fmt(pct(xs, 50))}/${fmt(pct(xs, 95))}`).join(', ');
    const note = [f.note, parts && `p50/p95: ${parts}`, f.rawNote && `raw: ${f.rawNote}`, timeouts && `${timeouts} timed out`].filter(Boolean).join('; ');
    const load = f.load ? `${f.load[0]}→${f.load[1]}` : '';
    rows.push([LABELS[key] ?? key, fmt(p50), fmt(p95), String(f.samples.length), fmt(rawMedian(f.raw)), budget === undefined ? '' : `${budget} ms`, verdict, load, note]);
    details[key] = {
      n: f.samples.length, timeouts, p50, p95, samples: f.samples.map((x) => (x === null ? null : Math.round(x))),
      ...(f.raw ? { rawP50: rawMedian(f.raw), rawP95: pct(f.raw, 95), rawSamples: f.raw.map((x) => Math.round(x * 10) / 10), rawNote: f.rawNote } : {}),
      ...(f.parts ? { parts: Object.fromEntries(Object.entries(f.parts).map(([k, xs]) => [k, { p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length }])) } : {}),
      ...(f.note ? { note: f.note } : {}),
      ...(f.load ? { loadavg: f.load } : {}),
    };
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i >= 1 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const loadEnd = os.loadavg().map(r2);
  process.stdout.write([
    `Mailroom in code-server: user-visible latencies (ms, input → change on screen); ${opts.samples} samples per figure, ` +
    `${opts.rounds} fresh windows for first rows; ${os.cpus().length} CPUs, load average ${run.loadStart[0]} → ${loadEnd[0]}; total ${(run.totalMs / 60_000).toFixed(1)} min`,
    line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line),
    ...(run.unsettled.length ? [`warning: the server did not settle: ${run.unsettled.join('; ')}`] : []),
  ].join('\n') + '\n');
  const top = Object.fromEntries(Object.keys(BUDGET).map((k) => [k, figures[k] ? { p50: pct(figures[k]!.samples, 50), p95: pct(figures[k]!.samples, 95) } : null]));
  process.stdout.write(JSON.stringify({
    ...top,
    details,
    env: { cpus: os.cpus().length, loadavgStart: run.loadStart, loadavgEnd: loadEnd, samples: opts.samples, rounds: opts.rounds, totalMs: Math.round(run.totalMs), unsettled: run.unsettled },
  }) + '\n');
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:e2e failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
