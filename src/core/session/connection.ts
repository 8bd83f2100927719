// One IMAP connection with a life of its own: connects on demand, exposes its state, reconnects
// with backoff after an unexpected drop and logs out gracefully on dispose. imapflow instances are
// single-use, so every (re)connect builds a fresh ImapFlow.
//
// A connection can also die silently (NAT timeout, Wi-Fi or VPN change: no FIN, no RST), and the
// socket then looks alive for as long as TCP keepalive takes — minutes. So every command has a
// deadline (imapflow's socketTimeout: that long without a word from the server), a connection that
// has been quiet for a while is checked with a NOOP before it carries a command, and imapflow's
// `false` answers are told apart: a command that failed because the connection did is a
// connection failure, never "the server refused".
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { ImapFlow, ImapFlowOptions, MailboxObject } from 'imapflow';
import { imapflow } from '../libraries';
import { type AccountConfig, type PasswordProvider, loadCa, resolveCredentials } from './account';
import { defaultBackoff, backoffDelay, type BackoffOptions } from './backoff';
import type { AccessTokenSource } from '../auth/token-source';
import { classifyError, isAuthenticationFailure, isConnectionFailure, isSilence } from './classify';
import { MailError } from '../errors';
import { Emitter, type Event } from '../events';
import { formatImapLogEntry, type Logger, type LogLevel, RedactingLogger, SecretRedactor } from '../log';
import { StructureMemo } from '../reading/structure-memo';
import { PageMarks } from '../mailbox/page-marks';

export type ConnectionState =
  | { status: 'disconnected' }
  | { status: 'connecting' }
  | { status: 'connected' }
  | { status: 'reconnecting'; attempt: number; delayMs: number; error: MailError }
  | { status: 'failed'; error: MailError }
  | { status: 'closed' };

export interface ConnectionOptions {
  account: AccountConfig;
  passwords: PasswordProvider;
  logger: Logger;
  /** Shared by the connections of one account so every one masks every secret. */
  redactor?: SecretRedactor;
  label?: string;
  backoff?: BackoffOptions;
  /** Reconnect by itself after an unexpected drop (the IDLE watcher wants this). */
  autoReconnect?: boolean;
  /** Log the IMAP conversation at trace level (secrets masked). */
  traceProtocol?: boolean;
  /** COMPRESS=DEFLATE helps on slow links and costs CPU on fast ones; `auto` = off for loopback. */
  compression?: 'auto' | 'on' | 'off';
  /** How soon an unused connection enters IDLE (imapflow's default is 15 s). */
  autoIdleDelayMs?: number;
  deadlines?: Partial<Deadlines>;
  /** Shared by the connections of one account: structures one of them listed, another can read with. */
  structures?: StructureMemo;
  /** `auth: "oauth2"` accounts: their access tokens (shared by the account's connections). */
  tokens?: AccessTokenSource;
}

export interface Deadlines {
  /** A command that hears nothing from the server this long fails; the connection counts as dead. */
  commandMs: number;
  /** A connection that heard nothing from the server this long is checked with a NOOP before use. */
  probeAfterMs: number;
  /** How long that NOOP may take before the connection is given up for a fresh one. */
  probeMs: number;
  /** IDLE is ended and re-issued at least this often (RFC 2177 asks for less than 29 minutes). */
  maxIdleMs: number;
}

// Dovecot sends "* OK Hang in there" / "Searched n %" every 15 s of a long COPY or SEARCH, so 30 s
// of silence is a dead peer, not a slow command. An account whose timeoutMs is longer gets that.
export const defaultDeadlines: Deadlines = {
  commandMs: 30_000,
  probeAfterMs: 10_000,
  probeMs: 5_000,
  maxIdleMs: 10 * 60_000,
};

