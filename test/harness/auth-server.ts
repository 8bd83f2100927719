/**
 * A real OAuth 2.0 / OpenID Connect authorization server for the tests: `oidc-provider` (a
 * certified implementation) on https://127.0.0.1:<free port>, with the certificate of the
 * Dovecot harness (the test CA), so clients verify TLS as they would in production.
 *
 * What it offers:
 *  - a public native client (`clientId`): PKCE (S256) required, loopback redirect URIs on any
 *    port (RFC 8252 7.3), refresh tokens (rotated on use, as servers do for public clients),
 *    the device authorization grant (RFC 8628);
 *  - a confidential resource-server client for Dovecot, which introspects tokens (RFC 7662);
 *  - two users, alice and bob, whose login and consent pages are served here, and a tiny
 *    "browser" (`browser()`) that fills them in over plain HTTP with a cookie jar;
 *  - a record of every token, introspection and revocation request (`requests`);
 *  - an access-token lifetime that tests can shorten (`setAccessTokenTtl`).
 *
 * Everything lives in memory; `close()` destroys every socket.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';

export interface AuthUser {
  login: string;
  password: string;
}

/** One request to the token, introspection or revocation endpoint, as the server saw it. */
export interface AuthRequest {
  route: 'token' | 'introspection' | 'revocation' | 'device_authorization';
  status: number;
  /** grant_type of a token request */
  grantType?: string;
  /** the request parameters (codes, verifiers, tokens included: the tests look for them in logs) */
  params: Record<string, string>;
  /** the JSON the server answered */
  body: Record<string, unknown>;
  /** made by this harness's own helpers (introspect, revoke), not by the code under test or Dovecot */
  fromHarness: boolean;
}

export interface BrowserOutcome {
  /** where the server finally sent the browser, when it left the server (the client's redirect URI) */
  redirect?: URL;
  /** the last page, when the flow ended on the server (e.g. the device flow's success page) */
  page?: string;
}

export interface AuthBrowser {
  /**
   * Visits `url` and goes through the server's pages: the login form (as `user`), consent
   * (allowed, or denied with `deny`), device-code confirmation. Stops before leaving the server.
   */
  visit(url: string, user: AuthUser, opts?: { deny?: boolean }): Promise<BrowserOutcome>;
}

