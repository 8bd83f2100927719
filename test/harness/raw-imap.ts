/**
 * A minimal IMAP client over node:tls / node:net for harness tests: tagged
 * commands, synchronizing literals both ways, STARTTLS. It does no parsing of
 * responses beyond splitting them; literal payloads stay inline in the
 * response text (`{n}\r\n<bytes>`), decoded as UTF-8 (or see `rawUntagged`).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ImapStreamSplitter } from './imap-stream.js';

export interface RawImapConnectOptions {
  host: string;
  port: number;
  /** implicit TLS (default true) */
  tls?: boolean;
  /** trusted CA PEM; verification stays on unless rejectUnauthorized: false */
  ca?: string | Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
  /** source address (e.g. '127.0.0.2') */
  localAddress?: string;
  /** per-command and connect timeout, default 5000 ms */
  timeoutMs?: number;
}

export interface ImapResponse {
  tag: string;
  status: 'OK' | 'NO' | 'BAD';
  /** text after the status, e.g. "[CAPABILITY ...] Logged in" */
  text: string;
  /** the tagged line without CRLF */
  line: string;
  /** untagged responses received while the command ran, without the final CRLF */
  untagged: string[];
  rawUntagged: Buffer[];
}

interface Pending {
  tag: string;
  untagged: string[];
  rawUntagged: Buffer[];
  resolve: (r: ImapResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ImapCommandError extends Error {
  constructor(public readonly response: ImapResponse) {
    super(`${response.tag} ${response.status} ${response.text}`);
  }
}

export class RawImap {
  greeting = '';
  /**
   * Responses no command() consumed: untagged ones while no command ran (e.g.
   * during IDLE), and tagged ones for tags sent with write().
   */
  readonly unsolicited: string[] = [];
  readonly closed: Promise<void>;
  /** the error that ended the connection, if any */
  error: Error | null = null;

  private socket: net.Socket | tls.TLSSocket;
  private splitter = new ImapStreamSplitter();
  private current: Buffer[] = [];
  private pending: Pending[] = [];
  private nextTag = 1;
  private continuationWaiters: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private greetingWaiter: { resolve: (l: string) => void; reject: (e: Error) => void } | null = null;
  private isClosed = false;
  private closeResolve!: () => void;
  private readonly timeoutMs: number;
  private readonly onData = (chunk: Buffer): void => this.handleData(chunk);

  private constructor(socket: net.Socket | tls.TLSSocket, timeoutMs: number) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    this.closed = new Promise<void>((resolve) => {
      this.closeResolve = resolve;
    });
    this.attach(socket);
  }

  /** Connects and waits for the greeting. Rejects with the TLS error (e.code) on verification failure. */
  static connect(opts: RawImapConnectOptions): Promise<RawImap> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise<RawImap>((resolve, reject) => {
      let socket: net.Socket | tls.TLSSocket;
      if (opts.tls === false) {
        socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
      } else {
        const inner = opts.localAddress
          ? net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress })
          : undefined;
        socket = tls.connect({
          host: opts.host,
          port: opts.port,
          // tls.connect has no localAddress option: bind a TCP socket ourselves when one is asked for.
          socket: inner,
          ca: opts.ca,
          servername: opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host),
          rejectUnauthorized: opts.rejectUnauthorized ?? true,
        });
        const outer = socket;
        inner?.on('error', (err: Error) => outer.destroy(err));
      }
      const client = new RawImap(socket, timeoutMs);
      const timer = setTimeout(() => {
        client.destroy();
        reject(new Error(`IMAP connect to ${opts.host}:${opts.port} timed out`));
      }, timeoutMs);
      client.greetingWaiter = {
        resolve: (line: string) => {
          clearTimeout(timer);
          client.greeting = line;
          resolve(client);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  get tlsSocket(): tls.TLSSocket | null {
    return this.socket instanceof tls.TLSSocket ? this.socket : null;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', this.onData);
    socket.on('error', (err: Error) => {
      this.error ??= err;
    });
    socket.on('close', () => this.handleClose());
  }

  private handleClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const err = this.error ?? new Error('IMAP connection closed');
    this.greetingWaiter?.reject(err);
    this.greetingWaiter = null;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    for (const w of this.continuationWaiters.splice(0)) w.reject(err);
    this.closeResolve();
  }

  private handleData(chunk: Buffer): void {
    for (const seg of this.splitter.push(chunk)) {
      this.current.push(seg.data);
      if (seg.kind === 'line' && seg.end) {
        const raw = Buffer.concat(this.current);
        this.current = [];
        this.handleResponse(raw);
      }
    }
  }

  private handleResponse(raw: Buffer): void {
    const text = raw.toString('utf8').replace(/\r?\n$/, '');
    if (this.greetingWaiter) {
      const w = this.greetingWaiter;
      this.greetingWaiter = null;
      w.resolve(text);
      return;
    }
    if (text.startsWith('+')) {
      const w = this.continuationWaiters.shift();
      if (w) w.resolve(text);
      return;
    }
    if (text.startsWith('* ')) {
      const p = this.pending[0];
      if (p) {
        p.untagged.push(text);
        p.rawUntagged.push(raw);
      } else {
        this.unsolicited.push(text);
      }
      return;
    }
    const m = /^(\S+) (OK|NO|BAD)(?: (.*))?$/is.exec(text);
    const idx = m ? this.pending.findIndex((p) => p.tag === m[1]) : -1;
    if (!m || idx < 0) {
      // a response to something sent with write(), or garbage
      this.unsolicited.push(text);
      return;
    }
    const [p] = this.pending.splice(idx, 1);
    if (!p) return;
    clearTimeout(p.timer);
    p.resolve({
      tag: p.tag,
      status: (m[2] as string).toUpperCase() as ImapResponse['status'],
      text: m[3] ?? '',
      line: text,
      untagged: p.untagged,
      rawUntagged: p.rawUntagged,
    });
  }

  private waitContinuation(): { promise: Promise<string>; cancel: () => void } {
    let waiter: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
    const promise = new Promise<string>((resolve, reject) => {
      waiter = { resolve, reject };
      this.continuationWaiters.push(waiter);
    });
    const cancel = (): void => {
      const i = waiter ? this.continuationWaiters.indexOf(waiter) : -1;
      if (i >= 0) this.continuationWaiters.splice(i, 1);
    };
    return { promise, cancel };
  }

  /**
   * Sends a command and resolves with its tagged response (OK, NO or BAD: it
   * does not throw on NO/BAD; use `ok()` for that). Buffer parts are sent as
   * synchronizing literals. Example: `cmd('APPEND INBOX (\\Seen) ', raw)`.
   */
  command(...parts: Array<string | Buffer>): Promise<ImapResponse> {
    if (this.isClosed) return Promise.reject(this.error ?? new Error('IMAP connection closed'));
    const tag = `T${this.nextTag++}`;
    const result = new Promise<ImapResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.pending.findIndex((p) => p.tag === tag);
        if (i >= 0) this.pending.splice(i, 1);
        reject(new Error(`IMAP command ${tag} timed out: ${String(parts[0]).slice(0, 80)}`));
      }, this.timeoutMs);
      this.pending.push({ tag, untagged: [], rawUntagged: [], resolve, reject, timer });
    });
    void this.sendParts(tag, parts, result);
    return result;
  }

  private async sendParts(tag: string, parts: Array<string | Buffer>, result: Promise<ImapResponse>): Promise<void> {
    let line = `${tag} `;
    let finished = false;
    result.then(
      () => {
        finished = true;
      },
      () => {
        finished = true;
      },
    );
    for (const part of parts) {
      if (typeof part === 'string') {
        line += part;
        continue;
      }
      this.socket.write(`${line}{${part.length}}\r\n`);
      line = '';
      const cont = this.waitContinuation();
      try {
        await Promise.race([cont.promise, result]);
      } catch {
        return;
      } finally {
        cont.cancel();
      }
      if (finished || this.isClosed) return; // server rejected the literal with a tagged response
      this.socket.write(part);
    }
    this.socket.write(`${line}\r\n`);
  }

  /** Like command() but rejects with ImapCommandError unless the status is OK. */
  async ok(...parts: Array<string | Buffer>): Promise<ImapResponse> {
    const r = await this.command(...parts);
    if (r.status !== 'OK') throw new ImapCommandError(r);
    return r;
  }

  /** Resolves with the first unsolicited response matching `re` (already received or yet to come). */
  async waitForUnsolicited(re: RegExp, timeoutMs = this.timeoutMs): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.unsolicited.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.isClosed) throw this.error ?? new Error(`IMAP connection closed while waiting for ${re}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; got ${this.unsolicited.join(' | ')}`);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Writes raw bytes (no tag, no CRLF added). */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** STARTTLS, then a TLS handshake verified against `ca` for `host`. */
  async startTls(opts: {
    ca?: string | Buffer;
    host: string;
    servername?: string;
    rejectUnauthorized?: boolean;
  }): Promise<ImapResponse> {
    if (this.socket instanceof tls.TLSSocket) throw new Error('already TLS');
    const r = await this.command('STARTTLS');
    if (r.status !== 'OK') return r;
    const plain = this.socket;
    plain.removeListener('data', this.onData);
    plain.removeAllListeners('close');
    this.splitter.reset();
    this.current = [];
    const secure = tls.connect({
      socket: plain,
      host: opts.host,
      ca: opts.ca,
      servername: opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host),
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
    });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    return r;
  }

  async login(user: string, pass: string): Promise<ImapResponse> {
    return this.command(`LOGIN ${quote(user)} ${quote(pass)}`);
  }

  /** LOGOUT (ignores errors) and close. */
  async logout(): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.command('LOGOUT');
    } catch {
      /* closed */
    }
    this.destroy();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** IMAP quoted string. */
export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Capabilities from a `* CAPABILITY` response or a `[CAPABILITY ...]` code anywhere in the given lines. */
export function capabilitiesOf(lines: string[]): string[] {
  for (const l of lines) {
    const m = /^\* CAPABILITY (.*)$/i.exec(l) ?? /\[CAPABILITY ([^\]]*)\]/i.exec(l);
    if (m)
      return (m[1] as string)
        .trim()
        .split(/\s+/)
        .map((c) => c.toUpperCase());
  }
  return [];
}

/** The payloads of all literals in one raw response (e.g. the body of a FETCH BODY[] response). */
export function literalsOf(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const splitter = new ImapStreamSplitter();
  let cur: Buffer[] | null = null;
  for (const seg of splitter.push(raw)) {
    if (seg.kind === 'line') {
      if (cur) out.push(Buffer.concat(cur));
      cur = seg.literal ? [] : null;
    } else if (cur) {
      cur.push(seg.data);
    }
  }
  if (cur) out.push(Buffer.concat(cur));
  return out;
}
