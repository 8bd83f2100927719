// Maps whatever imapflow / Node threw into a MailError with a precise, secret-free message.
import type { AccountConfig } from './account';
import { describeAccount } from './account';
import { probeCertificate, type CertificateInfo } from './cert-probe';
import { MailError } from '../errors';

type AnyError = Error & {
  code?: string;
  reason?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  responseStatus?: string;
  cert?: { fingerprint256?: string; subjectaltname?: string };
  _err?: unknown;
};

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const LOST = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ECONNRESET',
  'EPIPE',
  'StateLogout',
  'ClosedAfterConnectTLS',
  'ClosedAfterConnectText',
]);
const TIMEOUTS = new Set([
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'ETIMEDOUT',
  'LockTimeout',
]);

// A refused LOGIN/AUTHENTICATE means "wrong credentials" only with these RFC 5530 codes, or with
// none (ALERT is no cause: it only asks that the text be shown). Anything else says why the
// server would not let the user in right now, and a saved password must survive it.
const CREDENTIALS_REJECTED = new Set(['AUTHENTICATIONFAILED', 'AUTHORIZATIONFAILED', 'ALERT']);
const LOGIN_LATER = new Set(['LIMIT', 'UNAVAILABLE', 'INUSE', 'SERVERBUG']);
// Servers that send their connection limit as a code-less or ALERT NO (Gmail: "[ALERT] Too many
// simultaneous connections").
const CONNECTION_LIMIT_TEXT =
  /too many (simultaneous |concurrent |open )?connections|maximum number of connections|connection limit/i;

function loginError(err: unknown, errors: AnyError[], code: string | undefined, account: AccountConfig): MailError {
  const said = errors.map((e) => e.responseText).find(Boolean);
  const server = said ? ` (server: ${said})` : '';
  const details = code ? { code } : {};
  if (code === 'LIMIT' || CONNECTION_LIMIT_TEXT.test(said ?? '')) {
    return new MailError(
      'serverUnavailable',
      `${account.host} refused the login for ${account.user}: too many connections to this account are open${server}. The password is not the problem; close another mail app or VS Code window that uses this account, then retry.`,
      { ...details, limit: true },
      { cause: err },
    );
  }
  if (code && LOGIN_LATER.has(code)) {
    return new MailError(
      'serverUnavailable',
      `${account.host} cannot log ${account.user} in right now${server}. This is a temporary problem on the server, not a wrong password; retry later.`,
      details,
      { cause: err },
    );
  }
  if (code && !CREDENTIALS_REJECTED.has(code)) {
    return new MailError(
      'server',
      `${account.host} refused the login for ${account.user} [${code}]${server}. This is not a wrong password.`,
      details,
      { cause: err },
    );
  }
  if (account.auth === 'oauth2') {
    return new MailError(
      'auth',
      `${account.host} refused the OAuth2 access token for ${account.user}, even a freshly refreshed one. Check that IMAP access is enabled for the account and that "user" is the address you signed in with.`,
      { oauth: true },
      { cause: err },
    );
  }
  if (account.oauth2TokenCommand) {
    return new MailError(
      'auth',
      `${account.host} rejected the OAuth2 access token for ${account.user} (invalid or expired). Check "oauth2TokenCommand".`,
      { oauth: true },
      { cause: err },
    );
  }
  return new MailError(
    'auth',
    `Wrong user name or password for ${account.user} on ${account.host}${server}.`,
    {},
    { cause: err },
  );
}

/** The error and its causes, outermost first (imapflow wraps socket errors). */
function chain(err: unknown): AnyError[] {
  const out: AnyError[] = [];
  let cur: unknown = err;
  while (cur instanceof Error && out.length < 6 && !out.includes(cur as AnyError)) {
    out.push(cur as AnyError);
    const e = cur as AnyError & { cause?: unknown };
    cur = e.cause ?? e._err;
  }
  return out;
}

/**
 * Whether a failed command failed because the connection did (closed, reset, timed out), as
 * opposed to the server refusing it. imapflow reports both as `false` from many calls.
 */
export function isConnectionFailure(err: unknown): boolean {
  return chain(err).some(
    (e) =>
      e.code !== undefined &&
      (LOST.has(e.code) || e.code === 'ETIMEOUT' || e.code === 'ETIMEDOUT') &&
      !e.responseStatus,
  );
}

/** Whether that failure was the server going quiet (imapflow's socket timeout), not a close. */
export function isSilence(err: unknown): boolean {
  return chain(err).some((e) => e.code === 'ETIMEOUT' || e.code === 'ETIMEDOUT');
}

function certText(info: CertificateInfo | undefined): string {
  if (!info) return '';
  return ` Certificate: subject "${info.subject}", issued by "${info.issuer}"${info.selfSigned ? ' (self-signed)' : ''}, valid until ${info.validTo}, SHA-256 fingerprint ${info.fingerprint256}.`;
}

// imapflow throws its own AuthenticationFailure, with no answer from the server, when the session
// had already ended (a BYE, say from a server shutting down) before it could log in: the
// credentials were never tried, and a saved password must survive it.
function endedBeforeLogin(errors: AnyError[]): boolean {
  return errors.some((e) => e.authenticationFailed && !e.responseStatus && /^already logged out$/i.test(e.message));
}