/** One logged-in ImapFlow and what is known of its health. */
interface Session {
  client: ImapFlow;
  /** When the server last answered a command (any tagged response, imapflow's own NOOPs included). */
  heardAt: number;
  /** The first error that says the connection itself failed: nothing on this session can be trusted after it. */
  failure?: unknown;
  /** run() calls under way: while one waits for an answer, a probe would only queue behind it. */
  active: number;
  probe?: Promise<void>;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

// Parsing the ~140 public roots plus an account's CA costs ~40 ms of CPU: once per CA, not per connection.
const secureContexts = new Map<string, SecureContext>();
function secureContextFor(ca: string): SecureContext {
  let ctx = secureContexts.get(ca);
  if (!ctx) {
    ctx = createSecureContext({ ca: [...rootCertificates, ca], minVersion: 'TLSv1.2' });
    secureContexts.set(ca, ctx);
  }
  return ctx;
}

export interface RunOptions {
  /** Safe to send twice (a read, a flag STORE): retried once on a fresh connection after a connection failure. */
  idempotent?: boolean;
  /**
   * For what is not idempotent: the clause that tells the person what to check when the
   * connection failed under it, e.g. `the move to "Archive" may or may not have happened — check …`.
   */
  uncertain?: string;
}

/** What imapflow needs to know of a folder to SELECT it without asking LIST first. */
export interface KnownFolder {
  path: string;
  delimiter: string;
  specialUse?: string;
  subscribed: boolean;
}

export class ImapConnection {
  private session: Session | undefined;
  private connecting: Promise<Session> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private disposed = false;
  private lastCommandError: string | undefined;
  private knownFolders: KnownFolder[] = [];
  private _state: ConnectionState = { status: 'disconnected' };
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private readonly connectEmitter = new Emitter<ImapFlow>();
  private readonly logger: RedactingLogger;
  readonly redactor: SecretRedactor;
  readonly structures: StructureMemo;
  /** Where this connection's last page of each folder ended, for the next "Load more". */
  readonly pageMarks = new PageMarks();
  readonly deadlines: Deadlines;

  /** Fires on every state change. */
  readonly onDidChangeState: Event<ConnectionState> = this.stateEmitter.event;
  /** Fires with each new ImapFlow once it is logged in (after reconnects too). */
  readonly onDidConnect: Event<ImapFlow> = this.connectEmitter.event;

  constructor(private readonly options: ConnectionOptions) {
    this.redactor = options.redactor ?? new SecretRedactor();
    this.structures = options.structures ?? new StructureMemo();
    this.logger = new RedactingLogger(options.logger, this.redactor);
    this.deadlines = {
      ...defaultDeadlines,
      commandMs: Math.max(defaultDeadlines.commandMs, options.account.timeoutMs ?? 0),
      ...options.deadlines,
    };
  }

  get account(): AccountConfig {
    return this.options.account;
  }
  get state(): ConnectionState {
    return this._state;
  }
  /** The live client, if connected right now. */
  get client(): ImapFlow | undefined {
    return this.healthy(this.session) ? this.session.client : undefined;
  }

  hasCapability(name: string): boolean {
    return this.session?.client.capabilities.has(name) ?? false;
  }

  private healthy(s: Session | undefined): s is Session {
    return s !== undefined && s.client.usable && s.failure === undefined;
  }

  /** The text of the last command the server refused (imapflow reports some failures as `false`). */
  takeLastCommandError(): string | undefined {
    const text = this.lastCommandError;
    this.lastCommandError = undefined;
    return text;
  }

  /**
   * Tells this connection (and every future one) the folders already listed. imapflow runs
   * `LIST "" <path>` before a SELECT of a folder it has not listed itself; on a big Maildir that
   * LIST makes the SELECT cost 200 ms instead of 2.
   */
  primeFolders(folders: KnownFolder[]): void {
    this.knownFolders = folders;
    if (this.session) this.applyKnownFolders(this.session.client);
  }

  private applyKnownFolders(client: ImapFlow): void {
    // `folders` is imapflow's own LIST cache (filled by list()); we only add what it lacks.
    const cache = (client as unknown as { folders?: Map<string, unknown> }).folders;
    if (!(cache instanceof Map)) return;
    // INBOX always exists (RFC 3501): its delimiter is the personal namespace's.
    const ns = (client as unknown as { namespace?: { delimiter?: string } }).namespace;
    const inbox: KnownFolder = { path: 'INBOX', delimiter: ns?.delimiter || '/', subscribed: true };
    for (const f of [inbox, ...this.knownFolders]) {
      if (cache.has(f.path)) continue;
      cache.set(f.path, {
        path: f.path,
        delimiter: f.delimiter,
        ...(f.specialUse ? { specialUse: f.specialUse } : {}),
        subscribed: f.subscribed,
        listed: true,
        flags: new Set<string>(),
      });
    }
  }

