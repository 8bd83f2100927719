// `npm run bench:e2e`: in a real VS Code (code-server + Chromium), the time from clicking a
// 100k-message folder (never opened before: nothing cached) to its first message row on screen.
// Reported, not asserted. Dovecot is warmed and settled first, as for `npm run bench`, and after
// each click a raw client's first page (new session: SELECT + FETCH of 50) is measured on the same
// server: the part of the click no client could save.
//   node --import tsx bench/e2e-first-row.ts [--size 100k] [--reps 3]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot } from '../test/harness/dovecot';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from '../test/e2e/harness/code-server';
import { openWorkbench, type Workbench } from '../test/e2e/harness/workbench';
import { cloneSeed, ensureSeed, type Owner } from './seed';
import { rawFirstPage, type ServerState, settle, warmServer } from './server-state';

const args = process.argv.slice(2);
const size = args[args.indexOf('--size') + 1] && args.includes('--size') ? args[args.indexOf('--size') + 1]! : '100k';
const reps = args.includes('--reps') ? Number(args[args.indexOf('--reps') + 1]) : 3;
const settleMs = args.includes('--settle-ms') ? Number(args[args.indexOf('--settle-ms') + 1]) : 3000;
const r1 = (x: number) => Math.round(x * 10) / 10;
const log = (m: string) => process.stderr.write(`[bench:e2e] ${m}\n`);

function owner(): Owner | null {
  if (process.getuid?.() !== 0) return null;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('dovecot:'));
  const f = line?.split(':');
  return f && f.length >= 4 ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
}

/** Opens the view, answers the password once, and returns ms from clicking Inbox to its first message row. */
async function clickToFirstRow(wb: Workbench, pass: string): Promise<number> {
  await wb.openViewContainer('Mailroom');
  await wb.quickInput().locator('.quick-input-box input[type="password"]').waitFor({ timeout: 60_000 });
  await wb.fillQuickInput(pass);
  const inbox = wb.treeRow('Mailboxes', 'Inbox');
  await inbox.waitFor({ timeout: 60_000 });
  const messageRows = wb.treeRows('Mailboxes').filter({ has: wb.page.locator('.label-description', { hasText: ' · ' }) });
  // A person reads the folder list before clicking; meanwhile the extension opens its IDLE
  // connection on INBOX. Clicking in the same instant measures that start-up instead.
  await new Promise((r) => setTimeout(r, settleMs));
  const t0 = performance.now();
  await inbox.click();
  await messageRows.first().waitFor({ timeout: 60_000 });
  const ms = performance.now() - t0;
  // The same click again on loaded data (collapse, expand): what VS Code's own rendering costs.
  await inbox.click();
  await messageRows.first().waitFor({ state: 'detached', timeout: 10_000 });
  const t1 = performance.now();
  await inbox.click();
  await messageRows.first().waitFor({ timeout: 60_000 });
  uiOnly.push(performance.now() - t1);
  return ms;
}

const uiOnly: number[] = [];
const raw: number[] = [];

async function main(): Promise<void> {
  await codeServerInstall();
  const vsix = path.join(REPO_ROOT, 'mailroom.vsix');
  if (!fs.existsSync(vsix)) throw new Error('run `npm run package` first');
  const seed = ensureSeed(path.join(REPO_ROOT, '.bench-data'), size, owner(), log);
  const server = await startDovecot();
  let codeServer: CodeServer | undefined;
  let wb: Workbench | undefined;
  const results: number[] = [];
  let state: ServerState | undefined;
  try {
    await server.stop();
    cloneSeed(seed.dir, path.join(server.dir, 'home', 'alice', 'Maildir'), owner());
    await server.start();
    state = { server, pass: server.users.alice.pass, count: seed.meta.count, meta: seed.meta, settleMs: 0, lastWriteAt: 0, unsettled: [], log };
    log('warming the server cache …');
    await warmServer(state);
    state.lastWriteAt = Date.now();
    await settle(state, 'after warm-up', { touch: true });
    for (let i = 0; i < reps; i++) {
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-ws-'));
      codeServer = await startCodeServer({
        vsix, workspace,
        userSettings: { 'mailroom.accounts': [{ name: 'Bench', host: server.host, port: server.imapsPort, security: 'tls', user: 'alice', caFile: server.caFile }], 'mailroom.notifications': false },
      });
      wb = await openWorkbench(codeServer);
      results.push(await clickToFirstRow(wb, server.users.alice.pass));
      raw.push((await rawFirstPage(state)).ms);
      await wb.close();
      await codeServer.stop();
      wb = undefined;
      codeServer = undefined;
      fs.rmSync(workspace, { recursive: true, force: true });
      log(`rep ${i + 1}: ${Math.round(results.at(-1)!)} ms`);
    }
  } finally {
    await wb?.close().catch(() => undefined);
    await codeServer?.stop().catch(() => undefined);
    await server.dispose();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(`first row after clicking the ${size} Inbox in code-server: ${Math.round(median(results))} ms (median of ${reps}; clicked ${settleMs} ms after the folders appeared)\n`);
  process.stdout.write(`  raw client's first page on the same server (new session, SELECT + FETCH 50): ${Math.round(median(raw))} ms\n`);
  process.stdout.write(`  the same click on loaded data (collapse, expand; VS Code's rendering alone): ${Math.round(median(uiOnly))} ms\n`);
  const unsettled = state?.unsettled ?? [];
  if (unsettled.length) process.stdout.write(`  warning: ${unsettled.join('; ')}\n`);
  process.stdout.write(`${JSON.stringify({ size, settleMs, firstRowMs: Math.round(median(results)), samples: results.map(Math.round), rawFirstPageMs: r1(median(raw)), rawSamples: raw.map(r1), reExpandMs: Math.round(median(uiOnly)), reExpandSamples: uiOnly.map(Math.round), unsettled })}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench:e2e failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
