// Logging for the core. Every line goes through a SecretRedactor before it reaches a sink, so
// IMAP traffic can be logged at trace level without ever writing a password or token.
// imapflow already masks LOGIN/AUTHENTICATE arguments; this is the second, independent guard.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const nullLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const MASK = '***';

export class SecretRedactor {
  private readonly forms = new Set<string>();

  /** Registers a secret; `user` lets it also mask the SASL encodings that embed both. */
  add(secret: string, user?: string): void {
    if (secret.length < 3) return; // masking "ab" everywhere would shred logs without protecting anything
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const variants = [
      secret,
      b64(secret),
      JSON.stringify(secret).slice(1, -1),
      secret.replace(/["\\]/g, (c) => `\\${c}`),
      encodeURIComponent(secret),
    ];
    if (user !== undefined) {
      variants.push(b64(`\0${user}\0${secret}`), b64(`${user}\0${user}\0${secret}`));
      variants.push(b64(`user=${user}\x01auth=Bearer ${secret}\x01\x01`));
      variants.push(b64(`n,a=${user},\x01auth=Bearer ${secret}\x01\x01`));
    }
    for (const v of variants) if (v.length >= 3) this.forms.add(v);
  }

  redact(text: string): string {
    let out = text
      // Belt and braces for the protocol lines themselves, whatever the secret is. Tagged and
      // upper-case only, so prose like "Login is disabled" stays readable.
      .replace(/(\b[A-Za-z0-9]+ LOGIN\s+(?:"(?:[^"\\]|\\.)*"|\S+)\s+)("(?:[^"\\]|\\.)*"|\{\d+\+?\}|\S+)/g, `$1${MASK}`)
      .replace(/(\b[A-Za-z0-9]+ AUTHENTICATE\s+[\w-]+)[ \t]+[^\r\n]+/g, `$1 ${MASK}`);
    // Longest first, so a secret's base64 is masked whole before any shorter form inside it.
    for (const form of [...this.forms].sort((a, b) => b.length - a.length)) {
      if (out.includes(form)) out = out.split(form).join(MASK);
    }
    return out;
  }
}

export class RedactingLogger implements Logger {
  constructor(
    private readonly sink: Logger,
    readonly redactor: SecretRedactor,
  ) {}

  trace(message: string): void {
    this.sink.trace(this.redactor.redact(message));
  }
  debug(message: string): void {
    this.sink.debug(this.redactor.redact(message));
  }
  info(message: string): void {
    this.sink.info(this.redactor.redact(message));
  }
  warn(message: string): void {
    this.sink.warn(this.redactor.redact(message));
  }
  error(message: string): void {
    this.sink.error(this.redactor.redact(message));
  }
}

/** Turns one of imapflow's structured log entries into a single readable line. */
export function formatImapLogEntry(entry: unknown): string {
  if (typeof entry !== 'object' || entry === null) return String(entry);
  const e = entry as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof e.cid === 'string') parts.push(`[${e.cid}]`);
  if (typeof e.msg === 'string') parts.push(e.msg);
  if (typeof e.comment === 'string') parts.push(`(${e.comment})`);
  const err = e.err;
  if (err instanceof Error) {
    const ie = err as Error & { responseText?: string; code?: string };
    parts.push(
      `error: ${ie.message}${ie.code ? ` [${ie.code}]` : ''}${ie.responseText ? ` — ${ie.responseText}` : ''}`,
    );
  }
  return parts.join(' ');
}
