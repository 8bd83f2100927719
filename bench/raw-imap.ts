// The "raw" side of the benchmark: the least a client must do for an IMAP exchange over node:tls.
// One command at a time; responses are only framed (lines and {n} literals), not parsed, and
// untagged data is kept only when asked for. What it costs is close to the floor for any client
// in Node: TLS + the server's work + the bytes on the wire.
import * as tls from 'node:tls';

export interface RawResponse {
  status: 'OK' | 'NO' | 'BAD';
  /** the tagged line, without CRLF */
  text: string;
  /** untagged responses (literal payloads inline) — only with `collect` */
  lines: string[];
  untaggedCount: number;
  bytesIn: number;
  bytesOut: number;
}

interface Pending {
  tag: string;
  collect: boolean;
  /** called with each untagged or continuation response as it arrives (IDLE) */
  onUntagged: ((line: string) => void) | undefined;
  lines: string[];
  untaggedCount: number;
  in0: number;
  out0: number;
  resolve: (r: RawResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const LF = 0x0a;

export class RawImap {
  /** application-level bytes, i.e. after TLS decryption (what imapflow's stats() counts too) */
  bytesIn = 0;
  bytesOut = 0;
  greeting = '';
  private lineParts: Buffer[] = [];
  /** parts of the current response (lines and literals) — only while collecting */
  private respParts: Buffer[] = [];
  private literalLeft = 0;
  /** first byte of the response being received ('*', '+' or a tag's first letter), -1 between responses */
  private respFirst = -1;
  private pending: Pending | null = null;
  private nextTag = 1;
  private greetingWaiter: ((line: string) => void) | null = null;
  private closedError: Error | null = null;

  private constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(opts: { host: string; port: number; ca: string; timeoutMs?: number }): Promise<RawImap> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise<RawImap>((resolve, reject) => {
      const socket = tls.connect({ host: opts.host, port: opts.port, ca: opts.ca, minVersion: 'TLSv1.2' });
      socket.setNoDelay(true);
      const client = new RawImap(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw IMAP connect to ${opts.host}:${opts.port} timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      client.greetingWaiter = (line) => {
        clearTimeout(timer);
        client.greeting = line;
        resolve(client);
      };
    });
  }

  /** TLS connect + greeting + LOGIN (+ optional setup commands). */
  static async login(opts: { host: string; port: number; ca: string; user: string; pass: string }): Promise<RawImap> {
    const c = await RawImap.connect(opts);
    await c.ok(`LOGIN ${quote(opts.user)} ${quote(opts.pass)}`);
    return c;
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, len - off);
        if (this.pending?.collect || this.pending?.onUntagged) this.respParts.push(chunk.subarray(off, off + take));
        this.literalLeft -= take;
        off += take;
        continue;
      }
      const nl = chunk.indexOf(LF, off);
      if (nl < 0) {
        this.lineParts.push(chunk.subarray(off));
        break;
      }
      let line = chunk.subarray(off, nl + 1);
      off = nl + 1;
      if (this.lineParts.length) {
        this.lineParts.push(line);
        line = Buffer.concat(this.lineParts);
        this.lineParts = [];
      }
      if (this.respFirst < 0) this.respFirst = line[0] ?? 0;
      // "{123}\r\n" (or "{123+}") at the end of a line announces a literal of 123 bytes.
      const lit = literalLength(line);
      if (lit >= 0) {
        if (this.pending?.collect || this.pending?.onUntagged) this.respParts.push(line);
        this.literalLeft = lit;
        continue;
      }
      this.onResponseEnd(line);
    }
  }

  private onResponseEnd(lastLine: Buffer): void {
    const p = this.pending;
    const first = this.respFirst;
    this.respFirst = -1;
    if (this.greetingWaiter) {
      const w = this.greetingWaiter;
      this.greetingWaiter = null;
      this.respParts = [];
      w(lastLine.toString('latin1').trimEnd());
      return;
    }
    if (!p) {
      this.respParts = [];
      return;
    }
    // Untagged ("* ...") or continuation ("+ ..."): the tagged line starts with our tag.
    if (first === 0x2a /* * */ || first === 0x2b /* + */) {
      p.untaggedCount++;
      if (p.collect || p.onUntagged) {
        this.respParts.push(lastLine);
        const text = Buffer.concat(this.respParts).toString('utf8').trimEnd();
        if (p.collect) p.lines.push(text);
        p.onUntagged?.(text);
      }
      this.respParts = [];
      return;
    }
    this.respParts = [];
    const text = lastLine.toString('utf8').trimEnd();
    if (!text.startsWith(p.tag + ' ')) return; // not ours (should not happen: one command at a time)
    const status = text.slice(p.tag.length + 1, p.tag.length + 4).replace(/ $/, '').toUpperCase();
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve({
      status: (status === 'OK' || status === 'NO' ? status : 'BAD') as RawResponse['status'],
      text,
      lines: p.lines,
      untaggedCount: p.untaggedCount,
      bytesIn: this.bytesIn - p.in0,
      bytesOut: this.bytesOut - p.out0,
    });
  }

  /** Sends one command (no literals) and resolves with its tagged response. */
  command(cmd: string, opts: { collect?: boolean; timeoutMs?: number; onUntagged?: (line: string) => void } = {}): Promise<RawResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error('raw IMAP: one command at a time'));
    const tag = `R${this.nextTag++}`;
    const data = `${tag} ${cmd}\r\n`;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise<RawResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.socket.destroy();
        reject(new Error(`raw IMAP command timed out after ${timeoutMs} ms: ${cmd.slice(0, 80)}`));
      }, timeoutMs);
      this.pending = {
        tag, collect: opts.collect ?? false, onUntagged: opts.onUntagged, lines: [], untaggedCount: 0,
        in0: this.bytesIn, out0: this.bytesOut, resolve, reject, timer,
      };
      this.bytesOut += Buffer.byteLength(data);
      this.socket.write(data);
    });
  }

  async ok(cmd: string, opts: { collect?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const r = await this.command(cmd, opts);
    if (r.status !== 'OK') throw new Error(`raw IMAP: ${cmd.slice(0, 60)} -> ${r.text}`);
    return r;
  }

  /**
   * Enters IDLE on the selected mailbox; `onLine` gets every untagged response (e.g. "* 10001 EXISTS")
   * as it arrives. Resolves once the server confirmed ("+ idling"), with the function that ends it (DONE).
   */
  async idle(onLine: (line: string) => void): Promise<() => Promise<RawResponse>> {
    let ready!: () => void;
    const idling = new Promise<void>((resolve) => (ready = resolve));
    const done = this.command('IDLE', { timeoutMs: 60 * 60_000, onUntagged: (l) => (l.startsWith('+') ? ready() : onLine(l)) });
    done.catch(() => ready());
    await idling;
    return async () => {
      if (!this.closedError) {
        this.bytesOut += 6;
        this.socket.write('DONE\r\n');
      }
      return done;
    };
  }

  async logout(): Promise<void> {
    if (this.closedError) return;
    try {
      await this.command('LOGOUT', { timeoutMs: 2000 });
    } catch {
      /* closed */
    }
    this.socket.destroy();
  }
}

