// nodemailer's SMTP client logs bunyan-style (an entry object, then a printf-style message).
// This turns it into our lines, through the account's redacting logger: every registered secret
// is masked there, and here, independently, everything the client says while an AUTH exchange is
// under way (AUTH PLAIN's argument, AUTH LOGIN's user and password lines, XOAUTH2's token).
import { format } from 'node:util';
import type { Logger } from '../log';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type NodemailerLogger = Record<Level | 'fatal', (...args: unknown[]) => void>;

export function smtpLogger(logger: Logger, tag: string, traceProtocol: boolean): NodemailerLogger {
  let inAuth = false;
  const line =
    (level: Level) =>
    (...args: unknown[]) => {
      const [entry, ...rest] = args;
      const hasEntry = typeof entry === 'object' && entry !== null && !(entry instanceof Error);
      const tnx = hasEntry ? (entry as { tnx?: string }).tnx : undefined;
      let text = hasEntry ? format(...(rest as [unknown, ...unknown[]])) : format(...args);
      if (tnx === 'client') {
        if (/^AUTH\b/i.test(text)) {
          inAuth = true;
          text = text.replace(/^(AUTH\s+[\w-]+).*$/i, '$1 ***');
        } else if (inAuth) {
          text = '***';
        }
      } else if (tnx === 'server' && inAuth && !/^334\b/.test(text)) {
        inAuth = false;
      }
      const protocol = tnx === 'client' || tnx === 'server';
      if (protocol && !traceProtocol) return;
      const prefix = `${tag} ${tnx === 'client' ? 'C: ' : tnx === 'server' ? 'S: ' : ''}`;
      // One log line per protocol line: a multi-line EHLO reply in one line would read as
      // "… LOGIN <next line> <next line>" to the IMAP LOGIN masking of the redactor.
      for (const l of text.split(/\r?\n/)) logger[protocol ? 'trace' : level](`${prefix}${l}`);
    };
  return {
    trace: line('trace'),
    debug: line('debug'),
    info: line('debug'),
    warn: line('warn'),
    error: line('warn'),
    fatal: line('error'),
  };
}
