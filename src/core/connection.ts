// One IMAP connection with a life of its own: connects on demand, exposes its state, reconnects
// with backoff after an unexpected drop and logs out gracefully on dispose. imapflow instances are
// single-use, so every (re)connect builds a fresh ImapFlow.
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ImapFlow, type ImapFlowOptions, type MailboxObject } from 'imapflow';
import { type AccountConfig, type PasswordProvider, loadCa, resolveCredentials } from './account';
import { defaultBackoff, backoffDelay, type BackoffOptions } from './backoff';
import type { AccessTokenSource } from './auth/token-source';
import { classifyError, isAuthenticationFailure } from './classify';
import { MailError } from './errors';
import { Emitter, type Event } from './events';
import { formatImapLogEntry, type Logger, type LogLevel, RedactingLogger, SecretRedactor } from './log';
import { StructureMemo } from './structure-memo';

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
  /** Shared by the connections of one account: structures one of them listed, another can read with. */
  structures?: StructureMemo;
  /** `auth: "oauth2"` accounts: their access tokens (shared by the account's connections). */
  tokens?: AccessTokenSource;
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

/** What imapflow needs to know of a folder to SELECT it without asking LIST first. */
export interface KnownFolder {
  path: string;
  delimiter: string;
  specialUse?: string;
  subscribed: boolean;
}

export class ImapConnection {
  private current: ImapFlow | undefined;
  private connecting: Promise<ImapFlow> | undefined;
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

  /** Fires on every state change. */
  readonly onDidChangeState: Event<ConnectionState> = this.stateEmitter.event;
  /** Fires with each new ImapFlow once it is logged in (after reconnects too). */
  readonly onDidConnect: Event<ImapFlow> = this.connectEmitter.event;

  constructor(private readonly options: ConnectionOptions) {
    this.redactor = options.redactor ?? new SecretRedactor();
    this.structures = options.structures ?? new StructureMemo();
    this.logger = new RedactingLogger(options.logger, this.redactor);
  }

  get account(): AccountConfig { return this.options.account; }
  get state(): ConnectionState { return this._state; }
  /** The live client, if connected right now. */
  get client(): ImapFlow | undefined { return this.current?.usable ? this.current : undefined; }

