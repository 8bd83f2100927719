/**
 * A small scripted SMTP server for the faults a real Postfix does not produce
 * on demand: a 4xx or 5xx on a chosen RCPT, 552 on DATA, the connection cut in
 * the middle of DATA, no STARTTLS offered. Built on `smtp-server` (nodemailer's
 * server side), with the Dovecot test CA's certificate so TLS verification
 * stays on in the client. Everything it accepted is kept in `received`.
 *
 * Also: a port that accepts TCP but never greets (timeouts) and a port nobody
 * listens on (connection refused).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { TestServer } from './dovecot.js';

export interface SmtpReply {
  code: number;
  message: string;
}

export interface SmtpPeerOptions {
  /** implicit TLS (465-style); otherwise STARTTLS is offered (unless hidden) */
  secure?: boolean;
  /** do not offer STARTTLS (a downgraded or misconfigured server) */
  hideStartTls?: boolean;
  /** EHLO SIZE; larger messages are refused with 552 */
  size?: number;
  /** user → password accepted by AUTH PLAIN/LOGIN (default: the Dovecot test users) */
  users?: Record<string, string>;
  /** the reply to RCPT TO for an address, or undefined to accept it */
  rcpt?: (address: string) => SmtpReply | undefined;
  /** what happens once the message body arrives: accept it, refuse it, or cut the connection mid-DATA */
  data?: 'accept' | SmtpReply | 'cut';
}

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmtpPeer {
  host: '127.0.0.1';
  port: number;
  received: ReceivedMessage[];
  /** every RCPT TO the peer was asked, in order */
  rcptSeen: string[];
  /** sessions that reached DATA */
  dataStarted: number;
  close(): Promise<void>;
}

function replyError({ code, message }: SmtpReply): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpPeer(
  tlsFrom: Pick<TestServer, 'certFile' | 'keyFile' | 'users'>,
  opts: SmtpPeerOptions = {},
): Promise<SmtpPeer> {
  const users = opts.users ?? Object.fromEntries(Object.values(tlsFrom.users).map((u) => [u.user, u.pass]));
  const received: ReceivedMessage[] = [];
  const rcptSeen: string[] = [];
  const sockets = new Map<number, net.Socket>();
  const peer = { dataStarted: 0 };
  const server = new SMTPServer({
    secure: opts.secure ?? false,
    key: fs.readFileSync(tlsFrom.keyFile),
    cert: fs.readFileSync(tlsFrom.certFile),
    // Not offered and not accepted either (a hidden STARTTLS would still be honoured).
    hideSTARTTLS: opts.hideStartTls ?? false,
    ...(opts.hideStartTls ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    banner: 'scripted peer',
    socketTimeout: 10_000,
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (auth.username && users[auth.username] !== undefined && users[auth.username] === auth.password) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('5.7.8 Error: authentication failed'), { responseCode: 535 }));
      }
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      rcptSeen.push(address.address);
      const reply = opts.rcpt?.(address.address);
      callback(reply ? replyError(reply) : null);
    },
    onData(stream, session, callback) {
      peer.dataStarted++;
      const chunks: Buffer[] = [];
      let cut = false;
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (opts.data === 'cut' && !cut) {
          // The first bytes of the body arrived: drop the connection before the final dot.
          cut = true;
          sockets.get(session.remotePort)?.destroy();
        }
      });
      stream.on('end', () => {
        if (cut) return;
        const over = (stream as { sizeExceeded?: boolean }).sizeExceeded;
        if (over)
          return callback(
            replyError({ code: 552, message: '5.3.4 Error: message exceeds fixed maximum message size' }),
          );
        if (opts.data && typeof opts.data === 'object') return callback(replyError(opts.data));
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        callback(null, 'Ok: queued');
      });
    },
  });
  server.on('error', () => undefined);
  // Sockets by client port, to cut one connection in the middle of DATA.
  server.server.on('connection', (socket: net.Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.on('close', () => sockets.delete(port));
  });
  if (opts.secure) {
    server.server.on('secureConnection', (socket: net.Socket) => {
      const port = socket.remotePort;
      if (port !== undefined) sockets.set(port, socket);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    received,
    rcptSeen,
    get dataStarted() {
      return peer.dataStarted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets.values()) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that accepts connections and never says a word (the client's greeting timeout). */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (taken from the kernel, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