export interface AuthServer {
  /** https://127.0.0.1:<port> */
  issuer: string;
  port: number;
  /** the public native client the tests sign in with */
  clientId: string;
  /** scopes a mail client asks for */
  scopes: string[];
  users: { alice: AuthUser; bob: AuthUser };
  /** the introspection endpoint with Dovecot's client credentials in it (Basic auth) */
  dovecotIntrospectionUrl: string;
  /** every token / introspection / revocation / device request, oldest first */
  readonly requests: AuthRequest[];
  /** token requests of one grant type, oldest first */
  tokenRequests(grantType: string): AuthRequest[];
  /**
   * Makes the token endpoint answer `status` (a plain error page, as a proxy in front of a
   * server that is down would) until called with undefined: a fault the real server cannot make.
   */
  setTokenEndpointFault(status: number | undefined): void;
  /** lifetime of access tokens issued from now on (default 3600 s) */
  setAccessTokenTtl(seconds: number): void;
  /** a fresh browser (its own cookie jar, so its own sessions) that trusts the test CA */
  browser(): AuthBrowser;
  /**
   * An access token for `user`, issued server-side as an administrator would (no browser), for
   * tests that bring their own token (oauth2TokenCommand).
   */
  issueToken(user: string): Promise<string>;
  /**
   * The server forgets one access token (as when it expires early or its session is cut) while
   * the grant and its refresh token stay valid. (The revocation endpoint of oidc-provider revokes
   * every token of the grant, refresh token included.)
   */
  dropAccessToken(token: string): Promise<void>;
  /** revokes `token` at the revocation endpoint, as the native client (every token of its grant goes) */
  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void>;
  /** a request to the token endpoint as the native client would make it (e.g. with a wrong verifier) */
  tokenEndpoint(form: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  /** asks the introspection endpoint (as Dovecot) whether `token` is active */
  introspect(token: string): Promise<{ active: boolean; sub?: string }>;
  /** true if an introspection request carried `token` */
  sawToken(token: string): boolean;
  close(): Promise<void>;
}

export interface StartAuthServerOptions {
  /** PEM certificate (chain) and key; the certificate must name 127.0.0.1 */
  cert: string;
  key: string;
  /** PEM of the CA the certificate chains to (the harness's browser and helpers trust it) */
  ca: string;
}

const USERS = { alice: { login: 'alice', password: 'alicepw' }, bob: { login: 'bob', password: 'bobpw' } };
const CLIENT_ID = 'mailroom-test';
const SCOPES = ['mail', 'offline_access'];
const HARNESS_HEADER = 'x-mailroom-harness';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/**
 * The provider's storage: one Map per server (the library's own memory adapter shares one store
 * between all providers of a process), with expiry and the grant index revocation needs.
 */
function memoryAdapterFactory(): (model: string) => Adapter {
  const items = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const byGrant = new Map<string, Set<string>>();
  const index = new Map<string, string>(); // "uid:…" / "userCode:…" -> key
  const live = (key: string | undefined) => {
    const item = key === undefined ? undefined : items.get(key);
    if (item && item.expiresAt <= Date.now()) {
      items.delete(key!);
      return undefined;
    }
    return item?.payload;
  };
  return (model) => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        items.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
        if (payload.grantId) byGrant.set(payload.grantId, (byGrant.get(payload.grantId) ?? new Set()).add(key(id)));
        if (payload.uid) index.set(`${model}:uid:${payload.uid}`, key(id));
        if (payload.userCode) index.set(`${model}:userCode:${payload.userCode}`, key(id));
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        return live(index.get(`${model}:uid:${uid}`));
      },
      async findByUserCode(userCode) {
        return live(index.get(`${model}:userCode:${userCode}`));
      },
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        items.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const k of byGrant.get(grantId) ?? []) items.delete(k);
        byGrant.delete(grantId);
      },
    };
  };
}

