// The redirect target of a native app's sign-in (RFC 8252 7.3): an HTTP listener on the loopback
// interface, on a port the system picks, alive for one sign-in. It accepts exactly one
// authorization response, the one carrying the `state` of this sign-in; anything else gets a
// plain refusal page and changes nothing, so a stray or forged request cannot end or hijack the
// sign-in. The browser's request is answered once the code has been redeemed, so the page it
// shows tells the truth. Pages are fixed text: nothing from the request is echoed into them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

export interface AuthorizationResponse {
  /** The query of the redirect: code and state, or error and error_description. */
  params: URLSearchParams;
  /** Answers the waiting browser with the outcome of the sign-in. */
  finish(ok: boolean): void;
}

export interface LoopbackReceiver {
  /** http://127.0.0.1:<port>/ (or localhost, when the provider registers that name). */
  readonly redirectUri: string;
  /** The authorization response of this sign-in; rejects when `signal` aborts. */
  readonly response: Promise<AuthorizationResponse>;
  close(): void;
}

/** How long the browser waits for the outcome before it is shown a neutral page. */
const FINISH_GRACE_MS = 30_000;

const PAGES = {
  success: ['Signed in', 'Mailroom is signed in. You can close this tab and go back to VS Code.'],
  failure: ['Sign-in failed', 'Mailroom could not complete the sign-in. Go back to VS Code to see why.'],
  pending: ['Sign-in received', 'Mailroom received the answer of the sign-in. Go back to VS Code.'],
  refused: [
    'Not accepted',
    'This answer does not belong to the sign-in Mailroom is waiting for. Nothing was signed in.',
  ],
  done: ['Already done', 'This sign-in is already over. Start a new one from VS Code if you need to.'],
} as const;

function sendPage(res: ServerResponse, status: number, page: keyof typeof PAGES): void {
  const [title, text] = PAGES[page];
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Mailroom: ${title}</title></head>` +
    `<body><h1>${title}</h1><p>${text}</p></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    // Inert: no script, no style, no request to anywhere, no referrer, never framed or cached.
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  res.end(html);
}

function sameState(a: string | null, b: string): boolean {
  if (a === null) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startLoopbackReceiver(opts: {
  state: string;
  host: '127.0.0.1' | 'localhost';
  signal: AbortSignal;
}): Promise<LoopbackReceiver> {
  let settle!: { resolve: (r: AuthorizationResponse) => void; reject: (e: unknown) => void };
  const response = new Promise<AuthorizationResponse>((resolve, reject) => {
    settle = { resolve, reject };
  });
  response.catch(() => undefined);
  let accepted = false;
  let pending: ((ok: boolean) => void) | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET', Connection: 'close' }).end();
      return;
    }
    const params = new URL(req.url ?? '/', 'http://loopback').searchParams;
    if (!params.has('state') && !params.has('code') && !params.has('error')) {
      res.writeHead(404, { Connection: 'close' }).end(); // a favicon, a probe
      return;
    }
    if (accepted) return sendPage(res, 409, 'done');
    if (!sameState(params.get('state'), opts.state)) return sendPage(res, 400, 'refused');
    accepted = true;
    let answered = false;
    const finish = (ok: boolean) => {
      if (answered) return;
      answered = true;
      clearTimeout(guard);
      sendPage(res, ok ? 200 : 400, ok ? 'success' : 'failure');
    };
    const guard = setTimeout(() => {
      answered = true;
      sendPage(res, 200, 'pending');
    }, FINISH_GRACE_MS);
    guard.unref();
    pending = finish;
    settle.resolve({ params, finish });
  };

  const servers: Server[] = [];
  const close = () => {
    pending?.(false); // a browser still waiting learns that the sign-in ended
    for (const s of servers) {
      s.close();
      // Pages go out with "Connection: close": what stays open is idle and can go at once.
      s.closeIdleConnections();
    }
  };
  const first = createServer(handler);
  servers.push(first);
  await listen(first, '127.0.0.1', 0);
  const port = (first.address() as AddressInfo).port;
  if (opts.host === 'localhost') {
    // "localhost" may resolve to ::1 first in the browser: listen there too when the system can.
    const v6 = createServer(handler);
    try {
      await listen(v6, '::1', port);
      servers.push(v6);
    } catch {
      /* no IPv6 loopback, or the port is taken there: 127.0.0.1 serves */
    }
  }
  const onAbort = () => {
    settle.reject(opts.signal.reason);
    close();
  };
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });

  return {
    redirectUri: `http://${opts.host}:${port}/`,
    response,
    close: () => {
      opts.signal.removeEventListener('abort', onAbort);
      close();
    },
  };
}
