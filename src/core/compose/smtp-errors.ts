// What went wrong in an SMTP submission, as a MailError that names the part that failed
// (details.stage) and never contains a secret. nodemailer's errors carry a code (EAUTH, ETLS,
// ESOCKET…), the command, the server's reply and, for socket errors, the system or TLS code.
import type { SmtpConfig } from '../session/account';
import { MailError } from '../errors';

export type SmtpStage = 'connect' | 'tls' | 'auth' | 'envelope' | 'data';

export type NodemailerError = Error & {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  recipient?: string;
  rejected?: string[];
  rejectedErrors?: NodemailerError[];
};

const UNTRUSTED =
  /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE|CERT_REJECTED|INVALID_CA/;

/** The server's reply without its status codes, cut short: it is shown to a person. */
export function replyText(response: string | undefined): string {
  return (response ?? '')
    .replace(/^\d{3}[ -]?(\d\.\d{1,3}\.\d{1,3}\s+)?/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur instanceof Error && i < 5; i++) {
    const e = cur as NodemailerError & { cause?: unknown };
    if (e.code) out.push(e.code);
    if (e.originalCode) out.push(e.originalCode);
    cur = e.cause;
  }
  return out;
}

/** A refusal of some recipients: named, with the server's words; the message went to nobody. */
export function refusedRecipients(errors: readonly NodemailerError[], server: string): MailError {
  const list = errors.map((e) => ({
    address: e.recipient ?? '?',
    code: e.responseCode ?? 0,
    reply: replyText(e.response),
  }));
  const permanent = list.filter((r) => r.code >= 500);
  const describe = (r: (typeof list)[number]) => `${r.address} (${r.code}${r.reply ? ` ${r.reply}` : ''})`;
  if (permanent.length) {
    return new MailError(
      'recipientRefused',
      `${server} refused ${permanent.length === 1 ? 'the recipient' : 'recipients'} ${permanent.map(describe).join(', ')}. The message was not sent to anyone; correct or remove ${permanent.length === 1 ? 'the address' : 'them'} and send again.`,
      { smtp: true, stage: 'envelope', recipients: permanent.map((r) => r.address), sent: false },
    );
  }
  return new MailError(
    'temporaryFailure',
    `${server} cannot take mail for ${list.map(describe).join(', ')} right now (temporary failure). The message was not sent to anyone; try again later.`,
    { smtp: true, stage: 'envelope', recipients: list.map((r) => r.address), sent: false },
  );
}