/** The server refused the credentials (a tagged NO to LOGIN/AUTHENTICATE, [AUTHENTICATIONFAILED]). */
export function isAuthenticationFailure(err: unknown): boolean {
  const errors = chain(err);
  if (endedBeforeLogin(errors)) return false;
  return (
    errors.some((e) => e.authenticationFailed) ||
    errors.some((e) => e.serverResponseCode?.toUpperCase() === 'AUTHENTICATIONFAILED')
  );
}

export async function classifyError(
  err: unknown,
  account: AccountConfig,
  opts: { probe?: boolean } = {},
): Promise<MailError> {
  if (err instanceof MailError) return err;
  const errors = chain(err);
  const codes = new Set(errors.map((e) => e.code).filter((c): c is string => !!c));
  const texts = errors.map((e) => `${e.message} ${e.responseText ?? ''} ${e.reason ?? ''}`).join(' ');
  const where = describeAccount(account);
  const lost = () => new MailError('connectionLost', `The connection to ${account.host} was lost.`, {}, { cause: err });
  const has = (set: Set<string>) => [...codes].some((c) => set.has(c));
  const probe = () =>
    opts.probe === false
      ? Promise.resolve(undefined)
      : probeCertificate(account.host, account.port, account.security === 'starttls');

  const responseCode = errors
    .map((e) => e.serverResponseCode)
    .find(Boolean)
    ?.toUpperCase();
  if (
    responseCode === 'PRIVACYREQUIRED' ||
    /plaintext authentication disallowed|LOGINDISABLED|login is disabled/i.test(texts)
  ) {
    return new MailError(
      'tlsRequired',
      `${account.host} refuses to log in without encryption. Use security "tls" (port 993) or "starttls" (port 143).`,
      {},
      { cause: err },
    );
  }
  if (endedBeforeLogin(errors)) return lost();
  const loginRefused =
    errors.some((e) => e.authenticationFailed || (e as { oauthError?: unknown }).oauthError) ||
    responseCode === 'AUTHENTICATIONFAILED';
  if (loginRefused) return loginError(err, errors, responseCode, account);
  if (codes.has('ERR_TLS_CERT_ALTNAME_INVALID')) {
    const e = errors.find((x) => x.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
    const info = await probe();
    return new MailError(
      'certHostname',
      `The certificate of ${account.host} is valid but issued for another name (${e?.cert?.subjectaltname ?? info?.altNames ?? 'unknown'}), not "${account.host}".${certText(info)}`,
      { fingerprint256: info?.fingerprint256 ?? e?.cert?.fingerprint256 },
      { cause: err },
    );
  }
  if (has(UNTRUSTED)) {
    const info = await probe();
    return new MailError(
      'certUntrusted',
      `The certificate of ${account.host} is not trusted: it is not signed by a known certificate authority${account.caFile ? ` nor by the CA in ${account.caFile}` : ''}.${certText(info)} If you trust it, add its CA with "caFile".`,
      { fingerprint256: info?.fingerprint256 },
      { cause: err },
    );
  }
  if (has(EXPIRED)) {
    const info = await probe();
    return new MailError(
      'certExpired',
      `The certificate of ${account.host} has expired or is not yet valid.${certText(info)}`,
      { fingerprint256: info?.fingerprint256 },
      { cause: err },
    );
  }
  if (codes.has('ERR_SSL_WRONG_VERSION_NUMBER') || /wrong version number|packet length too long/i.test(texts)) {
    return new MailError(
      'tlsUnavailable',
      `${where} does not speak TLS on this port. For port 143 use security "starttls"; implicit TLS is usually port 993.`,
      {},
      { cause: err },
    );
  }
  if (/STARTTLS/i.test(texts) && account.security === 'starttls') {
    return new MailError(
      'tlsUnavailable',
      `${where} did not upgrade to TLS with STARTTLS: ${errors[0]?.message ?? ''}`,
      {},
      { cause: err },
    );
  }
  if (codes.has('ECONNREFUSED')) {
    return new MailError(
      'connectionRefused',
      `Connection refused by ${account.host}:${account.port}. Is the server running, and is the port right?`,
      {},
      { cause: err },
    );
  }
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN')) {
    return new MailError('hostNotFound', `The host name ${account.host} could not be resolved.`, {}, { cause: err });
  }
  if (has(TIMEOUTS)) {
    return new MailError('timeout', `${where} did not answer in time.`, {}, { cause: err });
  }
  if (has(LOST) || /connection (closed|not available)|socket (closed|hang up)/i.test(texts)) {
    return lost();
  }
  if (/MAX_IMAP_NESTING|ParserError/.test([...codes].join(' '))) {
    return new MailError(
      'malformed',
      `The server sent a response Mailroom cannot parse: ${errors[0]?.message}`,
      {},
      { cause: err },
    );
  }
  const first = errors[0];
  const said = first?.responseText ? `: ${first.responseText}` : first ? `: ${first.message}` : '';
  return new MailError('server', `${account.host} refused the request${said}`, {}, { cause: err });
}