  hasCapability(name: string): boolean {
    return this.current?.capabilities.has(name) ?? false;
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
    if (this.current) this.applyKnownFolders(this.current);
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
      cache.set(f.path, { path: f.path, delimiter: f.delimiter, ...(f.specialUse ? { specialUse: f.specialUse } : {}), subscribed: f.subscribed, listed: true, flags: new Set<string>() });
    }
  }

  private setState(state: ConnectionState): void {
    this._state = state;
    this.stateEmitter.fire(state);
  }

  /** The connected client, connecting first if needed. Concurrent callers share one attempt. */
  async connect(): Promise<ImapFlow> {
    if (this.disposed) throw new MailError('connectionLost', `The connection to ${this.account.host} was closed.`);
    if (this.current?.usable) return this.current;
    if (!this.connecting) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.connecting = this.open().finally(() => { this.connecting = undefined; });
    }
    return this.connecting;
  }

  private async open(refreshedToken = false): Promise<ImapFlow> {
    if (this._state.status !== 'reconnecting') this.setState({ status: 'connecting' });
    let client: ImapFlow | undefined;
    let accessToken: string | undefined;
    try {
      const credentials = await resolveCredentials(this.account, this.options.passwords, this.options.tokens);
      accessToken = credentials.accessToken;
      const secret = credentials.pass ?? credentials.accessToken;
      if (secret) this.redactor.add(secret, credentials.user);
      client = new ImapFlow(await this.imapOptions(credentials));
      client.on('error', (err: Error) => this.logger.debug(`${this.tag()} socket error: ${err.message}`));
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
    this.current = client;
    this.attempt = 0;
    this.applyKnownFolders(client);
    const instance = client;
    client.on('close', () => this.onClose(instance));
    this.logger.info(`${this.tag()} connected (${[...client.capabilities.keys()].join(' ')})`);
    this.setState({ status: 'connected' });
    this.connectEmitter.fire(client);
    return client;
  }

  private async imapOptions(credentials: { user: string; pass?: string; accessToken?: string }): Promise<ImapFlowOptions> {
    const a = this.account;
    const ca = await loadCa(a);
    const timeout = a.timeoutMs ?? 20_000;
    const compression = this.options.compression ?? 'auto';
    // imapflow's debug/trace entries are the protocol conversation: our trace level, and only
    // formatted when asked for. Its warnings carry the reason of refused commands.
    const forward = (level: LogLevel | undefined) => (entry: unknown) => {
      const err = (entry as { err?: Error & { responseText?: string } } | null)?.err;
      if (err) this.lastCommandError = this.redactor.redact(err.responseText || err.message);
      if (level) this.logger[level](`${this.tag()} ${formatImapLogEntry(entry)}`);
    };
    const protocol = this.options.traceProtocol ? 'trace' : undefined;
    return {
      host: a.host,
      port: a.port,
      secure: a.security === 'tls',
      doSTARTTLS: a.security === 'starttls' ? true : a.security === 'plain' ? false : undefined,
      auth: credentials.accessToken !== undefined
        ? { user: credentials.user, accessToken: credentials.accessToken }
        : { user: credentials.user, pass: credentials.pass! },
      // Verification always on; an account's own CA is added to (not substituted for) the public roots.
      tls: { minVersion: 'TLSv1.2', ...(ca ? { secureContext: secureContextFor(ca) } : {}) },
      logger: {
        trace: forward(protocol), debug: forward(protocol), info: forward('debug'),
        warn: forward('warn'), error: forward('error'), fatal: forward('error'),
      },
      qresync: true,
      disableCompression: compression === 'off' || (compression === 'auto' && LOOPBACK.test(a.host)),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: 5 * 60_000,
      clientInfo: { name: 'Mailroom' },
      ...(this.options.autoIdleDelayMs !== undefined ? { autoIdleDelay: this.options.autoIdleDelayMs } : {}),
    };
  }

  private afterFailure(error: MailError): void {
    if (this.disposed) return;
    if (error.transient && this.options.autoReconnect) this.scheduleReconnect(error);
    else this.setState({ status: 'failed', error });
  }

  private onClose(instance: ImapFlow): void {
    if (this.current !== instance) return;
    this.current = undefined;
    if (this.disposed) return;
    this.logger.info(`${this.tag()} connection closed`);
    const error = new MailError('connectionLost', `The connection to ${this.account.host} was lost.`);
    if (this.options.autoReconnect) this.scheduleReconnect(error);
    else this.setState({ status: 'disconnected' });
  }

  private scheduleReconnect(error: MailError): void {
    const delayMs = backoffDelay(this.attempt, this.options.backoff ?? defaultBackoff);
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
   * Runs `fn` on the connected client. Failures come back as MailErrors. A drop during `fn` is
   * reported as `connectionLost`; only an operation the caller marks idempotent (a read, a flag
   * STORE) is tried once more on a fresh connection — never a COPY or MOVE.
   */
  async run<T>(fn: (client: ImapFlow) => Promise<T>, opts: { idempotent?: boolean } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      try {
        return await fn(client);
      } catch (err) {
        const error = err instanceof MailError ? err : await classifyError(err, this.account, { probe: false });
        if (error.kind === 'connectionLost' && opts.idempotent && attempt === 0 && !this.disposed) {
          this.logger.info(`${this.tag()} connection lost during a read; retrying once`);
          if (this.current === client) this.current = undefined;
          client.close();
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Opens `path` (SELECT, or EXAMINE when read-only) under imapflow's mailbox lock and always
   * releases it. Mixed modes on one connection re-open the mailbox as needed. With `sync`, a
   * mailbox that was already open is brought up to date first (NOOP): its message count and
   * sequence numbers must reflect other sessions' changes before we page by them.
   */
  async withMailbox<T>(
    path: string,
    opts: { readOnly?: boolean; idempotent?: boolean; sync?: boolean },
    fn: (client: ImapFlow, mailbox: MailboxObject) => Promise<T>,
  ): Promise<T> {
    return this.run(async (client) => {
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
          throw new MailError('mailboxNotFound', `The folder "${path}" does not exist on ${this.account.host}.`, { path });
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
    }, { idempotent: opts.idempotent ?? false });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.current;
    this.current = undefined;
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
