/**
 * A private Dovecot 2.3 instance for integration tests.
 *
 * Everything lives in a fresh temp dir (config, base_dir, state, log, users,
 * homes, certificates). Dovecot listens on two free high ports (imaps and
 * plain/STARTTLS), each on 127.0.0.1, 127.0.0.2 and 127.0.0.3:
 *  - 127.0.0.1 and 127.0.0.3 are named by the server certificate,
 *  - 127.0.0.2 is not (hostname-mismatch tests).
 *
 * Dovecot treats a plain connection as already "secure" when the client's IP
 * equals the server's (any 127.0.0.1 -> 127.0.0.1 connection), so on the plain
 * port LOGIN *is* accepted before STARTTLS from 127.0.0.1. Connect to
 * `insecureHost` (127.0.0.3; the kernel picks source 127.0.0.1) to get the
 * real `disable_plaintext_auth = yes` behaviour with a certificate that still
 * verifies.
 *
 * Clean-up is layered: dispose() in tests; a process 'exit' hook (SIGKILL +
 * rm -rf, synchronous); SIGINT/SIGTERM handlers; and a tiny `sh` watchdog per
 * server that kills Dovecot's process group and removes the dir when this
 * process dies in any way (even SIGKILL), because its stdin pipe closes.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate, randomBytes } from 'node:crypto';
import { FIXTURES, type Fixture } from './fixtures.js';
import { startAuthServer, type AuthServer } from './auth-server.js';

export interface TestUser {
  user: string;
  pass: string;
}

export interface TestServer {
  host: '127.0.0.1';
  /** Dovecot also listens here; the certificate does NOT name it. */
  mismatchHost: '127.0.0.2';
  /**
   * Dovecot also listens here and the certificate names it. Use it for the
   * plain/STARTTLS port when a test needs Dovecot to refuse LOGIN before
   * STARTTLS (from 127.0.0.1 to 127.0.0.1 Dovecot considers the link secure).
   */
  insecureHost: '127.0.0.3';
  /** implicit TLS */
  imapsPort: number;
  /** plain port for STARTTLS (disable_plaintext_auth = yes; see insecureHost) */
  imapPort: number;
  /** PEM of the test CA */
  ca: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** sha256 fingerprint of the leaf, formatted like PeerCertificate.fingerprint256 */
  fingerprint256: string;
  users: { alice: TestUser; bob: TestUser };
  mailFormat: 'maildir' | 'mdbox';
  dir: string;
  logFile: string;
  /** true while Dovecot runs (between start and stop) */
  readonly running: boolean;
  /**
   * SIGTERM Dovecot's process group (sessions usually get "* BYE Server shutting
   * down."), SIGKILL what is left after at most 150 ms, wait until the ports
   * refuse connections. Files are kept. Takes ~20-200 ms.
   */
  stop(): Promise<void>;
  /** start again on the same ports; resolves when it accepts connections */
  start(): Promise<void>;
  /** stop + rm -rf dir (idempotent) */
  dispose(): Promise<void>;
  /** last `bytes` of the Dovecot log (for assertion messages) */
  logTail(bytes?: number): string;
  /**
   * Changes a user's password in the passwd-file; resolves once a new login
   * sees it. Sessions already logged in stay logged in (as on a real server
   * after a password change elsewhere).
   */
  setPassword(user: 'alice' | 'bob', pass: string): Promise<void>;
  /**
   * Only with `oauth2` in the options: the authorization server (oidc-provider, on
   * https://127.0.0.1 with this server's certificate) whose introspection endpoint Dovecot's
   * oauth2 passdb asks about every token (closed by dispose()).
   */
  oauth?: AuthServer;
  /** Only with `submission` in the options: what a private Postfix needs to reach this Dovecot. */
  submission?: SubmissionEndpoints;
}

/** Dovecot's side of a submission server: LMTP delivery and SASL for Postfix. */
export interface SubmissionEndpoints {
  /** LMTP on 127.0.0.1 (deliveries go to the user's INBOX; `bob@example.test` reaches bob) */
  lmtpPort: number;
  /** Dovecot's auth socket for Postfix's `smtpd_sasl_type = dovecot` (owned by postfix) */
  saslSocket: string;
}