  private setState(state: ConnectionState): void {
    this._state = state;
    this.stateEmitter.fire(state);
  }

  /** The connected client, connecting first if needed. Concurrent callers share one attempt. */
  async connect(): Promise<ImapFlow> {
    return (await this.connectSession()).client;
  }

  private async connectSession(): Promise<Session> {
    if (this.disposed) throw new MailError('connectionLost', `The connection to ${this.account.host} was closed.`);
    if (this.healthy(this.session)) return this.session;
    // A session that failed but has not closed yet (imapflow closes after the error event) is done.
    if (this.session) this.drop(this.session);
    if (!this.connecting) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.connecting = this.open().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async open(refreshedToken = false): Promise<Session> {
    if (this._state.status !== 'reconnecting') this.setState({ status: 'connecting' });
    let client: ImapFlow | undefined;
    let accessToken: string | undefined;
    // Filled in as imapflow reports; the session object exists before the client so its logger can write to it.
    const health: Omit<Session, 'client'> = { heardAt: Date.now(), active: 0 };
    try {
      const credentials = await resolveCredentials(this.account, this.options.passwords, {
        ...(this.options.tokens ? { tokens: this.options.tokens } : {}),
        log: (line) => this.logger.warn(`${this.tag()} ${line}`),
      });
      accessToken = credentials.accessToken;
      const secret = credentials.pass ?? credentials.accessToken;
      if (secret) this.redactor.add(secret, credentials.user);
      client = new (imapflow().ImapFlow)(await this.imapOptions(credentials, health));
      client.on('error', (err: Error) => {
        health.failure ??= err;
        this.logger.debug(`${this.tag()} socket error: ${err.message}`);
      });
      client.on('response', () => {
        health.heardAt = Date.now();
      });
      await client.connect();
    } catch (err) {
      client?.close();
      // A refused access token may have been revoked or have expired early: refresh it, once.
      if (!refreshedToken && this.options.tokens && accessToken !== undefined && isAuthenticationFailure(err)) {
        this.options.tokens.invalidate(accessToken);
        this.logger.info(`${this.tag()} the server refused the access token; refreshing it once`);
        return this.open(true);
      }
      const error = await classifyError(err, this.account);
      this.logger.warn(`${this.tag()} connect failed: ${error.message}`);
      this.afterFailure(error);
      throw error;
    }
    if (this.disposed) {
      await client.logout().catch(() => undefined);
      throw new MailError('connectionLost', `The connection to ${this.account.host} was closed.`);
    }
    const session: Session = Object.assign(health, { client, heardAt: Date.now() });
    this.session = session;
    this.attempt = 0;
    this.applyKnownFolders(client);
    client.on('close', () => this.onClose(session));
    this.logger.info(`${this.tag()} connected (${[...client.capabilities.keys()].join(' ')})`);
    this.setState({ status: 'connected' });
    this.connectEmitter.fire(client);
    return session;
  }

  private async imapOptions(
    credentials: { user: string; pass?: string; accessToken?: string },
    health: { failure?: unknown },
  ): Promise<ImapFlowOptions> {
    const a = this.account;
    const ca = await loadCa(a);
    const timeout = a.timeoutMs ?? 20_000;
    const compression = this.options.compression ?? 'auto';
    // imapflow's debug/trace entries are the protocol conversation: our trace level, and only
    // formatted when asked for. Its warnings carry the reason of refused commands.
    const forward = (level: LogLevel | undefined) => (entry: unknown) => {
      const err = (entry as { err?: Error & { responseText?: string } } | null)?.err;
      if (err) {
        this.lastCommandError = this.redactor.redact(err.responseText || err.message);
        // imapflow turns such failures into `false` answers: remember that the connection caused them.
        if (isConnectionFailure(err)) health.failure ??= err;
      }
      if (level) this.logger[level](`${this.tag()} ${formatImapLogEntry(entry)}`);
    };
    const protocol = this.options.traceProtocol ? 'trace' : undefined;
    const logger: Exclude<ImapFlowOptions['logger'], false | undefined> & { isLevelEnabled(level: string): boolean } = {
      trace: forward(protocol),
      debug: forward(protocol),
      info: forward('debug'),
      warn: forward('warn'),
      error: forward('error'),
      fatal: forward('error'),
      // imapflow asks before it turns a response back into text for the log: without this it
      // would do so for every line of every FETCH (an eighth of a list page's CPU) and we would
      // throw the text away.
      isLevelEnabled: (level) => protocol !== undefined || (level !== 'trace' && level !== 'debug'),
    };
    return {
      host: a.host,
      port: a.port,
      secure: a.security === 'tls',
      doSTARTTLS: a.security === 'starttls' ? true : a.security === 'plain' ? false : undefined,
      auth:
        credentials.accessToken !== undefined
          ? { user: credentials.user, accessToken: credentials.accessToken }
          : { user: credentials.user, pass: credentials.pass! },
      // Verification always on; an account's own CA is added to (not substituted for) the public roots.
      tls: { minVersion: 'TLSv1.2', ...(ca ? { secureContext: secureContextFor(ca) } : {}) },
      logger,
      qresync: true,
      disableCompression: compression === 'off' || (compression === 'auto' && LOOPBACK.test(a.host)),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      // The command deadline: imapflow fails a command after this long without a byte from the
      // server; on a connection quiet by design (IDLE, a held lock) it sends a NOOP instead, and
      // gives up when that is not answered within the same time.
      socketTimeout: this.deadlines.commandMs,
      maxIdleTime: this.deadlines.maxIdleMs,
      // Without IDLE, imapflow polls the selected mailbox: NOOP is what makes a server report new mail there.
      missingIdleCommand: 'NOOP',
      clientInfo: { name: 'Mailroom' },
      ...(this.options.autoIdleDelayMs !== undefined ? { autoIdleDelay: this.options.autoIdleDelayMs } : {}),
    };
  }

  private afterFailure(error: MailError): void {
    if (this.disposed) return;
    // A connection that keeps itself alive gives up only on what the person has to fix.
    if (!error.needsUser && this.options.autoReconnect) this.scheduleReconnect(error);
    else this.setState({ status: 'failed', error });
  }

  private onClose(session: Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    if (this.disposed) return;
    this.logger.info(`${this.tag()} connection closed`);
    const error = this.lostError(session);
    if (this.options.autoReconnect) this.scheduleReconnect(error);
    else this.setState({ status: 'disconnected' });
  }

  /** Closes a session for good (the 'close' it causes reconnects an autoReconnect connection). */
  private drop(session: Session): void {
    session.failure ??= Object.assign(new Error('Connection dropped'), { code: 'EConnectionClosed' });
    session.client.close();
  }

  /** What a failed session means for the person: the server went quiet, or the connection went away. */
  private lostError(session: Session): MailError {
    const seconds = Math.round(this.deadlines.commandMs / 1000);
    return session.failure !== undefined && isSilence(session.failure)
      ? new MailError(
          'timeout',
          `${this.account.host} did not answer for ${seconds} s.`,
          { seconds },
          { cause: session.failure },
        )
      : new MailError(
          'connectionLost',
          `The connection to ${this.account.host} was lost.`,
          {},
          { cause: session.failure },
        );
  }

  /** How long to wait before retry number `attempt` (0 first), on this connection's backoff. */
  retryDelay(attempt: number): number {
    return backoffDelay(attempt, this.options.backoff ?? defaultBackoff);
  }

  private scheduleReconnect(error: MailError): void {
    const delayMs = this.retryDelay(this.attempt);
    this.attempt++;
    this.setState({ status: 'reconnecting', attempt: this.attempt, delayMs, error });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().catch(() => undefined); // open() already recorded the outcome
    }, delayMs);
    this.reconnectTimer.unref?.();
  }

