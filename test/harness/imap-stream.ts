/**
 * A streaming splitter for the IMAP wire format (RFC 9051 §4.3, RFC 7888).
 *
 * It cuts a byte stream (either direction) into *segments*: text lines ending
 * in CRLF (or bare LF), and literal payloads announced by `{n}` / `{n+}` /
 * `~{n}` at the very end of the preceding line. Literal bytes are passed
 * through in as many pieces as they arrive (never buffered whole), so a 5 MB
 * FETCH body costs no extra memory, and literal data is never mistaken for a
 * command or response.
 *
 * `first` is true on the line that starts a new command/response (i.e. the
 * previous logical line ended without a literal); `end` is true on the line
 * that finishes it.
 */
export type ImapSegment =
  | { kind: 'line'; data: Buffer; first: boolean; end: boolean; literal: { size: number; sync: boolean } | null }
  | { kind: 'literal'; data: Buffer; remaining: number };

const LITERAL_AT_END = /\{(\d+)(\+?)\}\r?\n$/;

export class ImapStreamSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private literalLeft = 0;
  private nextIsFirst = true;

  /** True when no partial line or literal is buffered and the next byte starts a new command/response. */
  get atBoundary(): boolean {
    return this.nextIsFirst && this.literalLeft === 0 && this.pendingLen === 0;
  }

  /** True when the stream is inside a literal. */
  get inLiteral(): boolean {
    return this.literalLeft > 0;
  }

  /** Forget everything buffered (after STARTTLS, or a new connection). */
  reset(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.literalLeft = 0;
    this.nextIsFirst = true;
  }

  /**
   * Abandon the literal we are in (a server may reject a synchronizing
   * literal with a tagged response instead of `+`; the client then never sends it).
   */
  cancelLiteral(): void {
    this.literalLeft = 0;
    this.nextIsFirst = true;
  }

  push(chunk: Buffer): ImapSegment[] {
    const out: ImapSegment[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, chunk.length - pos);
        this.literalLeft -= n;
        out.push({ kind: 'literal', data: chunk.subarray(pos, pos + n), remaining: this.literalLeft });
        pos += n;
        continue;
      }
      const lf = chunk.indexOf(0x0a, pos);
      if (lf < 0) {
        this.pending.push(chunk.subarray(pos));
        this.pendingLen += chunk.length - pos;
        break;
      }
      let line = chunk.subarray(pos, lf + 1);
      if (this.pendingLen > 0) {
        this.pending.push(line);
        line = Buffer.concat(this.pending, this.pendingLen + line.length);
        this.pending = [];
        this.pendingLen = 0;
      }
      pos = lf + 1;
      const first = this.nextIsFirst;
      // Only the tail of the line matters; look at the last 32 bytes.
      const tail = line.subarray(Math.max(0, line.length - 32)).toString('latin1');
      const m = LITERAL_AT_END.exec(tail);
      if (m) {
        const size = Number(m[1]);
        this.literalLeft = size;
        this.nextIsFirst = false;
        out.push({ kind: 'line', data: line, first, end: false, literal: { size, sync: m[2] !== '+' } });
        if (size === 0) {
          out.push({ kind: 'literal', data: Buffer.alloc(0), remaining: 0 });
        }
      } else {
        this.nextIsFirst = true;
        out.push({ kind: 'line', data: line, first, end: true, literal: null });
      }
    }
    return out;
  }
}
