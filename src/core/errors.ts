// Every failure that reaches a person is a MailError: a stable `kind` the UI can branch on
// (e.g. "Wrong password — click to retry") and a message that says exactly what went wrong,
// never containing a secret.

export type MailErrorKind =
  | 'auth' // the server rejected the credentials (only then is a saved password forgotten)
  | 'serverUnavailable' // the server refused the login for now: connection limit, backend down, in use
  | 'certUntrusted' // the certificate chain does not lead to a trusted CA
  | 'certHostname' // the certificate is valid but names another host
  | 'certExpired'
  | 'tlsRequired' // the server refuses to authenticate without TLS
  | 'tlsUnavailable' // TLS asked for, but the port does not speak it / no STARTTLS
  | 'connectionRefused'
  | 'hostNotFound'
  | 'timeout'
  | 'connectionLost' // the connection dropped during an operation
  | 'oauthToken' // no OAuth2 token: the token command or the authorization server failed
  | 'signInRequired' // OAuth2: no usable refresh token (never signed in, revoked, expired): sign in again
  | 'config' // the account settings are not usable
  | 'mailboxNotFound'
  | 'messageNotFound'
  | 'uidValidityChanged' // the mailbox was rebuilt on the server: known UIDs are void
  | 'readOnly'
  | 'unsupported'
  | 'needsExpungeConfirmation'
  | 'nothingToUndo'
  | 'malformed'
  | 'recipientRefused' // SMTP: the server refused a recipient (5xx on RCPT); nothing was sent
  | 'messageTooLarge' // SMTP: over the server's SIZE (552)
  | 'temporaryFailure' // SMTP: a 4xx reply; the same message may go through later
  | 'server'; // the server said NO/BAD to a command

const NEEDS_USER = new Set<MailErrorKind>([
  'auth',
  'certUntrusted',
  'certHostname',
  'certExpired',
  'tlsRequired',
  'tlsUnavailable',
  'config',
]);

export class MailError extends Error {
  override readonly name = 'MailError';

  constructor(
    readonly kind: MailErrorKind,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether retrying later, without the user changing anything, may succeed. */
  get transient(): boolean {
    return (
      this.kind === 'connectionRefused' ||
      this.kind === 'timeout' ||
      this.kind === 'connectionLost' ||
      this.kind === 'hostNotFound' ||
      this.kind === 'serverUnavailable' ||
      this.kind === 'temporaryFailure'
    );
  }

  /**
   * Whether only the person can fix it (credentials, certificate, settings): trying again
   * unchanged would fail the same way. A connection that keeps itself alive retries anything else.
   */
  get needsUser(): boolean {
    return NEEDS_USER.has(this.kind);
  }
}

export function isMailError(err: unknown, kind?: MailErrorKind): err is MailError {
  return err instanceof MailError && (kind === undefined || err.kind === kind);
}