export interface OAuth2Options {
  /**
   * SASL mechanisms offered for tokens (default both). imapflow prefers
   * OAUTHBEARER, so offer only 'xoauth2' to exercise XOAUTH2.
   */
  mechanisms?: Array<'xoauth2' | 'oauthbearer'>;
}

export interface StartDovecotOptions {
  mailFormat?: 'maildir' | 'mdbox';
  /**
   * Also accept OAuth2 bearer tokens (AUTHENTICATE XOAUTH2 / OAUTHBEARER) for
   * the same users: starts an authorization server (`server.oauth`, see
   * auth-server.ts) and adds an oauth2 passdb that introspects tokens there.
   * Password logins keep working (the passwd-file passdb is limited to PLAIN/LOGIN).
   */
  oauth2?: boolean | OAuth2Options;
  /**
   * Dovecot's `mail_max_userip_connections` (default here 1000). A small value
   * makes the next login of the same user from 127.0.0.1 get
   * `NO [LIMIT] Maximum number of connections from user+IP exceeded`.
   */
  maxUserIpConnections?: number;
  /**
   * Also serve a submission server (test/harness/postfix.ts): LMTP on a free
   * port and an auth socket owned by the postfix user (`server.submission`).
   * Needs the `dovecot-lmtpd` and `postfix` packages and root.
   */
  submission?: boolean;
}

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';
const DOVECOT_LMTP = '/usr/lib/dovecot/lmtp';
const HOST = '127.0.0.1' as const;
const MISMATCH_HOST = '127.0.0.2' as const;
const INSECURE_HOST = '127.0.0.3' as const;
const LISTEN = `${HOST} ${MISMATCH_HOST} ${INSECURE_HOST}`;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
/** how long stop() lets Dovecot shut down gracefully (send BYE) before SIGKILL */
const STOP_GRACE_MS = 150;

/** Mailboxes (besides INBOX and the auto-created special-use ones) created for alice. */
export const ALICE_EXTRA_MAILBOXES: readonly string[] = ['Projects', 'Projects/Mailroom', 'Projects/Other'];
/** Special-use mailboxes both users have (auto = subscribe). */
export const SPECIAL_USE_MAILBOXES: Readonly<Record<string, string>> = {
  Sent: '\\Sent',
  Drafts: '\\Drafts',
  Trash: '\\Trash',
  Junk: '\\Junk',
  Archive: '\\Archive',
};

// ---------------------------------------------------------------------------
// small utilities
// ---------------------------------------------------------------------------

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = execFile(cmd, args, { cwd: opts.cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

function listenOn(host: string, port: number): Promise<net.Server> {
  return new Promise<net.Server>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port, exclusive: true }, () => resolve(srv));
  });
}

function closeServer(srv: net.Server): Promise<void> {
  return new Promise<void>((resolve) => srv.close(() => resolve()));
}

/** `count` distinct ports that are free on all listen addresses. */
export async function freePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const held: net.Server[] = [];
    const ports: number[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const first = await listenOn(HOST, 0);
        held.push(first);
        const port = (first.address() as net.AddressInfo).port;
        held.push(await listenOn(MISMATCH_HOST, port));
        held.push(await listenOn(INSECURE_HOST, port));
        ports.push(port);
      }
      return ports;
    } catch {
      // a port was taken on another address: try again
    } finally {
      await Promise.all(held.map(closeServer));
    }
  }
  throw new Error('could not find free ports on 127.0.0.1/127.0.0.2/127.0.0.3');
}

/** Resolves true if a TCP connection to host:port succeeds. */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Resolves with the first line the server sends (the IMAP greeting), or null. */
function readGreeting(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise<string | null>((resolve) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (v: string | null): void => {
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl).trimEnd());
    });
    sock.once('error', () => done(null));
    sock.once('close', () => done(null));
  });
}

