/**
 * The README's demo command, run as a user types it: `npm run demo` in its own process group,
 * its printed URL opened in Chromium, the sample mailbox seen in the Mailroom view, then Ctrl+C
 * (SIGINT to the group) — and nothing it started is left running.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from './harness/code-server';
import { openWorkbench, saveFailureArtifacts, type Workbench } from './harness/workbench';

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  cmdline: string;
}

/** Every process on the machine, from /proc (state 'Z' = exited, waiting to be reaped). */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may contain spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({
        pid: Number(name),
        ppid: Number(ppid),
        state: state!,
        comm: stat.slice(stat.indexOf('(') + 1, close),
        cmdline,
      });
    } catch {
      // it exited while we looked
    }
  }
  return out;
}

function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all)
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let demo: ChildProcess | undefined;
let wb: Workbench | undefined;
let profileDir: string | undefined;
let output = '';

after(async () => {
  await wb?.close();
  if (demo?.pid && demo.exitCode === null && demo.signalCode === null) {
    try {
      process.kill(-demo.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

test(
  '`npm run demo` serves VS Code with Mailroom, the sample mailbox and a submission server, and Ctrl+C stops everything it started',
  { timeout: 15 * 60_000 },
  async (t) => {
    // The user's shell: no test-runner variables.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const started = Date.now();
    demo = spawn('npm', ['run', 'demo'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));
    demo.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    demo.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });

    try {
      await until(
        'the demo to print its URL',
        () => /Open:\s+http:\/\/\S+/.test(output) || demo!.exitCode !== null,
        12 * 60_000,
      );
      assert.equal(demo.exitCode, null, `the demo is still running:\n${output.slice(-3000)}`);
      const url = /Open:\s+(http:\/\/\S+)/.exec(output)![1]!;
      const password = /Password:\s+(\S+)/.exec(output)?.[1];
      assert.ok(password, `the demo prints the sample account's password:\n${output}`);
      t.diagnostic(`URL printed after ${((Date.now() - started) / 1000).toFixed(1)} s`);

      // What the demo started, while it runs (once it exits they would be reparented).
      const started_ = descendants(demo.pid!);
      assert.ok(
        started_.some((p) => p.comm === 'dovecot'),
        `a Dovecot runs under the demo: ${started_.map((p) => p.comm).join(', ')}`,
      );
      assert.ok(
        started_.some((p) => /code-server/.test(p.cmdline)),
        'a code-server runs under the demo',
      );
      assert.ok(
        started_.some((p) => p.comm === 'master'),
        `a Postfix (submission) runs under the demo: ${started_.map((p) => p.comm).join(', ')}`,
      );

      profileDir = mkdtempSync(join(tmpdir(), 'mailroom-demo-browser-'));
      wb = await openWorkbench({ url, runDir: profileDir });
      const browsers = descendants(process.pid).filter((p) => /chrom/i.test(p.comm));
      assert.ok(browsers.length, 'Chromium runs under the test');

      await wb.openViewContainer('Mailroom');
      const box = wb.quickInput().locator('.quick-input-box input[type="password"]');
      await box.waitFor({ state: 'visible', timeout: 60_000 });
      await wb.fillQuickInput(password);
      const row = (label: string) => wb!.treeRow('Mailboxes', label);
      await row('Demo (alice)').waitFor({ timeout: 30_000 });
      await row('Inbox').waitFor({ timeout: 30_000 });
      await row('Inbox').click();
      for (const subject of ['Welcome to Mailroom', 'v2.3.0 is out', 'Re: patch review', 'Quarterly report'])
        await row(subject).waitFor({ timeout: 30_000 });
      await row('Sent').waitFor({ timeout: 30_000 });

      await wb.close();
      wb = undefined;
      await until('Chromium to exit', () => browsers.every((p) => !alive(p.pid)), 15_000);

      // Ctrl+C in the terminal: SIGINT to the foreground process group.
      process.kill(-demo.pid!, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), 30_000);
        }),
      ]);
      clearTimeout(timer);
      assert.notEqual(code, 'timeout', `the demo exits within 30 s of Ctrl+C:\n${output.slice(-2000)}`);
      await until('every process the demo started to exit', () => started_.every((p) => !alive(p.pid)), 15_000).catch(
        () =>
          assert.fail(
            `left running: ${started_
              .filter((p) => alive(p.pid))
              .map((p) => `${p.pid} ${p.cmdline}`)
              .join('; ')}`,
          ),
      );
    } catch (err) {
      const where = await saveFailureArtifacts('demo', undefined, wb).catch(() => '');
      throw new Error(`${(err as Error).message}\n--- demo output ---\n${output.slice(-4000)}\n${where}`, {
        cause: err,
      });
    }
  },
);
