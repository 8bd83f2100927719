/**
 * A fault-injecting IMAP proxy: TLS to the client (with the test server's
 * certificate, so a client trusting `server.ca` verifies it), TLS to Dovecot's
 * imaps port.
 *
 * Both directions are split with ImapStreamSplitter, so literal data (an
 * APPENDed message, a FETCHed body) is never taken for a command or response:
 *  - server -> client: capabilities listed in `hideCapabilities` (always
 *    COMPRESS=DEFLATE) are removed from `* CAPABILITY` responses, from
 *    `[CAPABILITY ...]` response codes and from `* ENABLED`; with UIDPLUS
 *    hidden, `[COPYUID ...]` and `[APPENDUID ...]` codes are removed too.
 *  - client -> server: commands in `refuseCommands` (always COMPRESS) get
 *    `<tag> BAD Command refused by test proxy` from the proxy and never reach
 *    Dovecot (a non-synchronizing literal of such a command is swallowed).
 *
 * Faults: cut connections (both sockets destroyed: the client sees the close),
 * refuse new ones, or black-hole the open ones: nothing is forwarded any more
 * in either direction and nothing is closed — no FIN, no RST — as after a NAT
 * timeout or a Wi-Fi/VPN change. Only the client's own timers can notice.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as fs from 'node:fs';
import { ImapStreamSplitter } from './imap-stream.js';
import type { TestServer } from './dovecot.js';

/** Writes to `to`; when it is full, pauses `from` until `to` drains, so a slow side slows the other instead of filling memory. */
function writerWithBackpressure(to: net.Socket, from: net.Socket): (data: Buffer) => void {
  let paused = false;
  return (data) => {
    if (to.write(data) || paused) return;
    paused = true;
    from.pause();
    to.once('drain', () => {
      paused = false;
      from.resume();
    });
  };
}

export interface ImapProxy {
  /** listens on 127.0.0.1 */
  port: number;
  host: '127.0.0.1';
  /** destroy every open connection pair now */
  cutAll(): void;
  /** on each open pair, destroy both sockets after n more bytes server -> client */
  cutAfterServerBytes(n: number): void;
  /** when off, new client connections are destroyed at once */
  setAccepting(on: boolean): void;
  /**
   * Silently kills every open pair: from now on no byte is forwarded either way
   * and neither socket is closed (no FIN/RST). New connections work normally.
   * Returns how many pairs went dark.
   */
  blackHoleAll(): number;
  /** pairs black-holed and not yet closed by their client */
  readonly blackHoled: number;
  /**
   * New pairs hold the server's bytes (its greeting first) this long before
   * forwarding them: a slow login, to widen races around connecting. 0 = off.
   */
  setConnectDelay(ms: number): void;
  /** plaintext IMAP bytes forwarded server -> client (after rewriting), all pairs */
  bytesServerToClient: number;
  /** plaintext IMAP bytes forwarded client -> server, all pairs */
  bytesClientToServer: number;
  /** number of currently open pairs */
  readonly openConnections: number;
  /** total client connections accepted (including refused ones) */
  readonly connectionsAccepted: number;
  /** commands refused so far, e.g. ["UID MOVE"] */
  readonly refused: string[];
  /**
   * Every command clients sent, in order, without its tag (e.g. "UID FETCH 1:50 (UID FLAGS …)"),
   * with the number of the connection it came on (1 = the first this proxy accepted). LOGIN and
   * AUTHENTICATE keep only their name (no secret is ever recorded); only the first line of a
   * command with literals.
   */
  readonly commands: Array<{ connection: number; command: string }>;
  /**
   * The next time a client sends `command` (its name, e.g. "UID STORE"), that connection hears
   * nothing from the server for `ms`: the reply and everything after it arrive late, in order,
   * as on a slow link. Other connections are not affected.
   */
  delayRepliesTo(command: string, ms: number): void;
  /** From now on the commands refused are `commands` (plus COMPRESS), in place of those given at the start. */
  setRefused(commands: string[]): void;
  /**
   * The next time a client sends `command`, it (and whatever that connection sends after it)
   * reaches the server only `ms` later: what other clients do meanwhile has happened when the
   * server runs it, and the server reports those changes inside its reply.
   */
  delayCommandsTo(command: string, ms: number): void;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** removed from every CAPABILITY list, e.g. ['MOVE','UIDPLUS','CONDSTORE','QRESYNC'] */
  hideCapabilities?: string[];
  /** e.g. ['MOVE','UID MOVE','UID EXPUNGE']; matched on the command name (and the name after UID) */
  refuseCommands?: string[];
  /** added to every CAPABILITY list, e.g. ['X-GM-EXT-1'] (advertised only, not implemented) */
  addCapabilities?: string[];
}

const ALWAYS_HIDDEN = ['COMPRESS=DEFLATE'];
const ALWAYS_REFUSED = ['COMPRESS'];

