// Account settings as a person writes them (VS Code settings / the add-account flow), and their
// validation. Credentials are never part of the config: a password comes from a callback (backed by
// SecretStorage in the extension), an OAuth2 access token from a command the user configures or
// from the account's token source (sign-in, src/core/auth).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { MailError } from '../errors';
import { type OAuth2Settings, validateOAuth2Settings } from '../auth/settings';
import type { AccessTokenSource } from '../auth/token-source';

export type Security = 'tls' | 'starttls' | 'plain';

export interface AccountConfig {
  /** Display name and stable id of the account. */
  name: string;
  host: string;
  port: number;
  security: Security;
  user: string;
  /** PEM file with extra CA certificates to trust (e.g. a company CA). */
  caFile?: string;
  /** `plain` sends the password unencrypted: only with this explicit opt-in. */
  allowPlaintext?: boolean;
  /** Authenticate with an OAuth2 access token printed by this shell command (XOAUTH2/OAUTHBEARER). */
  oauth2TokenCommand?: string;
  /** "oauth2": sign in at the authorization server of `oauth2` instead of a password. */
  auth?: 'password' | 'oauth2';
  /** Where and as which application to sign in, with `auth: "oauth2"`. */
  oauth2?: OAuth2Settings;
  /** Connect/greeting timeout. */
  timeoutMs?: number;
  /** Mail submission server; without it the account reads mail but cannot send. */
  smtp?: SmtpConfig;
  /** The sender, e.g. "Alice Example <alice@example.test>" (default: the IMAP user when it is an address). */
  from?: string;
  /** More addresses of this person (wildcards like "*@example.test"): replies go out from the one addressed. */
  aliases?: string[];
  /** Appended to sent mail after a "-- " line. */
  signature?: string;
}

/** Submission is always encrypted: implicit TLS (465) or STARTTLS (587); never plain. */
export type SmtpSecurity = 'tls' | 'starttls';

export interface SmtpConfig {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** Only when it differs from the IMAP user (then it has its own password). */
  user?: string;
}

export type PasswordProvider = (account: AccountConfig) => Promise<string | undefined>;

export interface Credentials {
  user: string;
  pass?: string;
  accessToken?: string;
}

export function validateAccount(input: unknown): AccountConfig {
  const fail = (msg: string): never => {
    throw new MailError('config', `Account settings: ${msg}`);
  };
  if (typeof input !== 'object' || input === null) fail('expected an object');
  const a = input as Record<string, unknown>;
  const str = (key: string, required = true): string | undefined => {
    const v = a[key];
    if (v === undefined || v === null || v === '') {
      if (required) fail(`"${key}" is required`);
      return undefined;
    }
    if (typeof v !== 'string') fail(`"${key}" must be a string`);
    return (v as string).trim();
  };
  const name = str('name')!;
  const host = str('host')!;
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) fail(`"host" (${JSON.stringify(host)}) is not a host name or address`);
  const security = (str('security', false) ?? 'tls') as Security;
  if (!['tls', 'starttls', 'plain'].includes(security)) fail(`"security" must be "tls", "starttls" or "plain"`);
  const port = a.port === undefined ? (security === 'tls' ? 993 : 143) : Number(a.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`"port" must be a number from 1 to 65535`);
  const allowPlaintext = a.allowPlaintext === true;
  if (security === 'plain' && !allowPlaintext) {
    fail(`"security": "plain" sends your password unencrypted; set "allowPlaintext": true to really use it`);
  }
  const timeoutMs = a.timeoutMs === undefined ? undefined : Number(a.timeoutMs);
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 1000))
    fail(`"timeoutMs" must be at least 1000`);
  const config: AccountConfig = { name, host, port, security, user: str('user')! };
  const caFile = str('caFile', false);
  if (caFile) config.caFile = caFile;
  const cmd = str('oauth2TokenCommand', false);
  if (cmd) config.oauth2TokenCommand = cmd;
  if (allowPlaintext) config.allowPlaintext = true;
  const auth = str('auth', false);
  if (auth !== undefined && auth !== 'password' && auth !== 'oauth2') fail('"auth" must be "password" or "oauth2"');
  if (auth === 'oauth2') {
    if (cmd) fail('use either "auth": "oauth2" or "oauth2TokenCommand", not both');
    config.auth = 'oauth2';
    config.oauth2 = validateOAuth2Settings(a.oauth2, fail);
  }
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  Object.assign(config, validateSending(a, fail));
  return config;
}

const HOST_NAME = /^[A-Za-z0-9.:\-[\]]+$/;
// One address: local part, @, domain, nothing that could end or split a header.
const ADDRESS = /^[^\s@<>()",;:\\]+@[^\s@<>()",;:\\]+$/;