function literalLength(line: Buffer): number {
  // ...{digits[+]}\r\n
  let end = line.length - 1;
  if (line[end] !== LF) return -1;
  end--;
  if (line[end] === 0x0d) end--;
  if (line[end] !== 0x7d /* } */) return -1;
  end--;
  if (line[end] === 0x2b /* + */) end--;
  let n = 0;
  let mul = 1;
  let digits = 0;
  while (end >= 0 && line[end]! >= 0x30 && line[end]! <= 0x39) {
    n += (line[end]! - 0x30) * mul;
    mul *= 10;
    digits++;
    end--;
  }
  if (digits === 0 || line[end] !== 0x7b /* { */) return -1;
  return n;
}

export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Values from SELECT/EXAMINE untagged lines. */
export function selectInfo(lines: string[]): { exists: number; uidValidity: string; highestModseq: string | undefined } {
  let exists = -1;
  let uidValidity = '';
  let highestModseq: string | undefined;
  for (const l of lines) {
    let m = /^\* (\d+) EXISTS/i.exec(l);
    if (m) exists = Number(m[1]);
    m = /\[UIDVALIDITY (\d+)\]/i.exec(l);
    if (m) uidValidity = m[1]!;
    m = /\[HIGHESTMODSEQ (\d+)\]/i.exec(l);
    if (m) highestModseq = m[1]!;
  }
  if (exists < 0 || !uidValidity) throw new Error(`SELECT response without EXISTS/UIDVALIDITY: ${lines.join(' | ').slice(0, 300)}`);
  return { exists, uidValidity, highestModseq };
}

/**
 * Dovecot 2.3 appends its own processing time to tagged replies: "OK Select completed
 * (0.131 + 0.000 + 0.130 secs)." Returns the first figure (the command's total time on the server)
 * in ms, or undefined if the reply has none.
 */
export function serverMs(tagged: string): number | undefined {
  const m = /\((\d+\.\d+) \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)/.exec(tagged);
  return m ? Number(m[1]) * 1000 : undefined;
}
