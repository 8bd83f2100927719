// Whatever the OAuth client library or the network threw, as a MailError with a message a person
// can act on. Library errors are never attached as causes: theirs can hold the authorization
// response (code, state) or a request body. Text from the server is data: only a bounded,
// printable, redacted excerpt of it reaches a message.
import { openidClient } from '../libraries';
import { MailError } from '../errors';
import type { SecretRedactor } from '../log';

/** A server-provided string, cut to what a message can carry. */
export function serverText(value: unknown, redactor: SecretRedactor): string {
  if (typeof value !== 'string') return '';
  return redactor.redact(value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim()).slice(0, 200);
}

const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/;

/** The network failure of a request to `host`, or undefined if `err` is not one. */
export function networkError(err: unknown, host: string): MailError | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: string }).code ?? '';
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ABORT_ERR') {
      return new MailError('timeout', `The sign-in server ${host} did not answer in time.`);
    }
    if (code === 'ECONNREFUSED')
      return new MailError('connectionRefused', `The sign-in server ${host} refused the connection.`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new MailError('hostNotFound', `The host name of the sign-in server ${host} could not be resolved.`);
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
      return new MailError('connectionLost', `The connection to the sign-in server ${host} was lost.`);
    }
    if (CERT_ERRORS.test(code)) {
      return new MailError(
        code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'certHostname'
          : code === 'CERT_HAS_EXPIRED'
            ? 'certExpired'
            : 'certUntrusted',
        `The certificate of the sign-in server ${host} is not valid (${code}).`,
      );
    }
  }
  return undefined;
}

/**
 * `what` failed at `host`: the server's OAuth error (`error` code and description), a response
 * the library refused, or a network failure.
 */
export function oauthFailure(err: unknown, what: string, host: string, redactor: SecretRedactor): MailError {
  if (err instanceof MailError) return err;
  const net = networkError(err, host);
  if (net) return net;
  // An overloaded or restarting server: worth another try later, and no reason to drop a sign-in.
  const status = (err as { status?: unknown }).status ?? (err as { cause?: { status?: unknown } }).cause?.status;
  if (
    (typeof status === 'number' && status >= 500) ||
    (err as { error?: unknown }).error === 'temporarily_unavailable'
  ) {
    return new MailError(
      'connectionLost',
      `${what} failed: the sign-in server ${host} is not available right now${typeof status === 'number' ? ` (HTTP ${status})` : ''}; Mailroom tries again later.`,
    );
  }
  // Only an OAuth call can have failed here, so the library is loaded already.
  const { ResponseBodyError, AuthorizationResponseError, ClientError } = openidClient();
  if (err instanceof ResponseBodyError || err instanceof AuthorizationResponseError) {
    const description = serverText(err.error_description, redactor);
    return new MailError(
      'oauthToken',
      `${what} failed: ${host} answered "${serverText(err.error, redactor)}"${description ? ` (${description})` : ''}.`,
      { oauthError: serverText(err.error, redactor) },
    );
  }
  if (err instanceof ClientError) {
    return new MailError(
      'oauthToken',
      `${what} failed: ${host} sent a response Mailroom cannot use (${serverText(err.message, redactor)}).`,
    );
  }
  return new MailError('oauthToken', `${what} failed: ${serverText((err as Error)?.message ?? String(err), redactor)}`);
}