  /**
   * Runs `fn` on the connected client. Failures come back as MailErrors. A connection that fails
   * during `fn` (dropped, or silent past the command deadline) is reported as such — also when
   * imapflow answered `false` rather than throwing. Only an operation the caller marks idempotent
   * (a read, a flag STORE) is tried once more on a fresh connection, never a COPY or MOVE: for
   * those `uncertain` says what the person must check, since the server may have done it.
   */
  async run<T>(fn: (client: ImapFlow) => Promise<T>, opts: RunOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.freshSession();
      session.active++;
      let done = false;
      let value: T | undefined;
      let thrown: unknown;
      try {
        value = await fn(session.client);
        done = true;
      } catch (err) {
        thrown = err;
      } finally {
        session.active--;
      }
      // A result built on a command that failed with the connection is no result.
      if (done && session.failure === undefined) return value as T;
      const error =
        session.failure !== undefined
          ? this.lostError(session)
          : thrown instanceof MailError
            ? thrown
            : await classifyError(thrown, this.account, { probe: false });
      const connectionFailed = error.kind === 'connectionLost' || error.kind === 'timeout';
      if (connectionFailed && opts.idempotent && attempt === 0 && !this.disposed) {
        this.logger.info(`${this.tag()} ${error.message} Trying once more on a fresh connection.`);
        this.drop(session);
        continue;
      }
      if (connectionFailed && opts.uncertain) {
        throw new MailError(
          error.kind,
          `${error.message.replace(/\.$/, '')}; ${opts.uncertain}.`,
          { ...error.details, uncertain: true },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * The session to run a command on. One that has heard nothing from the server for a while is
   * asked for a NOOP first (callers arriving meanwhile share it): when that goes unanswered, the
   * connection died silently, and a fresh one is made — seconds, instead of a command deadline.
   */
  private async freshSession(): Promise<Session> {
    const session = await this.connectSession();
    if (session.active > 0 || Date.now() - session.heardAt < this.deadlines.probeAfterMs) return session;
    session.probe ??= this.probe(session).finally(() => {
      session.probe = undefined;
    });
    await session.probe;
    return this.healthy(session) ? session : this.connectSession();
  }

  private async probe(session: Session): Promise<void> {
    const quiet = Date.now() - session.heardAt;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      session.client.noop().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.deadlines.probeMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (answered && this.healthy(session)) return;
    this.logger.info(
      `${this.tag()} no answer to NOOP within ${this.deadlines.probeMs} ms after ${Math.round(quiet / 1000)} s of quiet: the connection is dead, opening a fresh one`,
    );
    session.failure ??= Object.assign(new Error('No answer to NOOP'), { code: 'ETIMEOUT' });
    this.drop(session);
  }

  /**
   * Opens `path` (SELECT, or EXAMINE when read-only) under imapflow's mailbox lock and always
   * releases it. Mixed modes on one connection re-open the mailbox as needed. With `sync`, a
   * mailbox that was already open is brought up to date first (NOOP): its message count and
   * sequence numbers must reflect other sessions' changes before we page by them.
   */
  async withMailbox<T>(
    path: string,
    opts: RunOptions & { readOnly?: boolean; sync?: boolean },
    fn: (client: ImapFlow, mailbox: MailboxObject) => Promise<T>,
  ): Promise<T> {
    return this.run(
      async (client) => {
        // imapflow re-issues SELECT/EXAMINE when the mode differs. Never CLOSE to switch: CLOSE
        // expunges every \Deleted message of the folder, including other clients'.
        const readOnly = opts.readOnly ?? false;
        const wasOpen = client.mailbox && client.mailbox.path === path && Boolean(client.mailbox.readOnly) === readOnly;
        let lock;
        try {
          lock = await client.getMailboxLock(path, { readOnly });
        } catch (err) {
          const e = err as { mailboxMissing?: boolean; responseText?: string; serverResponseCode?: string };
          if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT') {
            throw new MailError('mailboxNotFound', `The folder "${path}" does not exist on ${this.account.host}.`, {
              path,
            });
          }
          throw err;
        }
        try {
          if (opts.sync && wasOpen) await client.noop();
          // imapflow clears `mailbox` when the connection drops under the lock.
          if (!client.mailbox || !client.usable) {
            throw new MailError('connectionLost', `The connection to ${this.account.host} was lost.`);
          }
          return await fn(client, client.mailbox);
        } finally {
          lock.release();
        }
      },
      { idempotent: opts.idempotent ?? false, ...(opts.uncertain ? { uncertain: opts.uncertain } : {}) },
    );
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.session?.client;
    this.session = undefined;
    if (client) {
      // LOGOUT politely, but never let a dead server keep us waiting.
      await Promise.race([client.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      client.close();
    }
    this.setState({ status: 'closed' });
    this.stateEmitter.dispose();
    this.connectEmitter.dispose();
  }

  private tag(): string {
    return `[${this.account.name}${this.options.label ? `/${this.options.label}` : ''}]`;
  }
}