/** The sending half of an account: SMTP server, identity, aliases, signature. */
function validateSending(
  a: Record<string, unknown>,
  fail: (msg: string) => never,
): Pick<AccountConfig, 'smtp' | 'from' | 'aliases' | 'signature'> {
  const out: Pick<AccountConfig, 'smtp' | 'from' | 'aliases' | 'signature'> = {};
  if (a.smtp !== undefined && a.smtp !== null) {
    if (typeof a.smtp !== 'object' || Array.isArray(a.smtp))
      fail('"smtp" must be an object like { "host": "smtp.example.com", "port": 465, "security": "tls" }');
    const s = a.smtp as Record<string, unknown>;
    const host = typeof s.host === 'string' ? s.host.trim() : '';
    if (!host) fail('"smtp.host" is required');
    if (!HOST_NAME.test(host)) fail(`"smtp.host" (${JSON.stringify(host)}) is not a host name or address`);
    const security = s.security === undefined ? 'tls' : s.security;
    if (security === 'plain')
      fail(
        '"smtp.security": "plain" is not supported: mail is submitted over TLS ("tls", port 465) or STARTTLS ("starttls", port 587)',
      );
    if (security !== 'tls' && security !== 'starttls') fail('"smtp.security" must be "tls" or "starttls"');
    const port = s.port === undefined ? (security === 'tls' ? 465 : 587) : Number(s.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail('"smtp.port" must be a number from 1 to 65535');
    const smtp: SmtpConfig = { host, port, security: security as SmtpSecurity };
    if (s.user !== undefined && s.user !== null && s.user !== '') {
      if (typeof s.user !== 'string') fail('"smtp.user" must be a string');
      smtp.user = (s.user as string).trim();
    }
    out.smtp = smtp;
  }
  if (a.from !== undefined && a.from !== null && a.from !== '') {
    if (typeof a.from !== 'string') fail('"from" must be a string like "Alice Example <alice@example.test>"');
    const from = (a.from as string).trim();
    const address = /<([^<>]*)>\s*$/.exec(from)?.[1] ?? from;
    if (!ADDRESS.test(address.trim()) || /[\r\n]/.test(from))
      fail(`"from" (${JSON.stringify(from)}) is not an address like "Alice Example <alice@example.test>"`);
    out.from = from;
  }
  if (a.aliases !== undefined && a.aliases !== null) {
    if (!Array.isArray(a.aliases)) fail('"aliases" must be a list of addresses');
    out.aliases = (a.aliases as unknown[]).map((v) => {
      if (typeof v !== 'string' || !ADDRESS.test(v.trim().replace(/\*/g, 'x')))
        fail(`"aliases": ${JSON.stringify(v)} is not an address (wildcards like "*@example.test" are allowed)`);
      return (v as string).trim();
    });
  }
  if (a.signature !== undefined && a.signature !== null && a.signature !== '') {
    if (typeof a.signature !== 'string') fail('"signature" must be a string');
    out.signature = (a.signature as string).replace(/\r\n?/g, '\n');
  }
  return out;
}

export async function loadCa(account: AccountConfig): Promise<string | undefined> {
  if (!account.caFile) return undefined;
  try {
    return await readFile(account.caFile, 'utf8');
  } catch (err) {
    throw new MailError('config', `Cannot read the CA file ${account.caFile}: ${(err as Error).message}`);
  }
}

// What a token command writes to stderr can hold what it guards (a refresh token, a client secret,
// a decrypted password): it never goes into an error message, and a log gets one bounded line in
// which only plain words survive.
const PLAIN_WORD = /^[("'[]*(?:[A-Za-z]{1,15}|\d{1,4})[)"'\]:.,;!?]*$/;
const SECRET_NAMED =
  /^(?:token|access_token|refresh_token|secret|client_secret|password|passwd|pass|key|bearer|code|authorization)[:=]?$/i;

/** The first line of a token command's error output, bounded, with every word that could be a secret masked. */
export function redactTokenCommandOutput(stderr: string): string {
  const line =
    stderr
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  let masked = false;
  let previousNamedSecret = false;
  const words = line
    .slice(0, 400)
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 30)
    .map((w) => {
      const keep = PLAIN_WORD.test(w) && !previousNamedSecret;
      previousNamedSecret = SECRET_NAMED.test(w.replace(/^[("'[]+/, ''));
      if (keep) return w;
      masked = true;
      return '[redacted]';
    });
  return (
    words.join(' ').replace(/(\[redacted\] )+\[redacted\]/g, '[redacted]') +
    (masked ? ' (words that could be secrets masked)' : '')
  );
}

/**
 * Runs the configured token command; its first stdout line is the access token. A failure says
 * how the command ended, never what it printed; `log` gets a redacted line of its error output.
 */
export function runTokenCommand(command: string, timeoutMs = 30_000, log?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        const why = e.killed
          ? `did not finish within ${Math.round(timeoutMs / 1000)} s`
          : typeof e.code === 'number'
            ? `failed (exit code ${e.code})`
            : `failed (${e.signal ? `signal ${e.signal}` : (e.code ?? 'error')})`;
        const said = stderr.trim() ? redactTokenCommandOutput(stderr) : '';
        if (said) log?.(`The OAuth2 token command ${why}; its error output: ${said}`);
        reject(
          new MailError(
            'oauthToken',
            `The OAuth2 token command ${why}.${said && log ? ' Its error output is in the Mailroom log.' : ''}`,
          ),
        );
        return;
      }
      const token = stdout
        .split(/\r?\n/)
        .map((l) => l.trim())
        .find((l) => l.length > 0);
      if (!token) reject(new MailError('oauthToken', 'The OAuth2 token command printed no token'));
      else resolve(token);
    });
  });
}

export async function resolveCredentials(
  account: AccountConfig,
  passwordProvider: PasswordProvider,
  opts: { tokens?: AccessTokenSource; log?: (line: string) => void } = {},
): Promise<Credentials> {
  if (account.auth === 'oauth2') {
    if (!opts.tokens) throw new MailError('signInRequired', `Sign in to ${account.name} first.`, { reason: 'missing' });
    return { user: account.user, accessToken: await opts.tokens.accessToken() };
  }
  if (account.oauth2TokenCommand) {
    return { user: account.user, accessToken: await runTokenCommand(account.oauth2TokenCommand, undefined, opts.log) };
  }
  const pass = await passwordProvider(account);
  if (pass === undefined || pass === '') {
    throw new MailError('auth', `No password for ${account.user} on ${account.host}`, { missing: true });
  }
  return { user: account.user, pass };
}

export function describeAccount(account: AccountConfig): string {
  return `${account.user}@${account.host}:${account.port}`;
}