async function readBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startAuthServer(opts: StartAuthServerOptions): Promise<AuthServer> {
  const requests: AuthRequest[] = [];
  const sockets = new Set<net.Socket>();
  let accessTokenTtl = 3600;
  const dovecotSecret = randomBytes(18).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' };

  // The port must be known before the provider (its issuer names it): listen first, dispatch later.
  let dispatch: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = https.createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (req, res) =>
    dispatch(req, res),
  );
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    // Dovecot's HTTP client keeps connections alive: they must not keep the test process alive.
    s.unref();
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  server.unref();
  const port = (server.address() as net.AddressInfo).port;
  const issuer = `https://127.0.0.1:${port}`;

  const simplePage =
    (title: string, text: string) =>
    async (ctx: KoaContextWithOIDC, ...rest: unknown[]) => {
      const form = typeof rest[0] === 'string' ? rest[0] : '';
      ctx.type = 'html';
      ctx.body = page(title, `<p>${escapeHtml(text)}</p>${form}`);
    };

  const configuration: Configuration = {
    adapter: memoryAdapterFactory(),
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: 'Mailroom (test)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        // RFC 8252 7.3: for loopback redirects any port matches; the path must. localhost too, as
        // the providers that register that name do.
        redirect_uris: ['http://127.0.0.1/', 'http://localhost/'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
      {
        client_id: 'dovecot',
        client_secret: dovecotSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', ...SCOPES],
    pkce: { required: () => true },
    // OpenID Connect drops offline_access without prompt=consent unless "other conditions" permit
    // it; Microsoft and Google issue refresh tokens to native apps without that prompt (an
    // organisation that forbids user consent would block it), so this server does too.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, id) => (id in USERS ? { accountId: id, claims: async () => ({ sub: id }) } : undefined),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: () => accessTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      RefreshToken: 24 * 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        // Dovecot (a confidential client) may ask about any token; a public client about its own.
        allowedPolicy: async (ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: simplePage('Enter the code', 'Enter the code shown on your device.'),
        userCodeConfirmSource: simplePage('Confirm the device', 'Continue if your device shows this code.'),
        successSource: simplePage('Signed in', 'You can close this page.'),
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Error',
        `<p id="error">${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`,
      );
    },
  };
  const provider = new Provider(issuer, configuration);

  // Records what the token-side endpoints were asked and answered.
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'token' && route !== 'introspection' && route !== 'revocation' && route !== 'device_authorization')
      return;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.oidc.params ?? {})) if (typeof v === 'string') params[k] = v;
    const body = typeof ctx.body === 'object' && ctx.body !== null ? { ...(ctx.body as Record<string, unknown>) } : {};
    const fromHarness = ctx.get(HARNESS_HEADER) === '1';
    requests.push({
      route,
      status: ctx.status,
      ...(params.grant_type ? { grantType: params.grant_type } : {}),
      params,
      body,
      fromHarness,
    });
  });

  const providerCallback = provider.callback();

  // Login and consent, as any server has them; the browser() below fills them in.
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
      res.end(html);
    };
    const [, , uid, action] = url.pathname.split('/');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(400, page('Error', '<p>Unknown interaction.</p>'));
    if (req.method === 'GET' && details.prompt.name === 'login') {
      return send(
        200,
        page(
          'Sign in',
          `<form method="post" action="/interaction/${uid}/login"><input name="login"><input type="password" name="password"><button type="submit">Sign in</button></form>`,
        ),
      );
    }
    if (req.method === 'GET' && details.prompt.name === 'consent') {
      const scopes = String(details.params.scope ?? '');
      return send(
        200,
        page(
          'Allow access',
          `<p>${escapeHtml(String(details.params.client_id))} asks for: ${escapeHtml(scopes)}</p>` +
            `<form data-choice="allow" method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>` +
            `<form data-choice="deny" method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
        ),
      );
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await readBody(req);
      const user = Object.values(USERS).find(
        (u) => u.login === form.get('login') && u.password === form.get('password'),
      );
      if (!user) return send(401, page('Sign in', '<p id="error">Wrong user name or password.</p>'));
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.login } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (req.method === 'POST' && action === 'confirm') {
      const { prompt, params, session, grantId } = details;
      const grant = grantId
        ? (await provider.Grant.find(grantId))!
        : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
      const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const savedId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: grantId ? {} : { grantId: savedId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    if (req.method === 'POST' && action === 'abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied access.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    send(400, page('Error', '<p>Unexpected request.</p>'));
  }

  let tokenFault: number | undefined;
  dispatch = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (tokenFault !== undefined && url.pathname === '/token') {
      res.writeHead(tokenFault, { 'Content-Type': 'text/html' }).end('<html><body>Service Unavailable</body></html>');
      return;
    }
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res, url).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err.message));
      });
    } else {
      providerCallback(req, res);
    }
  };

  /** One request with the test CA trusted; returns status, headers and body text. */
  function request(method: string, target: URL, body?: URLSearchParams, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const payload = body?.toString();
      const req = https.request(
        target,
        {
          method,
          ca: opts.ca,
          agent: false,
          headers: {
            ...headers,
            ...(payload !== undefined
              ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  function browser(): AuthBrowser {
    const jar = new Map<string, string>();
    const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const keepCookies = (headers: http.IncomingHttpHeaders) => {
      for (const line of headers['set-cookie'] ?? []) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq).trim();
        const value = pair!.slice(eq + 1).trim();
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    };
    return {
      async visit(start, user, { deny = false } = {}) {
        let url = new URL(start);
        let method = 'GET';
        let body: URLSearchParams | undefined;
        for (let step = 0; step < 25; step++) {
          if (url.origin !== issuer) return { redirect: url };
          const res = await request(method, url, body, jar.size ? { Cookie: cookieHeader() } : {});
          keepCookies(res.headers);
          if (res.status >= 300 && res.status < 400 && res.headers.location) {
            url = new URL(res.headers.location, url);
            method = 'GET';
            body = undefined;
            continue;
          }
          if (res.status !== 200)
            throw new Error(
              `authorization server answered ${res.status} for ${url.pathname}: ${res.text.slice(0, 500)}`,
            );
          const forms = [...res.text.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
          const form = forms.find((f) => f[1]!.includes(`data-choice="${deny ? 'deny' : 'allow'}"`)) ?? forms[0];
          if (!form) return { page: res.text };
          const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(form[1]!)?.[1];
          const fields = new URLSearchParams();
          for (const input of form[2]!.matchAll(/<input\b([^>]*)>/g)) {
            const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
            const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
            if (name === 'login') fields.set(name, user.login);
            else if (name === 'password') fields.set(name, user.password);
            else if (name) fields.set(name, value.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
          }
          url = new URL(attr('action') ?? url.href, url);
          method = (attr('method') ?? 'get').toUpperCase();
          body = method === 'POST' ? fields : undefined;
          if (method === 'GET') for (const [k, v] of fields) url.searchParams.set(k, v);
        }
        throw new Error('the authorization server sent the browser round in circles');
      },
    };
  }

  async function endpointCall(pathname: string, form: Record<string, string>, auth?: string) {
    const headers: Record<string, string> = { [HARNESS_HEADER]: '1', ...(auth ? { Authorization: auth } : {}) };
    const res = await request('POST', new URL(pathname, issuer), new URLSearchParams(form), headers);
    return { status: res.status, json: res.text ? (JSON.parse(res.text) as Record<string, unknown>) : {} };
  }
  const dovecotAuth = `Basic ${Buffer.from(`dovecot:${dovecotSecret}`).toString('base64')}`;

  let closed: Promise<void> | undefined;
  return {
    issuer,
    port,
    clientId: CLIENT_ID,
    scopes: SCOPES,
    users: USERS,
    dovecotIntrospectionUrl: `https://dovecot:${dovecotSecret}@127.0.0.1:${port}/token/introspection`,
    requests,
    tokenRequests: (grantType) => requests.filter((r) => r.route === 'token' && r.grantType === grantType),
    setTokenEndpointFault(status) {
      tokenFault = status;
    },
    setAccessTokenTtl(seconds) {
      accessTokenTtl = seconds;
    },
    browser,
    async issueToken(user) {
      const client = await provider.Client.find(CLIENT_ID);
      const grant = new provider.Grant({ accountId: user, clientId: CLIENT_ID });
      grant.addOIDCScope('mail');
      const grantId = await grant.save();
      const token = new provider.AccessToken({
        accountId: user,
        client: client!,
        grantId,
        scope: 'mail',
        gty: 'authorization_code',
      });
      return token.save();
    },
    async dropAccessToken(token) {
      const found = await provider.AccessToken.find(token);
      if (!found) throw new Error('no such access token');
      await found.destroy();
    },
    async revoke(token, hint) {
      const res = await endpointCall('/token/revocation', {
        token,
        client_id: CLIENT_ID,
        ...(hint ? { token_type_hint: hint } : {}),
      });
      if (res.status !== 200) throw new Error(`revocation failed: ${res.status} ${JSON.stringify(res.json)}`);
    },
    tokenEndpoint: (form) => endpointCall('/token', { client_id: CLIENT_ID, ...form }),
    async introspect(token) {
      const res = await endpointCall('/token/introspection', { token }, dovecotAuth);
      return { active: res.json.active === true, ...(typeof res.json.sub === 'string' ? { sub: res.json.sub } : {}) };
    },
    sawToken: (token) =>
      requests.some((r) => r.route === 'introspection' && !r.fromHarness && r.params.token === token),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
