/**
 * A tiny OAuth2 token introspection endpoint (RFC 7662 style) for Dovecot's
 * `oauth2` passdb in integration tests.
 *
 * It listens on 127.0.0.1 (free port) and answers
 *   POST /introspect   body `token=<token>`            (introspection_mode = post)
 *   GET  /introspect?token=<token>                      (introspection_mode = get)
 *   GET  /introspect   `Authorization: Bearer <token>`  (introspection_mode = auth)
 * with `{"active":true,"username":"<user>"}` for a token in `validTokens` and
 * `{"active":false}` otherwise (HTTP 200 either way, as RFC 7662 says).
 * Every request is recorded in `requests`.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface OAuthRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** the token found in the body, query or Authorization header (undefined if none) */
  token: string | undefined;
  /** the user the token mapped to when the request was answered, or null (inactive) */
  user: string | null;
}

export interface OAuthServer {
  /** http://127.0.0.1:<port>/introspect */
  introspectionUrl: string;
  port: number;
  /** valid tokens -> user name; edit freely */
  readonly validTokens: Map<string, string>;
  /** every request received, oldest first */
  readonly requests: OAuthRequest[];
  /** a fresh random token, valid for `user` until revoked */
  issueToken(user: string): string;
  revoke(token: string): void;
  /** true if some request carried `token` */
  sawToken(token: string): boolean;
  close(): Promise<void>;
}

function tokenOf(req: http.IncomingMessage, body: string): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const q = url.searchParams.get('token') ?? url.searchParams.get('access_token');
  if (q) return q;
  if (body) {
    const form = new URLSearchParams(body);
    const t = form.get('token') ?? form.get('access_token');
    if (t) return t;
  }
  return undefined;
}

export async function startOAuthServer(): Promise<OAuthServer> {
  const validTokens = new Map<string, string>();
  const requests: OAuthRequest[] = [];
  const sockets = new Set<net.Socket>();

  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const token = tokenOf(req, body);
      const user = token !== undefined ? validTokens.get(token) ?? null : null;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, token, user });
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      let status = 200;
      let payload: unknown;
      if (path !== '/introspect') {
        status = 404;
        payload = { error: 'not_found' };
      } else if (user !== null) {
        payload = { active: true, username: user, scope: 'mail', token_type: 'Bearer' };
      } else {
        payload = { active: false };
      }
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    // Dovecot's http-client keeps connections open; they must not keep the test process alive.
    s.unref();
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  srv.unref();
  const port = (srv.address() as net.AddressInfo).port;

  let closed: Promise<void> | null = null;
  return {
    introspectionUrl: `http://127.0.0.1:${port}/introspect`,
    port,
    validTokens,
    requests,
    issueToken(user: string): string {
      const token = `tok-${user}-${randomBytes(18).toString('base64url')}`;
      validTokens.set(token, user);
      return token;
    },
    revoke(token: string): void {
      validTokens.delete(token);
    },
    sawToken(token: string): boolean {
      return requests.some((r) => r.token === token);
    },
    close(): Promise<void> {
      if (!closed) {
        closed = new Promise<void>((resolve) => {
          srv.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
      }
      return closed;
    },
  };
}
