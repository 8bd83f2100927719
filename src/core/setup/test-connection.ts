// Add Account's "Test Connection": logs in to the IMAP server and to the SMTP submission server
// with the credentials just entered (or the token just signed in for), both at once, and says for
// each what happened. A certificate refused for want of a trusted CA is told apart, so the person
// can be offered to choose the CA file and try again; nothing is ever trusted without that file.
import { MailError, isMailError } from '../errors';
import type { AccessTokenSource } from '../auth/token-source';
import type { Logger, SecretRedactor } from '../log';
import { probeSmtp, smtpCredentialsFrom } from '../compose/smtp';
import type { AccountConfig } from '../session/account';
import { MailAccount } from '../session/mail-account';

export interface SetupCredentials {
  /** Password of the IMAP user (password accounts). */
  password?: string;
  /** Password of the SMTP user when it differs from the IMAP user. */
  smtpPassword?: string;
  /** OAuth2 accounts: the token source just signed in. */
  tokens?: AccessTokenSource;
}

export type PartOutcome = { ok: true } | { ok: false; error: MailError };

export interface ConnectionTestResult {
  imap: PartOutcome;
  /** Absent when the account has no SMTP server. */
  smtp?: PartOutcome;
}

export interface ConnectionTestOptions {
  logger: Logger;
  redactor?: SecretRedactor;
  /** Connect timeout for the IMAP test (the account's own, else 20 s). */
  timeoutMs?: number;
}

function outcome(err: unknown): PartOutcome {
  return {
    ok: false,
    error: isMailError(err) ? err : new MailError('server', (err as Error)?.message ?? String(err)),
  };
}

export async function testConnection(
  account: AccountConfig,
  creds: SetupCredentials,
  opts: ConnectionTestOptions,
): Promise<ConnectionTestResult> {
  const passwords = async (a: AccountConfig) => (a.user === account.user ? creds.password : creds.smtpPassword);
  const imap = (async (): Promise<PartOutcome> => {
    const probe = new MailAccount({
      account: account.timeoutMs || !opts.timeoutMs ? account : { ...account, timeoutMs: opts.timeoutMs },
      passwords,
      logger: opts.logger,
      ...(creds.tokens ? { tokens: creds.tokens } : {}),
      ...(opts.redactor ? { redactor: opts.redactor } : {}),
    });
    try {
      await probe.connect();
      return { ok: true };
    } catch (err) {
      return outcome(err);
    } finally {
      await probe.dispose().catch(() => undefined);
    }
  })();
  const smtp = account.smtp
    ? probeSmtp(account, smtpCredentialsFrom(account, passwords, creds.tokens), {
        logger: opts.logger,
        ...(opts.redactor ? { redactor: opts.redactor } : {}),
      }).then(
        (): PartOutcome => ({ ok: true }),
        (err: unknown) => outcome(err),
      )
    : undefined;
  const [imapResult, smtpResult] = await Promise.all([imap, smtp]);
  return { imap: imapResult, ...(smtpResult ? { smtp: smtpResult } : {}) };
}

/** Whether choosing a CA file could fix this result (a chain that leads to no trusted CA). */
export function needsCaFile(result: ConnectionTestResult): boolean {
  return [result.imap, result.smtp].some((p) => p && !p.ok && p.error.kind === 'certUntrusted');
}

/** One line per part, for the message Add Account shows. */
export function describeResult(account: AccountConfig, result: ConnectionTestResult): string[] {
  const line = (what: string, where: string, p: PartOutcome) =>
    p.ok ? `${what} (${where}): OK.` : `${what} (${where}) failed: ${p.error.message}`;
  const lines = [line('IMAP', `${account.host}:${account.port}`, result.imap)];
  if (account.smtp && result.smtp) lines.push(line('SMTP', `${account.smtp.host}:${account.smtp.port}`, result.smtp));
  return lines;
}

export function passed(result: ConnectionTestResult): boolean {
  return result.imap.ok && (result.smtp?.ok ?? true);
}