export function tailOf(file: string, bytes: number): string {
  try {
    const st = fs.statSync(file);
    const fd = fs.openSync(file, 'r');
    try {
      const len = Math.min(bytes, st.size);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, st.size - len);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function lookupUser(name: string): { uid: number; gid: number } | null {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* no /etc/passwd */
  }
  return null;
}

/**
 * Processes in process group `pgid` (Linux /proc). Without /proc, returns a
 * fake member so callers fall back to their timeout.
 */
export function groupMembers(pgid: number | undefined): Array<{ pid: number; comm: string }> {
  if (!pgid) return [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [{ pid: -1, comm: '?' }];
  }
  const out: Array<{ pid: number; comm: string }> = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // fields: state ppid pgrp ...
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') {
      out.push({ pid: Number(e), comm: stat.slice(stat.indexOf('(') + 1, close) });
    }
  }
  return out;
}

function chownTree(p: string, uid: number, gid: number): void {
  fs.chownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) {
    for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
  }
}

// ---------------------------------------------------------------------------
// certificates (openssl CLI)
// ---------------------------------------------------------------------------

interface Certs {
  ca: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  fingerprint256: string;
}

/** A test CA and a leaf for 127.0.0.1, 127.0.0.3 and localhost (also for HTTPS test servers). */
export async function makeCerts(dir: string): Promise<Certs> {
  fs.mkdirSync(dir, { recursive: true });
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const certFile = path.join(dir, 'server.pem');
  const caCnf = path.join(dir, 'ca.cnf');
  const leafCnf = path.join(dir, 'leaf.cnf');
  fs.writeFileSync(
    caCnf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      'x509_extensions = v3_ca',
      '[dn]',
      'CN = Mailroom Test CA',
      'O = Mailroom Tests',
      '[v3_ca]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    leafCnf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = localhost',
      'O = Mailroom Tests',
      '[v3_leaf]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = DNS:localhost,IP:${HOST},IP:${INSECURE_HOST}`,
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid,issuer',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  // CA and leaf key/CSR are independent: generate them in parallel.
  await Promise.all([
    run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      caKey,
      '-out',
      caFile,
      '-days',
      '3650',
      '-config',
      caCnf,
      '-sha256',
    ]),
    run('openssl', ['req', '-new', ...ec, '-keyout', keyFile, '-out', csr, '-config', leafCnf, '-sha256']),
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-set_serial',
    '0x' + randomBytes(8).toString('hex'),
    '-days',
    '825',
    '-sha256',
    '-extfile',
    leafCnf,
    '-extensions',
    'v3_leaf',
    '-out',
    certFile,
  ]);
  fs.chmodSync(keyFile, 0o600);
  fs.chmodSync(caKey, 0o600);
  const leafPem = fs.readFileSync(certFile, 'utf8');
  return {
    ca: fs.readFileSync(caFile, 'utf8'),
    caFile,
    certFile,
    keyFile,
    fingerprint256: new X509Certificate(leafPem).fingerprint256,
  };
}

// ---------------------------------------------------------------------------
// mail seeding
// ---------------------------------------------------------------------------

const MAILDIR_FLAG: Record<string, string> = {
  '\\Draft': 'D',
  '\\Flagged': 'F',
  '\\Answered': 'R',
  '\\Seen': 'S',
  '\\Deleted': 'T',
};

function maildirFlags(flags: string[]): string {
  const letters: string[] = [];
  for (const f of flags) {
    const l = MAILDIR_FLAG[f];
    if (!l) throw new Error(`fixture flag ${f} cannot be seeded into Maildir (only system flags)`);
    letters.push(l);
  }
  return [...new Set(letters)].sort().join('');
}

function makeMaildir(p: string, isFolder: boolean): void {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(p, sub), { recursive: true });
  if (isFolder) fs.writeFileSync(path.join(p, 'maildirfolder'), '');
}

/**
 * Write a Maildir++ tree at `root`: INBOX (= root) with the given messages in
 * cur/ (UIDs in file-name order), and folders `.A.B` for mailbox "A/B".
 */
