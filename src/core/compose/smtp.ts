// Submission over SMTP with nodemailer's SMTP client (SMTPConnection, the one its SMTP transport
// drives): TLS always verified (465 implicit TLS, or 587 with STARTTLS required), AUTH with a
// password or XOAUTH2 token, then one message.
//
// All or nothing: nodemailer's transport sends to the accepted recipients when only some are
// refused at RCPT. That would half-send a message silently, so the message body is only handed
// over once every recipient was accepted; otherwise the connection is closed before DATA ends
// (a server never delivers a message whose final "." it did not receive).
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { smtpConnection, xoauth2 } from '../libraries';
import {
  type AccountConfig,
  type Credentials,
  loadCa,
  type PasswordProvider,
  runTokenCommand,
  type SmtpConfig,
} from '../session/account';
import { MailError } from '../errors';
import type { AccessTokenSource } from '../auth/token-source';
import { type Logger, RedactingLogger, SecretRedactor } from '../log';
import { classifySmtpError, type NodemailerError, refusedRecipients } from './smtp-errors';
import { smtpLogger } from './smtp-log';

/**
 * Credentials for the SMTP user. `refresh` is true on the one retry after the server rejected an
 * access token (an expired OAuth2 token is refreshed once; a wrong password is not retried).
 */
export type SmtpCredentialsProvider = (request: { user: string; refresh: boolean }) => Promise<Credentials>;

export interface SmtpOptions {
  logger: Logger;
  /** The account's redactor, so SMTP secrets are masked in every log line of the account. */
  redactor?: SecretRedactor;
  /** Log the SMTP conversation at trace level (AUTH masked). */
  traceProtocol?: boolean;
}

export interface SubmitReceipt {
  accepted: string[];
  /** The server's final reply, e.g. "250 2.0.0 Ok: queued as 98B702268FC". */
  response: string;
}

export interface SmtpProbe {
  /** EHLO SIZE, when the server announces one. */
  maxSize?: number;
  extensions: string[];
}

/** What only nodemailer's connection knows: the EHLO extensions and the envelope being sent. */
interface ConnectionInternals {
  _maxAllowedSize?: number;
  _supportedExtensions?: string[];
  _envelope?: { rejected?: string[]; rejectedErrors?: NodemailerError[] } | false;
}

export function smtpUserOf(account: AccountConfig): string {
  return account.smtp?.user ?? account.user;
}

/**
 * The usual provider: the OAuth2 token command when the account has one; otherwise the IMAP
 * password, unless the SMTP user differs — then the password of a separate entry, asked for as
 * the account "<name> (SMTP)" (its own SecretStorage key in the extension).
 */
export function smtpCredentialsFrom(
  account: AccountConfig,
  passwords: PasswordProvider,
  tokens?: AccessTokenSource,
): SmtpCredentialsProvider {
  let lastToken: string | undefined;
  return async ({ user, refresh }) => {
    if (account.auth === 'oauth2') {
      // The IMAP connections' token: refreshed once when the submission server refused it (535).
      if (!tokens)
        throw new MailError('signInRequired', `Sign in to ${account.name} first.`, { reason: 'missing', smtp: true });
      if (refresh && lastToken) tokens.invalidate(lastToken);
      lastToken = await tokens.accessToken();
      return { user, accessToken: lastToken };
    }
    if (account.oauth2TokenCommand) return { user, accessToken: await runTokenCommand(account.oauth2TokenCommand) };
    const smtp = requireSmtp(account);
    const asked =
      user === account.user
        ? account
        : { ...account, name: `${account.name} (SMTP)`, user, host: smtp.host, port: smtp.port };
    const pass = await passwords(asked);
    if (!pass) throw new MailError('auth', `No password for ${user} on ${smtp.host}`, { missing: true, smtp: true });
    return { user, pass };
  };
}

function requireSmtp(account: AccountConfig): SmtpConfig {
  if (!account.smtp)
    throw new MailError('config', `${account.name} has no SMTP server for sending: add "smtp" to its settings.`);
  return account.smtp;
}

class Session {
  readonly conn: SMTPConnection;
  private failure: unknown;

  constructor(
    account: AccountConfig,
    smtp: SmtpConfig,
    ca: string | undefined,
    logger: RedactingLogger,
    traceProtocol: boolean,
  ) {
    const timeout = account.timeoutMs ?? 20_000;
    this.conn = new (smtpConnection())({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.security === 'tls',
      requireTLS: smtp.security === 'starttls',
      // Verification always on; an account's own CA is added to (not substituted for) the public roots.
      tls: { minVersion: 'TLSv1.2', ...(ca ? { ca: [...rootCertificates, ca] } : {}) },
      // Not the machine's host name: EHLO would tell every server it.
      name: '[127.0.0.1]',
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: 2 * 60_000,
      logger: smtpLogger(logger, `[${account.name}/smtp]`, traceProtocol),
      transactionLog: true,
    });
    this.conn.on('error', (err: unknown) => {
      this.failure ??= err;
    });
  }

