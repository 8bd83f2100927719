// What bench:e2e runs on: one private Dovecot with the benchmark folders, and code-server windows
// (test/e2e/harness) with the packaged extension, driven in Chromium.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { startDovecot, type TestServer } from '../../test/harness/dovecot';
import { REPO_ROOT, startCodeServer, type CodeServer } from '../../test/e2e/harness/code-server';
import { openWorkbench, type Workbench } from '../../test/e2e/harness/workbench';
import { mailOwner, median } from '../measure';
import { RawImap } from '../raw-imap';
import { cloneSeed, ensureSeed, type SeedMeta } from '../seed';
import { type ServerState, settle, warmServer } from '../server-state';
import { installProbe } from './probe';

export const VIEW = 'Mailboxes';
export const log = (m: string): void => {
  process.stderr.write(`[bench:e2e ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits out Maildir's dirty second after a write (a flag change, a move): a session that syncs
 * within it rescans cur/ (server-state.ts). Each sample and each raw operation starts after one,
 * so neither pays for the other's write; a person takes that long between two actions anyway.
 */
export const quiet = (): Promise<void> => sleep(1200);

export interface BenchServer {
  server: TestServer;
  /** alice's INBOX: the 10k seed */
  inbox: ServerState;
  /** folders never opened by a fresh window: clones of the 10k and 100k seeds */
  folders: { '10k': string[]; '100k': string[] };
  /** the server state of a folder (its size), for warm-up, settle and the raw first page */
  stateOf(mailbox: string): ServerState;
  dispose(): Promise<void>;
}

/**
 * Dovecot with alice's INBOX = the 10k seed, `perSize` folders each of 10k and 100k messages
 * (hard-link clones of the seeds), bob's INBOX = the 10k seed too; every folder warmed and
 * settled as for `npm run bench` (server-state.ts), so the server part is its steady state.
 */
export async function startBenchServer(perSize: number): Promise<BenchServer> {
  const owner = mailOwner();
  const dataDir = path.join(REPO_ROOT, '.bench-data');
  const seeds: Record<'10k' | '100k', { dir: string; meta: SeedMeta }> = {
    '10k': ensureSeed(dataDir, '10k', owner, log),
    '100k': ensureSeed(dataDir, '100k', owner, log),
  };
  const server = await startDovecot();
  try {
    const folders = { '10k': [] as string[], '100k': [] as string[] };
    const sizeOf = new Map<string, '10k' | '100k'>([['INBOX', '10k']]);
    await server.stop();
    const home = (u: string): string => path.join(server.dir, 'home', u, 'Maildir');
    cloneSeed(seeds['10k'].dir, home('alice'), owner);
    cloneSeed(seeds['10k'].dir, home('bob'), owner);
    for (const size of ['10k', '100k'] as const) {
      for (let i = 1; i <= perSize; i++) {
        const name = `Bench${size}-${i}`;
        const dir = path.join(home('alice'), `.${name}`);
        cloneSeed(seeds[size].dir, dir, owner);
        fs.writeFileSync(path.join(dir, 'maildirfolder'), '');
        if (owner) fs.chownSync(path.join(dir, 'maildirfolder'), owner.uid, owner.gid);
        folders[size].push(name);
        sizeOf.set(name, size);
      }
    }
    await server.start();
    // Subscribed, as a person's own folders are: the harness's special folders are, so the tree
    // shows only subscribed folders and would hide these.
    const raw = await RawImap.login({ host: server.host, port: server.imapsPort, ca: server.ca, user: 'alice', pass: server.users.alice.pass });
    try {
      for (const name of [...folders['10k'], ...folders['100k']]) await raw.ok(`SUBSCRIBE "${name}"`);
    } finally {
      await raw.logout();
    }
    const states = new Map<string, ServerState>();
    const base = { server, pass: server.users.alice.pass, settleMs: 0, lastWriteAt: 0, unsettled: [] as string[], log };
    for (const size of ['10k', '100k'] as const) states.set(size, { ...base, count: seeds[size].meta.count, meta: seeds[size].meta });
    const stateOf = (mailbox: string): ServerState => {
      const size = sizeOf.get(mailbox);
      if (!size) throw new Error(`no bench folder ${mailbox}`);
      return states.get(size)!;
    };
    log('warming and settling the server for every folder …');
    for (const mailbox of sizeOf.keys()) {
      const state = stateOf(mailbox);
      await warmServer(state, mailbox);
      state.lastWriteAt = Date.now();
      await settle(state, `${mailbox} after warm-up`, { touch: true, mailbox });
    }
    const inbox = stateOf('INBOX');
    return { server, inbox, folders, stateOf, dispose: () => server.dispose() };
  } catch (e) {
    await server.dispose();
    throw e;
  }
}

export function rawSession(b: BenchServer, user: 'alice' | 'bob' = 'alice'): Promise<RawImap> {
  const s = b.server;
  return RawImap.login({ host: s.host, port: s.imapsPort, ca: s.ca, user, pass: s.users[user].pass });
}

export interface AccountSpec {
  name: string;
  user: 'alice' | 'bob';
}

export interface Window {
  codeServer: CodeServer;
  wb: Workbench;
  workspace: string;
  close(): Promise<void>;
}

/**
 * A code-server with a fresh profile (no cache, no secrets), the packaged extension and `accounts`;
 * the Mailroom view open, every password prompt answered, and each account's folders listed.
 */
export async function openWindow(b: BenchServer, accounts: AccountSpec[], settings: Record<string, unknown> = {}): Promise<Window> {
  const vsix = path.join(REPO_ROOT, 'mailroom.vsix');
  if (!fs.existsSync(vsix)) throw new Error('run `npm run package` first (npm run bench:e2e does)');
  const s = b.server;
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-ws-'));
  let codeServer: CodeServer | undefined;
  let wb: Workbench | undefined;
  const close = async (): Promise<void> => {
    await wb?.close().catch(() => undefined);
    await codeServer?.stop().catch(() => undefined);
    fs.rmSync(workspace, { recursive: true, force: true });
  };
  try {
    codeServer = await startCodeServer({
      vsix, workspace,
      userSettings: {
        'mailroom.accounts': accounts.map((a) => ({ name: a.name, host: s.host, port: s.imapsPort, security: 'tls', user: a.user, caFile: s.caFile })),
        'mailroom.notifications': false,
        ...settings,
      },
    });
    wb = await openWorkbench(codeServer);
    await wb.openViewContainer('Mailroom');
    const users = new Set(accounts.map((a) => a.user));
    const page = wb.page;
    const listed = allAccountsListed(wb, accounts).then(() => true, () => false);
    for (let i = 0; i < accounts.length; i++) {
      const box = wb.quickInput().locator('.quick-input-box input[type="password"]');
      // Stop early once every account is listed (accounts of one user might share a password).
      const next = await Promise.race([box.waitFor({ state: 'visible', timeout: 60_000 }).then(() => 'prompt', () => 'none'), listed.then(() => 'listed')]);
      if (next !== 'prompt') break;
      const prompt = (await wb.quickInput().innerText()).toLowerCase();
      const user = [...users].find((u) => prompt.includes(`for ${u} on`));
      if (!user) throw new Error(`unexpected prompt: ${prompt}`);
      await wb.fillQuickInput(s.users[user].pass);
      await box.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    }
    if (!(await listed)) throw new Error(`not every account listed its folders: ${accounts.map((a) => a.name).join(', ')}`);
    await installProbe(page);
    await parkMouse(page);
    return { codeServer, wb, workspace, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Moves the pointer over the editor area, away from the activity bar and the tree: a hover left
 * open there (a badge's or a row's tooltip) would cover the next row to click.
 */
async function parkMouse(page: Workbench['page']): Promise<void> {
  await pointerAway(page);
  await page.keyboard.press('Escape');
}

/** Clicks `target` (a tree row), then parks the pointer: the measurement itself starts at the click's pointerdown. */
export async function click(w: Window, target: Locator, modifiers?: Array<'Control'>): Promise<void> {
  await target.click(modifiers ? { modifiers } : {});
  await pointerAway(w.wb.page);
}

/** Where the pointer waits between samples: over the editor area, so that no row's hover or tooltip is up. */
export async function pointerAway(page: Workbench['page']): Promise<void> {
  await page.mouse.move(1100, 620);
}

/** How long the pointer rests on a target before a timed press (a person's hand is slower). */
const POINTER_REST_MS = 120;

/**
 * The click a sample is timed from, as a person makes it: the pointer comes to rest on the target
 * before the press and stays there until the change has shown (then `pointerAway`). VS Code
 * restyles a whole list when the pointer enters or leaves it (30-70 ms of style recalculation
 * on this machine, measured in a trace); a person's pointer enters before pressing and does not
 * leave while waiting, and a click that moved in and out again put two of those into every sample.
 */
export async function timedClick(target: Locator): Promise<void> {
  await target.hover();
  await sleep(POINTER_REST_MS);
  await target.click();
}

/** Every account row is followed by its Inbox row. */
async function allAccountsListed(wb: Workbench, accounts: AccountSpec[]): Promise<void> {
  const names = JSON.stringify(accounts.map((a) => a.name));
  await wb.page.waitForFunction(`(() => {
    const rows = [...document.querySelectorAll('.pane .monaco-list-rows > .monaco-list-row')];
    const label = (r) => ((r.querySelector('.label-name') || {}).textContent || '').trim();
    return ${names}.every((n) => rows.some((r, i) => label(r) === n && rows[i + 1] && label(rows[i + 1]) === 'Inbox'));
  })()`, undefined, { timeout: 90_000, polling: 100 });
}

// ---------------------------------------------------------------------------------------------
// results

/** One figure: samples in ms (null = the change never showed within the timeout). */
export interface Figure {
  samples: Array<number | null>;
  /** the protocol floor of the same thing in the same run, when there is one */
  raw?: number[];
  rawNote?: string;
  note?: string;
  /** sub-figures (e.g. per triage key) shown under it */
  parts?: Record<string, Array<number | null>>;
  /** 1-minute load average when its phase started and ended (the machine is shared) */
  load?: [number, number];
}

/** Nearest-rank percentile with timeouts counted as infinitely slow (so they show in p95). */
export function pct(samples: Array<number | null>, p: number): number | null {
  if (!samples.length) return null;
  const s = samples.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const v = s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return Number.isFinite(v) ? Math.round(v) : null;
}

export function rawMedian(xs: number[] | undefined): number | null {
  return xs && xs.length ? Math.round(median(xs) * 10) / 10 : null;
}