function seedMaildir(root: string, messages: Fixture[], folders: readonly string[]): void {
  makeMaildir(root, false);
  for (const f of folders) makeMaildir(path.join(root, '.' + f.split('/').join('.')), true);
  messages.forEach((m, i) => {
    const ts = Math.floor(m.date.getTime() / 1000);
    const size = m.raw.length;
    // The messages already use CRLF, so the virtual (W=) size equals the file size.
    const name = `${ts}.M${String(i + 1).padStart(6, '0')}P${process.pid}.mailroom,S=${size},W=${size}:2,${maildirFlags(m.flags)}`;
    const file = path.join(root, 'cur', name);
    fs.writeFileSync(file, m.raw);
    fs.utimesSync(file, m.date, m.date);
  });
  if (folders.length > 0) {
    // Dovecot 2.3 subscriptions file: "V\t2\n\n" then one name per line, hierarchy separated by TAB.
    fs.writeFileSync(
      path.join(root, 'subscriptions'),
      'V\t2\n\n' + folders.map((f) => f.split('/').join('\t') + '\n').join(''),
    );
  }
}

// ---------------------------------------------------------------------------
// config
// ---------------------------------------------------------------------------

function dovecotConf(o: {
  dir: string;
  instance: string;
  imapPort: number;
  imapsPort: number;
  certs: Certs;
  usersFile: string;
  mailFormat: 'maildir' | 'mdbox';
  /** the oauth2 passdb's args file and SASL mechanisms, when OAuth2 is enabled */
  oauth2?: { confFile: string; mechanisms: string };
  maxUserIpConnections: number;
  /** LMTP and Postfix's SASL socket, when a submission server is wanted */
  submission?: SubmissionEndpoints;
}): string {
  const sub = o.submission;
  const mailLocation = o.mailFormat === 'maildir' ? 'maildir:~/Maildir' : 'mdbox:~/mdbox';
  const specialUse = Object.entries(SPECIAL_USE_MAILBOXES)
    .map(([name, use]) => `  mailbox ${name} {\n    special_use = ${use}\n    auto = subscribe\n  }`)
    .join('\n');
  return `# Generated by test/harness/dovecot.ts; private test instance.
instance_name = ${o.instance}
base_dir = ${o.dir}/run
state_dir = ${o.dir}/state
log_path = ${o.dir}/dovecot.log
protocols = imap${sub ? ' lmtp' : ''}
listen = ${LISTEN}
shutdown_clients = yes

ssl = yes
ssl_cert = <${o.certs.certFile}
ssl_key = <${o.certs.keyFile}
ssl_min_protocol = TLSv1.2

disable_plaintext_auth = yes
auth_mechanisms = plain login${o.oauth2 ? ` ${o.oauth2.mechanisms}` : ''}
auth_failure_delay = 0
auth_verbose = yes

first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull

mail_location = ${mailLocation}
mail_fsync = never
mailbox_list_index = yes

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${o.usersFile}${o.oauth2 ? '\n  mechanisms = plain login' : ''}
}
${
  o.oauth2
    ? `passdb {
  driver = oauth2
  mechanisms = ${o.oauth2.mechanisms}
  args = ${o.oauth2.confFile}
}
`
    : ''
}userdb {
  driver = passwd-file
  args = username_format=%u ${o.usersFile}
}

namespace inbox {
  inbox = yes
  separator = /
${specialUse}
}

service imap-login {
  inet_listener imap {
    address = ${LISTEN}
    port = ${o.imapPort}
  }
  inet_listener imaps {
    address = ${LISTEN}
    port = ${o.imapsPort}
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
  # No auth penalty: without this, after a failed login every login from the
  # same IP (all of them: 127.0.0.1) is delayed 2..15 s for half a minute.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

protocol imap {
  mail_plugins = $mail_plugins imap_zlib
  mail_max_userip_connections = ${o.maxUserIpConnections}
}
${
  sub
    ? `
# Submission (test/harness/postfix.ts): Postfix delivers over LMTP and authenticates here.
# %Ln: LMTP's RCPT is bob@example.test, the user is bob.
auth_username_format = %Ln
service lmtp {
  inet_listener lmtp {
    address = ${HOST}
    port = ${sub.lmtpPort}
  }
}
service auth {
  unix_listener ${sub.saslSocket} {
    mode = 0660
    user = postfix
    group = postfix
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.test
}
`
    : ''
}`;
}

// ---------------------------------------------------------------------------
// process bookkeeping and tear-down
// ---------------------------------------------------------------------------

/** A private server process of the harness, cleaned up by the exit hooks if its owner forgets. */
export interface Live {
  dir: string;
  child: ChildProcess | null;
  watchdog: ChildProcess | null;
  pgidFile: string;
  dispose(): Promise<void>;
}

const live = new Set<Live>();
let hooksInstalled = false;

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

function onExit(): void {
  for (const l of live) {
    killGroup(l.child?.pid, 'SIGKILL');
    if (l.watchdog?.pid) {
      try {
        process.kill(l.watchdog.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      fs.rmSync(l.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === 'SIGINT' ? 130 : 143;
  void Promise.allSettled([...live].map((l) => l.dispose())).then(() => process.exit(code));
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Registers a server with the exit and signal hooks (see the top of this file). */
export function trackLive(entry: Live): void {
  installHooks();
  live.add(entry);
}

export function untrackLive(entry: Live): void {
  live.delete(entry);
  removeHooksIfIdle();
}

function removeHooksIfIdle(): void {
  if (!hooksInstalled || live.size > 0) return;
  hooksInstalled = false;
  process.removeListener('exit', onExit);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/**
 * A watchdog that outlives nothing: it blocks reading its stdin (a pipe from
 * us). When this process dies for any reason the pipe closes and the watchdog
 * kills the Dovecot process group recorded in pgidFile and removes the dir.
 */
export function spawnWatchdog(dir: string, pgidFile: string, name = 'mailroom-dovecot-watchdog'): ChildProcess {
  const script = 'read _ ; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && kill -9 -"$p" 2>/dev/null; rm -rf "$2"';
  const wd = spawn('/bin/sh', ['-c', script, name, pgidFile, dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  wd.on('error', () => undefined);
  wd.unref();
  const stdin = wd.stdin as unknown as net.Socket | null;
  stdin?.on('error', () => undefined);
  stdin?.unref();
  return wd;
}

// ---------------------------------------------------------------------------
// startDovecot
// ---------------------------------------------------------------------------

export async function startDovecot(opts: StartDovecotOptions = {}): Promise<TestServer> {
  const mailFormat = opts.mailFormat ?? 'maildir';
  if (!fs.existsSync(DOVECOT)) {
    throw new Error(
      `${DOVECOT} not found: install Dovecot (apt-get install dovecot-imapd) to run IMAP integration tests`,
    );
  }
  const mailOwner = lookupUser('dovecot');
  if (!mailOwner || !lookupUser('dovenull')) {
    throw new Error('the dovecot and dovenull system users are missing (install the dovecot-core package)');
  }
  const { uid, gid } = mailOwner;

  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'mailroom-dovecot-'));
  // Dovecot's unprivileged processes must be able to traverse to the homes.
  fs.chmodSync(dir, 0o755);
  const pgidFile = path.join(dir, 'dovecot.pgid');
  let oauth: AuthServer | undefined;
  const entry: Live = {
    dir,
    child: null,
    watchdog: null,
    pgidFile,
    dispose: async () => {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  installHooks();
  live.add(entry);
  entry.watchdog = spawnWatchdog(dir, pgidFile);
  // Everything but Dovecot itself: the watchdog, the temp dir, the exit hooks, the authorization server. Once.
  let released: Promise<void> | undefined;
  const release = (): Promise<void> =>
    (released ??= (async () => {
      const wd = entry.watchdog;
      entry.watchdog = null;
      if (wd?.pid && wd.exitCode === null) {
        try {
          process.kill(wd.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
      live.delete(entry);
      removeHooksIfIdle();
      await oauth?.close();
    })());

  try {
    const logFile = path.join(dir, 'dovecot.log');
    const stderrFile = path.join(dir, 'dovecot.stderr');
    const confFile = path.join(dir, 'dovecot.conf');
    const usersFile = path.join(dir, 'users');
    fs.mkdirSync(path.join(dir, 'run'), { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'state'), { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'home'), { mode: 0o755 });

    const [certs, ports] = await Promise.all([makeCerts(path.join(dir, 'certs')), freePorts(opts.submission ? 3 : 2)]);
    // Reassigned only if another process grabs a port before Dovecot binds it (see below).
    let [imapPort, imapsPort] = ports as [number, number];
    let submission: SubmissionEndpoints | undefined;
    if (opts.submission) {
      const postfix = lookupUser('postfix');
      if (!postfix)
        throw new Error('the postfix system user is missing (install the postfix package: scripts/lib/ensure-debs.sh)');
      if (!fs.existsSync(DOVECOT_LMTP)) throw new Error(`${DOVECOT_LMTP} not found: install dovecot-lmtpd`);
      // Postfix's smtpd (running as postfix) must reach the socket; nobody else needs to.
      const spool = path.join(dir, 'postfix-sasl');
      fs.mkdirSync(spool, { mode: 0o750 });
      fs.chownSync(spool, postfix.uid, postfix.gid);
      submission = { lmtpPort: ports[2]!, saslSocket: path.join(spool, 'dovecot-auth') };
    }

    const users = { alice: { user: 'alice', pass: 'alicepw' }, bob: { user: 'bob', pass: 'bobpw' } };
    const home = (u: string): string => path.join(dir, 'home', u);
    let usersVersion = 0;
    const writeUsers = (): void => {
      // Written aside and renamed: a login racing the change reads the old file or the new one, never half of it.
      const tmp = `${usersFile}.tmp`;
      fs.writeFileSync(
        tmp,
        Object.values(users)
          .map((u) => `${u.user}:{PLAIN}${u.pass}:${uid}:${gid}::${home(u.user)}::\n`)
          .join(''),
        { mode: 0o644 },
      );
      // Dovecot reloads the file when its mtime (whole seconds) or size changed: give each version its own second.
      const stamp = Math.floor(Date.now() / 1000) + 1000 + usersVersion++;
      fs.utimesSync(tmp, stamp, stamp);
      fs.renameSync(tmp, usersFile);
    };
    writeUsers();
    const maxUserIpConnections = opts.maxUserIpConnections ?? 1000;
    const instance = `mailroom-test-${path.basename(dir).slice(-6)}`;
    let oauth2: { confFile: string; mechanisms: string } | undefined;
    if (opts.oauth2) {
      const o2: OAuth2Options = typeof opts.oauth2 === 'object' ? opts.oauth2 : {};
      const mechanisms = o2.mechanisms ?? ['xoauth2', 'oauthbearer'];
      if (mechanisms.length === 0) throw new Error('oauth2.mechanisms must not be empty');
      oauth = await startAuthServer({
        cert: fs.readFileSync(certs.certFile, 'utf8'),
        key: fs.readFileSync(certs.keyFile, 'utf8'),
        ca: certs.ca,
      });
      const oauth2ConfFile = path.join(dir, 'dovecot-oauth2.conf.ext');
      oauth2 = { confFile: oauth2ConfFile, mechanisms: mechanisms.join(' ') };
      fs.writeFileSync(
        oauth2ConfFile,
        [
          '# Generated by test/harness/dovecot.ts',
          // RFC 7662: POST token=…, Dovecot authenticating as a client (Basic, from the URL).
          'introspection_mode = post',
          `introspection_url = ${oauth.dovecotIntrospectionUrl}`,
          `tls_ca_cert_file = ${certs.caFile}`,
          'username_attribute = sub',
          'active_attribute = active',
          'active_value = true',
          'timeout_msecs = 5000',
          '',
        ].join('\n'),
        { mode: 0o644 },
      );
    }
    const writeConf = (): void =>
      fs.writeFileSync(
        confFile,
        dovecotConf({
          dir,
          instance,
          imapPort,
          imapsPort,
          certs,
          usersFile,
          mailFormat,
          oauth2,
          maxUserIpConnections,
          submission,
        }),
      );
    writeConf();

    for (const u of Object.values(users)) fs.mkdirSync(home(u.user), { mode: 0o700 });
    if (mailFormat === 'maildir') {
      seedMaildir(path.join(home('alice'), 'Maildir'), FIXTURES, ALICE_EXTRA_MAILBOXES);
      makeMaildir(path.join(home('bob'), 'Maildir'), false);
      for (const u of Object.values(users)) chownTree(home(u.user), uid, gid);
    } else {
      // mdbox: seeded by doveadm once Dovecot runs (doveadm needs its auth socket).
      for (const u of Object.values(users)) chownTree(home(u.user), uid, gid);
    }

    let child: ChildProcess | null = null;
    let exited: Promise<void> = Promise.resolve();
    let disposed: Promise<void> | null = null;

    const logTail = (bytes = 4000): string => {
      const err = tailOf(stderrFile, 2000).trim();
      return (err ? `[stderr]\n${err}\n[log]\n` : '') + tailOf(logFile, bytes);
    };

    const portsClosed = async (deadline: number): Promise<void> => {
      for (;;) {
        const open = await Promise.all([canConnect(HOST, imapsPort), canConnect(HOST, imapPort)]);
        if (!open[0] && !open[1]) return;
        if (Date.now() > deadline) throw new Error(`Dovecot ports ${imapPort}/${imapsPort} still open after stop`);
        await sleep(20);
      }
    };

    const start = async (): Promise<void> => {
      if (disposed) throw new Error('TestServer was disposed');
      if (child) return;
      // On SIGTERM the master rewrites its instance list under a dotlock; stop() SIGKILLs it at most
      // STOP_GRACE_MS later, sometimes mid-update. The next master then waits for that lock to go
      // stale (longer than START_TIMEOUT_MS) before it starts anything: it binds the ports but never
      // greets. No master of this instance runs now, so such a lock is stale by definition.
      fs.rmSync(path.join(dir, 'state', 'instances.lock'), { force: true });
      const out = fs.openSync(stderrFile, 'a');
      let c: ChildProcess;
      try {
        c = spawn(DOVECOT, ['-F', '-c', confFile], { detached: true, stdio: ['ignore', out, out] });
      } finally {
        fs.closeSync(out);
      }
      child = c;
      entry.child = c;
      let exitInfo: string | null = null;
      exited = new Promise<void>((resolve) => {
        c.once('exit', (code, signal) => {
          exitInfo = `code ${code} signal ${signal}`;
          // Whatever way the master went, its children (an imap/imap-login
          // pair would linger for seconds) go with it.
          killGroup(c.pid, 'SIGKILL');
          if (child === c) {
            child = null;
            entry.child = null;
          }
          resolve();
        });
        c.once('error', (err: Error) => {
          exitInfo = `spawn error ${err.message}`;
          if (child === c) {
            child = null;
            entry.child = null;
          }
          resolve();
        });
      });
      if (c.pid) fs.writeFileSync(pgidFile, String(c.pid));
      // Keep the event loop alive only while we wait on it (see stop()).
      const deadline = Date.now() + START_TIMEOUT_MS;
      try {
        for (;;) {
          if (exitInfo !== null) throw new Error(`Dovecot exited during start-up (${exitInfo})`);
          if (await canConnect(HOST, imapsPort)) break;
          if (Date.now() > deadline)
            throw new Error(`Dovecot did not accept connections on ${HOST}:${imapsPort} within ${START_TIMEOUT_MS} ms`);
          await sleep(15);
        }
        // The listener accepting TCP only proves the master bound it; wait for a login process greeting too.
        for (;;) {
          if (exitInfo !== null) throw new Error(`Dovecot exited during start-up (${exitInfo})`);
          const greeting = await readGreeting(HOST, imapPort, Math.max(100, deadline - Date.now()));
          if (greeting?.startsWith('* OK')) break;
          if (Date.now() > deadline)
            throw new Error(`Dovecot sent no IMAP greeting on ${HOST}:${imapPort} within ${START_TIMEOUT_MS} ms`);
          await sleep(15);
        }
      } catch (e) {
        killGroup(c.pid, 'SIGKILL');
        await exited;
        throw new Error(`${(e as Error).message}\n--- ${logFile} ---\n${logTail()}`);
      }
      c.unref();
    };

    const stop = async (): Promise<void> => {
      const c = child;
      if (!c) return;
      c.ref();
      const pid = c.pid;
      // SIGTERM to the whole process group, not only the master: the master
      // alone takes ~1 s to exit (waiting for its log process) and only then
      // do sessions get their BYE; a session's imap-login/imap pair would
      // linger ~10 s more. Signalled together, every imap process sends
      // "* BYE Server shutting down." (usually delivered: its imap-login may
      // die first) and everything but the master and log is gone in ~15 ms.
      // Then SIGKILL the rest of the group, after STOP_GRACE_MS at most.
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (c.exitCode === null && c.signalCode === null && Date.now() < deadline) {
        const others = groupMembers(pid).filter((m) => m.pid !== pid && m.comm !== 'log');
        if (others.length === 0) break;
        await sleep(10);
      }
      killGroup(pid, 'SIGKILL');
      await exited;
      // Any straggler of the group (an imap process finishing) goes too, and is waited for: a log
      // process still exiting holds the log sockets, and the next master refuses to start ("Socket
      // already exists").
      killGroup(pid, 'SIGKILL');
      for (const deadline = Date.now() + 1000; groupMembers(pid).length > 0 && Date.now() < deadline;) await sleep(5);
      try {
        fs.rmSync(pgidFile, { force: true });
      } catch {
        /* ignore */
      }
      await portsClosed(Date.now() + STOP_TIMEOUT_MS);
    };

    const dispose = (): Promise<void> => {
      if (!disposed) {
        disposed = (async () => {
          try {
            await stop();
          } finally {
            await release();
          }
        })();
      }
      return disposed;
    };
    entry.dispose = dispose;

    // First start; if a port was taken between freePorts() and Dovecot's bind, pick new ones.
    for (let attempt = 1; ; attempt++) {
      try {
        await start();
        break;
      } catch (e) {
        if (attempt >= 3 || !/Address already in use/i.test((e as Error).message)) throw e;
        const fresh = await freePorts(submission ? 3 : 2);
        [imapPort, imapsPort] = fresh as [number, number];
        if (submission) submission.lmtpPort = fresh[2]!;
        writeConf();
      }
    }

    const server: TestServer = {
      host: HOST,
      mismatchHost: MISMATCH_HOST,
      insecureHost: INSECURE_HOST,
      imapsPort,
      imapPort,
      ca: certs.ca,
      caFile: certs.caFile,
      certFile: certs.certFile,
      keyFile: certs.keyFile,
      fingerprint256: certs.fingerprint256,
      users,
      mailFormat,
      dir,
      logFile,
      get running(): boolean {
        return child !== null;
      },
      stop,
      start,
      dispose,
      logTail,
      async setPassword(user, pass) {
        users[user].pass = pass;
        writeUsers();
        // The auth process looks at the file at most once per second of its clock: the next login
        // after the next second boundary reads the new version.
        await sleep(1050 - (Date.now() % 1000));
      },
      ...(oauth ? { oauth } : {}),
      ...(submission ? { submission } : {}),
    };
    if (mailFormat === 'mdbox') {
      // Import a Maildir seed: keeps the order (UIDs 1..N), flags and INTERNALDATEs.
      const seedRoot = path.join(dir, 'seed');
      seedMaildir(path.join(seedRoot, 'Maildir'), FIXTURES, []);
      chownTree(seedRoot, uid, gid);
      await run(DOVEADM, ['-c', confFile, 'mailbox', 'create', '-u', 'alice', '-s', ...ALICE_EXTRA_MAILBOXES]);
      await run(DOVEADM, [
        '-c',
        confFile,
        'import',
        '-u',
        'alice',
        `maildir:${path.join(seedRoot, 'Maildir')}`,
        '',
        'mailbox',
        'INBOX',
        'ALL',
      ]);
      fs.rmSync(seedRoot, { recursive: true, force: true });
    }
    return server;
  } catch (e) {
    await entry.dispose().catch(() => undefined);
    // entry.dispose may be the early one (before the server object existed)
    killGroup(entry.child?.pid, 'SIGKILL');
    await release();
    throw e;
  }
}