export function classifySmtpError(err: unknown, smtp: SmtpConfig, opts: { oauth?: boolean; user: string }): MailError {
  if (err instanceof MailError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as NodemailerError;
  const server = `${smtp.host}:${smtp.port}`;
  const codes = codesOf(e);
  const said = replyText(e.response);
  const status = e.responseCode ?? 0;
  const details = (stage: SmtpStage, extra: Record<string, unknown> = {}) => ({
    smtp: true,
    stage,
    sent: false,
    ...extra,
  });

  if (e.code === 'EAUTH' || (status === 535 && /^AUTH/i.test(e.command ?? ''))) {
    if (status >= 400 && status < 500) {
      return new MailError(
        'temporaryFailure',
        `${server} could not check the credentials right now${said ? ` (${said})` : ''}; try again later.`,
        details('auth'),
        { cause: err },
      );
    }
    return opts.oauth
      ? new MailError(
          'auth',
          `${server} rejected the OAuth2 access token for ${opts.user} (invalid or expired).`,
          details('auth', { oauth: true, user: opts.user }),
          { cause: err },
        )
      : new MailError(
          'auth',
          `Wrong SMTP user name or password for ${opts.user} on ${smtp.host}${said ? ` (server: ${said})` : ''}.`,
          details('auth', { user: opts.user }),
          { cause: err },
        );
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return new MailError(
      'certHostname',
      `The certificate of ${smtp.host} is valid but issued for another name, not "${smtp.host}".`,
      details('tls'),
      { cause: err },
    );
  }
  if (
    codes.some((c) => UNTRUSTED.test(c)) ||
    /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer/i.test(e.message)
  ) {
    return new MailError(
      'certUntrusted',
      `The certificate of the SMTP server ${smtp.host} is not trusted: it is not signed by a known certificate authority. If you trust it, add its CA with "caFile".`,
      details('tls'),
      { cause: err },
    );
  }
  if (codes.some((c) => c === 'CERT_HAS_EXPIRED' || c === 'CERT_NOT_YET_VALID')) {
    return new MailError(
      'certExpired',
      `The certificate of ${smtp.host} has expired or is not yet valid.`,
      details('tls'),
      { cause: err },
    );
  }
  if (e.code === 'ETLS' && /STARTTLS/i.test(e.command ?? '')) {
    return new MailError(
      'tlsUnavailable',
      `${server} did not offer STARTTLS, so nothing was sent (Mailroom never submits mail unencrypted). Check the port (587 for "starttls", 465 for "tls").`,
      details('tls'),
      { cause: err },
    );
  }
  if (
    /wrong version number|packet length too long|unknown protocol/i.test(e.message) ||
    codes.includes('ERR_SSL_WRONG_VERSION_NUMBER')
  ) {
    return new MailError(
      'tlsUnavailable',
      `${server} does not speak TLS on this port. Port 465 uses "tls"; port 587 uses "starttls".`,
      details('tls'),
      { cause: err },
    );
  }
  if (codes.includes('ECONNREFUSED')) {
    return new MailError(
      'connectionRefused',
      `Connection refused by the SMTP server ${server}. Is the host and port right?`,
      details('connect'),
      { cause: err },
    );
  }
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN') || codes.includes('EDNS')) {
    return new MailError('hostNotFound', `The SMTP host name ${smtp.host} could not be resolved.`, details('connect'), {
      cause: err,
    });
  }
  if (codes.includes('ETIMEDOUT') || codes.includes('ETIMEOUT')) {
    return new MailError(
      'timeout',
      `The SMTP server ${server} did not answer in time; nothing was sent.`,
      details('connect'),
      { cause: err },
    );
  }
  if (e.rejectedErrors?.length && /RCPT/i.test(e.command ?? '')) return refusedRecipients(e.rejectedErrors, server);
  if (e.code === 'EMESSAGE' && /size larger than allowed (\d+)/i.test(e.message)) {
    const limit = Number(/allowed (\d+)/i.exec(e.message)![1]);
    return new MailError(
      'messageTooLarge',
      `The message is larger than the ${Math.floor(limit / 1024)} KB ${smtp.host} accepts; nothing was sent.`,
      details('envelope', { limit }),
      { cause: err },
    );
  }
  if (status === 552 || status === 534 || /5\.3\.4/.test(e.response ?? '')) {
    return new MailError(
      'messageTooLarge',
      `${server} refused the message as too large${said ? ` (${said})` : ''}; nothing was sent.`,
      details('data'),
      { cause: err },
    );
  }
  const stage: SmtpStage = /DATA/i.test(e.command ?? '')
    ? 'data'
    : /MAIL|RCPT/i.test(e.command ?? '')
      ? 'envelope'
      : 'connect';
  if (status >= 400 && status < 500) {
    return new MailError(
      'temporaryFailure',
      `${server} had a temporary failure${said ? ` (${status} ${said})` : ''}; the message was not sent. Try again later.`,
      details(stage),
      { cause: err },
    );
  }
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || codes.includes('ECONNRESET') || codes.includes('EPIPE')) {
    return new MailError(
      'connectionLost',
      stage === 'data' || /DATA/i.test(e.command ?? '') || e.code === 'ESOCKET'
        ? `The connection to ${server} was cut while the message was being transferred; the server did not confirm it, so it was not sent.`
        : `The connection to ${server} was lost; nothing was sent.`,
      details(stage),
      { cause: err },
    );
  }
  if (status >= 500) {
    return new MailError(
      'server',
      `${server} refused the message (${status}${said ? ` ${said}` : ''}); nothing was sent.`,
      details(stage),
      { cause: err },
    );
  }
  return new MailError('server', `Sending through ${server} failed: ${e.message.slice(0, 300)}`, details(stage), {
    cause: err,
  });
}
