/**
 * A private code-server (VS Code 1.139 in the browser, with a real Node extension host) for
 * end-to-end tests.
 *
 * `scripts/lib/code-server.sh --print-env` finds (and on first use installs, ~4 min) code-server
 * 4.139.1 and the Node 24 it runs on, outside the repository. Each server gets its own run dir
 * (mkdtemp) holding its config, user data, extensions, XDG dirs and TMPDIR, so nothing is written
 * to ~/.config, ~/.local/share or /tmp, and servers never share state.
 *
 * Clean-up is layered: stop() in tests; a process 'exit' hook (synchronous SIGKILL of the server's
 * process group); and a tiny `sh` watchdog per server that kills that process group (and removes
 * the run dir) when this process dies in any way, even by SIGKILL, because its stdin pipe closes.
 *
 * Set MAILROOM_E2E_KEEP=1 to keep run dirs (logs, user data) after stop() for a post-mortem.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CodeServerOptions {
  /** the extension package to install */
  vsix: string;
  /** folder to open */
  workspace: string;
  /** merged over DEFAULT_USER_SETTINGS */
  userSettings?: Record<string, unknown>;
  /** extra env for code-server (and so for the extension host), e.g. NODE_EXTRA_CA_CERTS */
  env?: Record<string, string>;
  /** a fixed port (the demo); default: a free one */
  port?: number;
}

export interface CodeServer {
  /** URL of the workbench with `workspace` open (…/?folder=<workspace>) */
  url: string;
  port: number;
  /** the folder opened */
  workspace: string;
  /** config.yaml, user-data/, extensions/, xdg-*, tmp/, code-server.log */
  runDir: string;
  /** <runDir>/user-data/logs: one <timestamp>/ folder per server start */
  logsDir: string;
  /** stops the server's whole process group; removes runDir unless MAILROOM_E2E_KEEP=1 */
  stop(): Promise<void>;
  /** remoteexthost.log of the (newest) extension host: activation errors with stacks; '' if none yet */
  extensionHostLog(): string;
  /** text of the extension's output channel `name` (as shown in the Output view); '' if none yet */
  outputChannel(name: string): string;
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export const DEFAULT_USER_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'files.hotExit': 'off',
  'editor.minimap.enabled': false,
  'window.confirmBeforeClose': 'never',
  // A row's hover and the sticky copy of an open folder's row lie over the rows the pointer goes
  // to next: a click then lands on the tooltip (surfaces' reader-flags test timed out that way).
  'workbench.hover.delay': 600_000,
  'workbench.tree.enableStickyScroll': false,
};

const STARTUP_TIMEOUT_MS = 60_000;

interface Install {
  node: string;
  entry: string;
}

let installPromise: Promise<Install> | undefined;