interface Pair {
  client: tls.TLSSocket;
  upstream: tls.TLSSocket;
  /** bytes server -> client still allowed before the pair is cut (Infinity = no limit) */
  budget: number;
  dead: boolean;
  /** forwards nothing any more, closes nothing */
  dark: boolean;
  kill(): void;
}

function words(line: string): string[] {
  return line.replace(/\r?\n$/, '').split(' ');
}

export async function startProxy(server: TestServer, opts: ProxyOptions = {}): Promise<ImapProxy> {
  const hidden = new Set([...ALWAYS_HIDDEN, ...(opts.hideCapabilities ?? [])].map((c) => c.toUpperCase()));
  const refuse = new Set<string>();
  const setRefused = (commands: string[]) => {
    refuse.clear();
    for (const c of [...ALWAYS_REFUSED, ...commands]) refuse.add(c.toUpperCase().trim());
  };
  setRefused(opts.refuseCommands ?? []);
  const stripUidplusCodes = hidden.has('UIDPLUS');
  const cert = fs.readFileSync(server.certFile);
  const key = fs.readFileSync(server.keyFile);

  const pairs = new Set<Pair>();
  const rawSockets = new Set<net.Socket>();
  let accepting = true;
  let accepted = 0;
  let connectDelayMs = 0;
  const refused: string[] = [];
  const commands: Array<{ connection: number; command: string }> = [];
  let pairCount = 0;
  const delays: Array<{ command: string; ms: number }> = [];
  const commandDelays: Array<{ command: string; ms: number }> = [];

  const filterCaps = (list: string): string =>
    [...list.split(' ').filter((c) => c !== '' && !hidden.has(c.toUpperCase())), ...(opts.addCapabilities ?? [])].join(
      ' ',
    );

  /** Rewrite the first line of a server response (never a literal, never a continuation line). */
  const rewriteResponse = (line: string): string => {
    const eol = line.endsWith('\r\n') ? '\r\n' : line.endsWith('\n') ? '\n' : '';
    let body = line.slice(0, line.length - eol.length);
    let m = /^(\* CAPABILITY )(.*)$/i.exec(body);
    if (m) return (m[1] as string) + filterCaps(m[2] as string) + eol;
    m = /^(\* ENABLED)(.*)$/i.exec(body);
    if (m) {
      const rest = filterCaps((m[2] as string).trim());
      return (m[1] as string) + (rest ? ' ' + rest : '') + eol;
    }
    // Response codes come right after the status of a tagged or untagged status response.
    m = /^(\S+ (?:OK|NO|BAD|PREAUTH|BYE) )\[([^\]]*)\](.*)$/i.exec(body);
    if (m) {
      const prefix = m[1] as string;
      const code = m[2] as string;
      const rest = m[3] as string;
      const name = (code.split(' ')[0] ?? '').toUpperCase();
      if (name === 'CAPABILITY') {
        body = `${prefix}[CAPABILITY ${filterCaps(code.slice('CAPABILITY'.length).trim())}]${rest}`;
      } else if (stripUidplusCodes && (name === 'COPYUID' || name === 'APPENDUID')) {
        body = prefix + rest.replace(/^ /, '');
      }
    }
    return body + eol;
  };

  const tlsServer = tls.createServer({ cert, key, minVersion: 'TLSv1.2' });

  const proxy: ImapProxy = {
    port: 0,
    host: '127.0.0.1',
    bytesServerToClient: 0,
    bytesClientToServer: 0,
    get openConnections(): number {
      return pairs.size;
    },
    get connectionsAccepted(): number {
      return accepted;
    },
    refused,
    commands,
    delayRepliesTo(command: string, ms: number): void {
      delays.push({ command: command.toUpperCase().trim(), ms });
    },
    setRefused,
    delayCommandsTo(command: string, ms: number): void {
      commandDelays.push({ command: command.toUpperCase().trim(), ms });
    },
    cutAll(): void {
      for (const p of [...pairs]) p.kill();
    },
    cutAfterServerBytes(n: number): void {
      for (const p of pairs) {
        p.budget = Math.max(0, n);
        if (p.budget === 0) p.kill();
      }
    },
    setAccepting(on: boolean): void {
      accepting = on;
    },
    blackHoleAll(): number {
      let n = 0;
      for (const p of pairs) {
        if (!p.dark) n++;
        p.dark = true;
      }
      return n;
    },
    get blackHoled(): number {
      return [...pairs].filter((p) => p.dark).length;
    },
    setConnectDelay(ms: number): void {
      connectDelayMs = Math.max(0, ms);
    },
    close(): Promise<void> {
      accepting = false;
      proxy.cutAll();
      for (const sock of rawSockets) sock.destroy();
      return new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    },
  };

  tlsServer.on('tlsClientError', () => undefined);
  // Refuse at the TCP level, before any TLS handshake.
  tlsServer.on('connection', (sock: net.Socket) => {
    accepted++;
    rawSockets.add(sock);
    sock.once('close', () => rawSockets.delete(sock));
    if (!accepting) {
      sock.on('error', () => undefined);
      sock.destroy();
    }
  });
  tlsServer.on('secureConnection', (client: tls.TLSSocket) => {
    client.on('error', () => undefined);
    if (!accepting) {
      client.destroy();
      return;
    }
    const connection = ++pairCount;
    const upstream = tls.connect({ host: server.host, port: server.imapsPort, ca: server.ca });
    upstream.on('error', () => undefined);
    if (connectDelayMs > 0) {
      upstream.pause();
      setTimeout(() => upstream.resume(), connectDelayMs).unref();
    }

    const pair: Pair = {
      client,
      upstream,
      budget: Infinity,
      dead: false,
      dark: false,
      kill(): void {
        if (pair.dead) return;
        pair.dead = true;
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      },
    };
    pairs.add(pair);
    client.once('close', () => pair.kill());
    upstream.once('close', () => pair.kill());

    // ---- server -> client ------------------------------------------------
    const down = new ImapStreamSplitter();
    const injectQueue: Buffer[] = [];

    const writeClient = writerWithBackpressure(client, upstream);
    const toClient = (data: Buffer): void => {
      if (pair.dead || pair.dark || data.length === 0 || pair.budget <= 0) return;
      if (data.length >= pair.budget) {
        // Deliver exactly the allowed bytes, then cut both sides.
        const part = data.subarray(0, pair.budget);
        pair.budget = 0;
        proxy.bytesServerToClient += part.length;
        client.write(part, () => pair.kill());
        setTimeout(() => pair.kill(), 500).unref();
        return;
      }
      if (pair.budget !== Infinity) pair.budget -= data.length;
      proxy.bytesServerToClient += data.length;
      writeClient(data);
    };

    const flushInjected = (): void => {
      while (injectQueue.length > 0 && down.atBoundary) toClient(injectQueue.shift() as Buffer);
    };

    upstream.on('data', (chunk: Buffer) => {
      for (const seg of down.push(chunk)) {
        if (seg.kind === 'line' && seg.first) {
          toClient(Buffer.from(rewriteResponse(seg.data.toString('latin1')), 'latin1'));
        } else {
          toClient(seg.data);
        }
      }
      flushInjected();
    });

    /** Send a proxy-made response line without splitting a server response. */
    const inject = (line: string): void => {
      injectQueue.push(Buffer.from(line, 'latin1'));
      flushInjected();
    };

    // ---- client -> server ------------------------------------------------
    const up = new ImapStreamSplitter();
    let discarding = false;

    const writeServer = writerWithBackpressure(upstream, client);
    /** While set, what the client sends waits here (in order) for the timer of delayCommandsTo. */
    let heldUp: Buffer[] | undefined;
    const toServer = (data: Buffer): void => {
      if (pair.dead || pair.dark || data.length === 0) return;
      if (heldUp) {
        heldUp.push(data);
        return;
      }
      proxy.bytesClientToServer += data.length;
      writeServer(data);
    };
    const holdUp = (ms: number): void => {
      heldUp ??= [];
      setTimeout(() => {
        const held = heldUp ?? [];
        heldUp = undefined;
        for (const d of held) toServer(d);
      }, ms).unref();
    };

    client.on('data', (chunk: Buffer) => {
      for (const seg of up.push(chunk)) {
        if (seg.kind === 'line' && seg.first) {
          discarding = false;
          const w = words(seg.data.toString('latin1'));
          const tag = w[0] ?? '*';
          let name = (w[1] ?? '').toUpperCase();
          if (name === 'UID' && w[2]) name += ' ' + w[2].toUpperCase();
          if (w.length >= 2)
            commands.push({
              connection,
              command: name === 'LOGIN' || name === 'AUTHENTICATE' ? name : w.slice(1).join(' '),
            });
          const held = commandDelays.findIndex((d) => d.command === name);
          if (held >= 0) holdUp(commandDelays.splice(held, 1)[0]!.ms);
          const delay = delays.findIndex((d) => d.command === name);
          if (delay >= 0) {
            const { ms } = delays.splice(delay, 1)[0]!;
            upstream.pause();
            setTimeout(() => upstream.resume(), ms).unref();
          }
          if (w.length >= 2 && refuse.has(name)) {
            refused.push(name);
            inject(`${tag} BAD Command refused by test proxy\r\n`);
            discarding = true;
            // A client waits for "+" before sending a synchronizing literal: it
            // won't come, the command is over.
            if (seg.literal?.sync) up.cancelLiteral();
            continue;
          }
        }
        if (discarding) {
          if (seg.kind === 'line' && seg.literal?.sync) up.cancelLiteral();
          continue;
        }
        toServer(seg.data);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    tlsServer.once('error', reject);
    tlsServer.listen(0, '127.0.0.1', () => {
      tlsServer.removeListener('error', reject);
      resolve();
    });
  });
  proxy.port = (tlsServer.address() as net.AddressInfo).port;
  return proxy;
}
