// `npm run bench:e2e`: in a real VS Code (code-server + Chromium), the time from clicking a
// 100k-message folder (never opened before: nothing cached) to its first message row on screen,
// and the same for INBOX, which the extension loads at connect. Reported, not asserted. Dovecot is
// warmed and settled first, as for `npm run bench`, and after the clicks a raw client's first page
// (new session: SELECT + FETCH of 50) is measured on the same server: the part no client can save.
// See bench/README.md.
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

/** A second copy of the seed: a 100k folder the extension has never opened and does not prefetch. */
const BIG = 'Big';

interface Sample { bigFirstRowMs: number; inboxFirstRowMs: number; reExpandMs: number }

/**
 * Opens the view, answers the password once, then times three clicks: the never-opened 100k folder
 * "Big" (the network path), INBOX (whose first page the extension loads at connect), and INBOX
 * again after collapsing it (VS Code's rendering alone).
 */
async function clickToFirstRow(wb: Workbench, pass: string): Promise<Sample> {
  await wb.openViewContainer('Mailroom');
  await wb.quickInput().locator('.quick-input-box input[type="password"]').waitFor({ timeout: 60_000 });
  await wb.fillQuickInput(pass);
  const inbox = wb.treeRow('Mailboxes', 'Inbox');
  const big = wb.treeRow('Mailboxes', BIG);
  await big.waitFor({ timeout: 60_000 });
  const messageRows = wb.treeRows('Mailboxes').filter({ has: wb.page.locator('.label-description', { hasText: ' · ' }) });
  const timeClick = async (row: typeof inbox): Promise<number> => {
    const t0 = performance.now();
    await row.click();
    await messageRows.first().waitFor({ timeout: 60_000 });
    return performance.now() - t0;
  };
  const collapse = async (row: typeof inbox): Promise<void> => {
    await row.click();
    await messageRows.first().waitFor({ state: 'detached', timeout: 10_000 });
  };
  // A person reads the folder list before clicking; meanwhile the extension opens its IDLE
  // connection and loads INBOX's first page. Clicking in the same instant measures that start-up.
  await new Promise((r) => setTimeout(r, settleMs));
  const bigFirstRowMs = await timeClick(big);
  await collapse(big);
  const inboxFirstRowMs = await timeClick(inbox);
  await collapse(inbox);
  const reExpandMs = await timeClick(inbox);
  return { bigFirstRowMs, inboxFirstRowMs, reExpandMs };
}


async function main(): Promise<void> {
  await codeServerInstall();
  const vsix = path.join(REPO_ROOT, 'mailroom.vsix');
  if (!fs.existsSync(vsix)) throw new Error('run `npm run package` first');
  const seed = ensureSeed(path.join(REPO_ROOT, '.bench-data'), size, owner(), log);
  const server = await startDovecot();
  let codeServer: CodeServer | undefined;
  let wb: Workbench | undefined;
  const results: Sample[] = [];
  const raw: number[] = [];
  let state: ServerState | undefined;
  try {
    await server.stop();
    const maildir = path.join(server.dir, 'home', 'alice', 'Maildir');
    cloneSeed(seed.dir, maildir, owner());
    cloneSeed(seed.dir, path.join(maildir, `.${BIG}`), owner());
    fs.writeFileSync(path.join(maildir, `.${BIG}`, 'maildirfolder'), '');
    await server.start();
    state = { server, pass: server.users.alice.pass, count: seed.meta.count, meta: seed.meta, settleMs: 0, lastWriteAt: 0, unsettled: [], log };
    log('warming the server cache …');
    for (const mailbox of ['INBOX', BIG]) {
      await warmServer(state, mailbox);
      state.lastWriteAt = Date.now();
      await settle(state, `${mailbox} after warm-up`, { touch: true, mailbox });
    }
    for (let i = 0; i < reps; i++) {
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-ws-'));
      codeServer = await startCodeServer({
        vsix, workspace,
        userSettings: { 'mailroom.accounts': [{ name: 'Bench', host: server.host, port: server.imapsPort, security: 'tls', user: 'alice', caFile: server.caFile }], 'mailroom.notifications': false },
      });
      wb = await openWorkbench(codeServer);
      results.push(await clickToFirstRow(wb, server.users.alice.pass));
      raw.push((await rawFirstPage(state, BIG)).ms);
      await wb.close();
      await codeServer.stop();
      wb = undefined;
      codeServer = undefined;
      fs.rmSync(workspace, { recursive: true, force: true });
      log(`rep ${i + 1}: ${JSON.stringify(results.at(-1), (_, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`);
    }
  } finally {
    await wb?.close().catch(() => undefined);
    await codeServer?.stop().catch(() => undefined);
    await server.dispose();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const of = (k: keyof Sample) => results.map((r) => Math.round(r[k]));
  const m = (k: keyof Sample) => median(of(k));
  process.stdout.write(`first row after clicking a ${size} folder in code-server (median of ${reps}; clicked ${settleMs} ms after the folders appeared):\n`);
  process.stdout.write(`  never opened, not prefetched ("${BIG}"): ${m('bigFirstRowMs')} ms\n`);
  process.stdout.write(`    raw client's first page of it on the same server (new session, SELECT + FETCH 50): ${Math.round(median(raw))} ms\n`);
  process.stdout.write(`  Inbox (first page loaded at connect): ${m('inboxFirstRowMs')} ms\n`);
  process.stdout.write(`  Inbox again after collapsing it (VS Code's rendering alone): ${m('reExpandMs')} ms\n`);
  const unsettled = state?.unsettled ?? [];
  if (unsettled.length) process.stdout.write(`  warning: ${unsettled.join('; ')}\n`);
  process.stdout.write(`${JSON.stringify({
    size, settleMs, firstRowMs: m('bigFirstRowMs'), samples: of('bigFirstRowMs'), rawFirstPageMs: r1(median(raw)), rawSamples: raw.map(r1),
    inboxFirstRowMs: m('inboxFirstRowMs'), inboxSamples: of('inboxFirstRowMs'), reExpandMs: m('reExpandMs'), reExpandSamples: of('reExpandMs'), unsettled,
  })}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench:e2e failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