/** Runs scripts/lib/code-server.sh --print-env once per process (it installs on first use). */
export function codeServerInstall(): Promise<Install> {
  installPromise ??= new Promise<Install>((resolve, reject) => {
    const script = path.join(REPO_ROOT, 'scripts', 'lib', 'code-server.sh');
    const child = spawn('bash', [script, '--print-env'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const vars = Object.fromEntries(
        out
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      if (code !== 0 || !vars.MAILROOM_NODE24 || !vars.MAILROOM_CODE_SERVER) {
        reject(new Error(`scripts/lib/code-server.sh --print-env failed (exit ${code}):\n${err}${out}`));
        return;
      }
      resolve({ node: vars.MAILROOM_NODE24, entry: vars.MAILROOM_CODE_SERVER });
    });
  });
  return installPromise;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** The environment code-server (and so the extension host) runs with. */
function serverEnv(runDir: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // VSCODE_IPC_HOOK_CLI & co. (tests run from a VS Code terminal) make code-server hand the
    // request to that other instance; NODE_OPTIONS / NODE_TEST_CONTEXT belong to the test runner.
    if (/^(VSCODE_|ELECTRON_)/.test(k)) continue;
    if (['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'PASSWORD', 'HASHED_PASSWORD', 'PORT'].includes(k)) continue;
    env[k] = v;
  }
  Object.assign(env, {
    XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg-cache'),
    XDG_STATE_HOME: path.join(runDir, 'xdg-state'),
    TMPDIR: path.join(runDir, 'tmp'),
    ...extra,
  });
  return env;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Files matching test in the newest <logsDir>/<timestamp>/ that has any (the CLI's own runs make sessions too). */
function newestSessionFiles(logsDir: string, test: (p: string) => boolean): string[] {
  if (!fs.existsSync(logsDir)) return [];
  const sessions = fs
    .readdirSync(logsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .reverse();
  for (const s of sessions) {
    const files = findFiles(path.join(logsDir, s), test);
    if (files.length) return files;
  }
  return [];
}

/** All files under dir whose path matches test (depth-first, sorted). */
function findFiles(dir: string, test: (p: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, test));
    else if (test(p)) out.push(p);
  }
  return out;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const { node, entry } = await codeServerInstall();
  const vsix = path.resolve(opts.vsix);
  const workspace = path.resolve(opts.workspace);
  if (!fs.existsSync(vsix)) throw new Error(`startCodeServer: no such vsix: ${vsix}`);
  if (!fs.statSync(workspace).isDirectory()) throw new Error(`startCodeServer: not a folder: ${workspace}`);

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-e2e-'));
  const keep = process.env.MAILROOM_E2E_KEEP === '1';
  const userData = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  const logsDir = path.join(userData, 'logs');
  const config = path.join(runDir, 'config.yaml');
  for (const d of ['xdg-config', 'xdg-data', 'xdg-cache', 'xdg-state', 'tmp', 'extensions', 'user-data/User']) {
    fs.mkdirSync(path.join(runDir, d), { recursive: true });
  }
  fs.writeFileSync(config, '');
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...opts.userSettings }, null, 2),
  );
  const env = serverEnv(runDir, opts.env);
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensionsDir];

  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let stopped = false;

  const killGroupSync = (signal: NodeJS.Signals) => {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const onExit = () => {
    killGroupSync('SIGKILL');
    watchdog?.kill('SIGKILL');
    if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const exited = () => child === undefined || child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    if (child && !exited()) {
      const gone = new Promise<void>((r) => child!.once('exit', () => r()));
      killGroupSync('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        gone.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 5000))),
      ]);
      clearTimeout(timer);
      if (timedOut) killGroupSync('SIGKILL');
    }
    // Helpers may outlive the main process for a moment: end the whole group for sure.
    killGroupSync('SIGKILL');
    watchdog?.kill('SIGKILL');
    if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
  };

  try {
    const install = await run(node, [entry, ...common, '--install-extension', vsix], env, 120_000);
    if (install.code !== 0 || !/was successfully installed/.test(install.output)) {
      // e.g. "not compatible with VS Code '1.139.1'" when engines.vscode asks for more
      throw new Error(`code-server --install-extension ${vsix} failed (exit ${install.code}):\n${install.output}`);
    }

    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = opts.port ?? (await freePort());
      const logFile = path.join(runDir, 'code-server.log');
      const logFd = fs.openSync(logFile, 'a');
      child = spawn(
        node,
        [
          entry,
          ...common,
          '--bind-addr',
          `127.0.0.1:${port}`,
          '--auth',
          'none',
          '--disable-telemetry',
          '--disable-update-check',
          '--disable-workspace-trust',
          '--disable-getting-started-override',
          '--ignore-last-opened',
          // e.g. MAILROOM_E2E_LOG=debug when a failure needs the watchers' and the store's side of the story
          ...(process.env.MAILROOM_E2E_LOG ? ['--log', process.env.MAILROOM_E2E_LOG] : []),
          workspace,
        ],
        { env, detached: true, stdio: ['ignore', logFd, logFd] },
      );
      fs.closeSync(logFd);
      child.unref();
      watchdog = startWatchdog(child.pid!, keep ? undefined : runDir);

      const deadline = Date.now() + STARTUP_TIMEOUT_MS;
      let up = false;
      while (Date.now() < deadline && !exited()) {
        const status = await httpStatus(`http://127.0.0.1:${port}/healthz`);
        if (status === 200) {
          up = true;
          break;
        }
        await delay(150);
      }
      if (up) {
        const server: CodeServer = {
          url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
          port,
          workspace,
          runDir,
          logsDir,
          stop,
          extensionHostLog: () => {
            const files = newestSessionFiles(logsDir, (p) => /exthost\d+[/\\]remoteexthost\.log$/.test(p));
            return files.length ? fs.readFileSync(files[files.length - 1], 'utf8') : '';
          },
          outputChannel: (name: string) => {
            // createOutputChannel(name): exthost1/output_logging_<ts>/<n>-<name>.log;
            // createOutputChannel(name, { log: true }): exthost1/<publisher.extension>/<name>.log
            const files = newestSessionFiles(
              logsDir,
              (p) => /exthost\d+[/\\]/.test(p) && path.basename(p).replace(/^\d+-/, '') === `${name}.log`,
            );
            return files.map((f) => fs.readFileSync(f, 'utf8')).join('');
          },
        };
        return server;
      }
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      lastError = new Error(
        `code-server did not answer on 127.0.0.1:${port} (attempt ${attempt}):\n${log.slice(-4000)}`,
      );
      killGroupSync('SIGKILL');
      watchdog.kill('SIGKILL');
      if (!/EADDRINUSE/.test(log)) break;
    }
    throw lastError ?? new Error('code-server did not start');
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A detached `sh` that waits for its stdin to close (this process died, however) and then ends
 * the server's process group and removes the run dir. Killed by stop() once it is not needed.
 */
function startWatchdog(pgid: number, runDir: string | undefined): ChildProcess {
  const rm = runDir ? `rm -rf '${runDir.replace(/'/g, `'\\''`)}'` : ':';
  // dash's kill takes no `--`: `kill -TERM -<pgid>` signals the group.
  const script = `read _ ; kill -TERM -${pgid} 2>/dev/null; sleep 3; kill -KILL -${pgid} 2>/dev/null; ${rm}`;
  const dog = spawn('sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void }).unref?.();
  return dog;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