  private settle<T>(start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let finished = false;
      const done = (err: unknown, value?: T) => {
        if (finished) return;
        finished = true;
        this.conn.removeListener('error', onError);
        this.conn.removeListener('end', onEnd);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onError = (err: unknown) => done(err);
      const onEnd = () => done(this.failure ?? Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
      this.conn.once('error', onError);
      this.conn.once('end', onEnd);
      start(done);
    });
  }

  connect(): Promise<void> {
    return this.settle((done) => this.conn.connect((err?: Error | null) => done(err ?? null)));
  }

  login(credentials: Credentials): Promise<void> {
    const auth =
      credentials.accessToken !== undefined
        ? {
            user: credentials.user,
            method: 'XOAUTH2',
            oauth2: new (xoauth2())({ user: credentials.user, accessToken: credentials.accessToken }),
          }
        : { user: credentials.user, pass: credentials.pass ?? '' };
    return this.settle((done) => this.conn.login(auth, (err?: Error | null) => done(err ?? null)));
  }

  get internals(): ConnectionInternals {
    return this.conn as unknown as ConnectionInternals;
  }

  probe(): SmtpProbe {
    const size = this.internals._maxAllowedSize;
    return { ...(size ? { maxSize: size } : {}), extensions: [...(this.internals._supportedExtensions ?? [])] };
  }

  /** Sends `raw` only if every recipient was accepted; resolves with the server's receipt. */
  send(raw: Buffer, envelope: { from: string; to: string[] }, server: string): Promise<SubmitReceipt> {
    let refused: NodemailerError[] | undefined;
    let inData = false;
    const body = new Readable({
      read: () => {
        inData = true;
        // Called once the envelope is through (354 received): only now are all RCPT replies known.
        const env = this.internals._envelope;
        const rejected = env ? (env.rejectedErrors ?? []) : [];
        if (rejected.length && !refused) {
          refused = rejected;
          this.conn.close();
          return;
        }
        if (!refused) {
          body.push(raw);
          body.push(null);
        }
      },
    });
    return this.settle<SubmitReceipt>((done) =>
      this.conn.send({ ...envelope, size: raw.length } as never, body, (err, info) => {
        if (refused) return done(refusedRecipients(refused, server));
        if (err) return done(err);
        done(null, { accepted: info.accepted, response: info.response });
      }),
    ).catch((err: unknown) => {
      if (refused) throw refusedRecipients(refused, server);
      const e = err as NodemailerError;
      // Cut between "354" and the server's final reply: the server has no complete message.
      if (inData && !e.responseCode && (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'ETIMEDOUT')) {
        throw new MailError(
          'connectionLost',
          `The connection to ${server} was cut during the message transfer (DATA), before the server confirmed the message; treat it as not sent.`,
          { smtp: true, stage: 'data', sent: false },
          { cause: err },
        );
      }
      throw err;
    });
  }

  close(): void {
    try {
      this.conn.quit();
    } catch {
      /* already closed */
    }
    setTimeout(() => this.conn.close(), 1000).unref();
  }
}

async function withSession<T>(
  account: AccountConfig,
  credentials: SmtpCredentialsProvider,
  opts: SmtpOptions,
  fn: (session: Session, server: string) => Promise<T>,
): Promise<T> {
  const smtp = requireSmtp(account);
  const user = smtpUserOf(account);
  const redactor = opts.redactor ?? new SecretRedactor();
  const logger = new RedactingLogger(opts.logger, redactor);
  const ca = await loadCa(account);
  const server = `${smtp.host}:${smtp.port}`;
  for (let attempt = 0; ; attempt++) {
    const creds = await credentials({ user, refresh: attempt > 0 });
    const secret = creds.pass ?? creds.accessToken;
    if (secret) redactor.add(secret, creds.user);
    const session = new Session(account, smtp, ca, logger, opts.traceProtocol ?? false);
    try {
      await session.connect();
      await session.login(creds);
      return await fn(session, server);
    } catch (err) {
      const error = classifySmtpError(err, smtp, { oauth: creds.accessToken !== undefined, user: creds.user });
      logger.warn(`[${account.name}/smtp] ${error.message}`);
      // An access token may just have expired: ask for a fresh one, once. A password is not retried.
      if (error.kind === 'auth' && creds.accessToken !== undefined && attempt === 0) continue;
      throw error;
    } finally {
      session.close();
    }
  }
}

/** Submits one built message. Throws a MailError naming the stage that failed (details.stage). */
export function submitMessage(
  account: AccountConfig,
  credentials: SmtpCredentialsProvider,
  message: { raw: Buffer; envelope: { from: string; to: string[] } },
  opts: SmtpOptions,
): Promise<SubmitReceipt> {
  if (!message.envelope.to.length) return Promise.reject(new MailError('config', 'The message has no recipient.'));
  return withSession(account, credentials, opts, (session, server) =>
    session.send(message.raw, message.envelope, server),
  );
}

/** Connects and authenticates (Test Connection), and reads what the server accepts (SIZE). */
export function probeSmtp(
  account: AccountConfig,
  credentials: SmtpCredentialsProvider,
  opts: SmtpOptions,
): Promise<SmtpProbe> {
  return withSession(account, credentials, opts, async (session) => session.probe());
}
