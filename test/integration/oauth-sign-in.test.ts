// Built-in OAuth 2.0 sign-in against a real authorization server (oidc-provider, see
// test/harness/auth-server.ts) and the real Dovecot, whose oauth2 passdb asks that server to
// introspect every token. "The browser" is the harness's HTTP client: it logs in as alice on the
// server's pages, consents, and is sent to Mailroom's loopback redirect, which it then requests.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { MailAccount } from '../../src/core/session/mail-account';
import { type AccountConfig } from '../../src/core/session/account';
import { OAuth2TokenSource, type RefreshTokenStore } from '../../src/core/auth/token-source';
import { type BrowserSignInOptions, type DeviceCodePrompt, signInWithBrowser } from '../../src/core/auth/sign-in';
import { MailError } from '../../src/core/errors';
import { SecretRedactor } from '../../src/core/log';
import type { AuthServer } from '../harness/auth-server';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { assertNoSecret, MemoryLogger, useServer } from './setup';

const ctx = useServer({ oauth2: true });

/** SecretStorage stand-in: remembers what was saved, in order. */
class MemoryStore implements RefreshTokenStore {
  value: string | undefined;
  readonly saved: string[] = [];
  deleted = 0;
  async load() {
    return this.value;
  }
  async save(token: string) {
    this.value = token;
    this.saved.push(token);
  }
  async delete() {
    this.value = undefined;
    this.deleted++;
  }
}

/** GET of the loopback redirect, as the browser does it after the server sent it there. */
function follow(url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

interface Harness {
  server: TestServer;
  oauth: AuthServer;
  account: AccountConfig;
  store: MemoryStore;
  redactor: SecretRedactor;
  logger: MemoryLogger;
  tokens: OAuth2TokenSource;
  /** every URL the sign-in asked to open in the browser */
  opened: string[];
  /** a MailAccount on the token source (disposed after the test file), logging the IMAP conversation */
  mailAccount(): MailAccount;
}

const accounts: MailAccount[] = [];
after(async () => {
  for (const a of accounts) await a.dispose().catch(() => undefined);
});

function harness(server: TestServer = ctx.server): Harness {
  const oauth = server.oauth!;
  const account: AccountConfig = {
    name: `alice-oauth-${randomBytes(3).toString('hex')}`,
    host: server.host,
    port: server.imapsPort,
    security: 'tls',
    user: 'alice',
    caFile: server.caFile,
    auth: 'oauth2',
    oauth2: { issuer: oauth.issuer, clientId: oauth.clientId, scopes: oauth.scopes },
  };
  const store = new MemoryStore();
  const redactor = new SecretRedactor();
  const logger = new MemoryLogger();
  const tokens = new OAuth2TokenSource({ account, store, redactor, logger, ca: server.ca });
  const h: Harness = {
    server,
    oauth,
    account,
    store,
    redactor,
    logger,
    tokens,
    opened: [],
    mailAccount() {
      const m = new MailAccount({
        account,
        tokens,
        redactor,
        logger,
        traceProtocol: true,
        passwords: async () => assert.fail('an OAuth2 account must not ask for a password'),
      });
      accounts.push(m);
      return m;
    },
  };
  return h;
}

/** Browser options whose "browser" is the harness's: alice logs in, consents, and follows the redirect. */
function aliceBrowser(h: Harness, opts: { deny?: boolean; before?: (redirect: URL) => Promise<void> } = {}) {
  const pages: Array<{ status: number; body: string }> = [];
  const visits: Array<Promise<unknown>> = [];
  const browser: BrowserSignInOptions = {
    openBrowser: (url) => {
      h.opened.push(url);
      // Like a real browser: the sign-in waits for the redirect, not for this callback.
      visits.push(
        (async () => {
          const outcome = await h.oauth.browser().visit(url, h.oauth.users.alice, { deny: opts.deny ?? false });
          assert.ok(outcome.redirect, 'the server sent the browser back to the client');
          await opts.before?.(outcome.redirect);
          pages.push(await follow(outcome.redirect));
        })().catch((err) => pages.push({ status: -1, body: String(err) })),
      );
    },
  };
  /** Resolves once the browser has shown its last page. */
  const shown = async () => {
    await Promise.all(visits);
    return pages;
  };
  return { browser, shown };
}

/** Every token, code and verifier the server saw or issued in `h`'s exchanges. */
function secretsSeen(oauth: AuthServer): string[] {
  const out = new Set<string>();
  for (const r of oauth.requests) {
    if (r.fromHarness) continue;
    for (const key of ['code', 'code_verifier', 'refresh_token', 'device_code', 'token'])
      if (r.params[key]) out.add(r.params[key]!);
    for (const key of ['access_token', 'refresh_token', 'device_code'])
      if (typeof r.body[key] === 'string') out.add(r.body[key] as string);
  }
  return [...out];
}

function assertNoSecretsIn(text: string, oauth: AuthServer, where: string): void {
  const secrets = secretsSeen(oauth);
  assert.ok(secrets.length > 0, 'the test saw some secrets to look for');
  for (const s of secrets) assertNoSecret(text, s, where);
}

async function expectMailError(p: Promise<unknown>, kind: MailError['kind']): Promise<MailError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof MailError, `not a MailError: ${inspect(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} error`);
}

function lastIssued(oauth: AuthServer): { accessToken: string; refreshToken: string } {
  const r = oauth.requests.filter((q) => q.route === 'token' && q.status === 200).at(-1)!;
  return { accessToken: r.body.access_token as string, refreshToken: r.body.refresh_token as string };
}

test('signing in through the browser (authorization code + PKCE S256, loopback redirect) gives a token Dovecot accepts (OAUTHBEARER): the folders are listed', async () => {
  const h = harness();
  const { browser, shown } = aliceBrowser(h);
  const before = h.oauth.tokenRequests('authorization_code').length;
  const result = await h.tokens.signIn({ browser });
  assert.equal(result.persistent, true);
  const pages = await shown();

  assert.equal(h.opened.length, 1, 'one browser window');
  const url = new URL(h.opened[0]!);
  assert.equal(`${url.origin}${url.pathname}`, `${h.oauth.issuer}/auth`);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.match(
    url.searchParams.get('redirect_uri') ?? '',
    /^http:\/\/127\.0\.0\.1:\d+\/$/,
    'a loopback IP literal with the port the system picked',
  );
  assert.ok((url.searchParams.get('state') ?? '').length >= 32);
  assert.equal(url.searchParams.get('scope'), 'mail offline_access');
  assert.equal(url.searchParams.get('login_hint'), 'alice');

  assert.deepEqual(
    pages.map((p) => p.status),
    [200],
  );
  assert.match(pages[0]!.body, /Signed in/);
  const exchange = h.oauth.tokenRequests('authorization_code').slice(before);
  assert.equal(exchange.length, 1);
  assert.equal(exchange[0]!.status, 200);
  assert.equal(exchange[0]!.params.redirect_uri, url.searchParams.get('redirect_uri'));
  assert.deepEqual(h.store.saved, [exchange[0]!.body.refresh_token], 'the refresh token went to the store');

  const boxes = (await h.mailAccount().listMailboxes()).map((b) => b.path);
  assert.ok(boxes.includes('INBOX') && boxes.includes('Projects/Mailroom'), boxes.join(', '));
  assert.ok(h.oauth.sawToken(exchange[0]!.body.access_token as string), 'Dovecot introspected the token');
  assert.match(h.server.logTail(), /Login: user=<alice>, method=OAUTHBEARER/);
  assert.match(h.logger.text, /AUTHENTICATE OAUTHBEARER/, 'the login exchange is in the trace');
  assertNoSecretsIn(h.logger.text, h.oauth, 'the log');
});

test('a provider that registers http://localhost (the Microsoft and Fastmail presets) gets a localhost redirect, and the sign-in completes', async () => {
  const h = harness();
  const server = { ...(await h.tokens.authorizationServer()), loopbackHost: 'localhost' as const };
  const { browser, shown } = aliceBrowser(h);
  const tokens = await signInWithBrowser(server, h.redactor, 'alice', browser);
  assert.match(new URL(h.opened[0]!).searchParams.get('redirect_uri') ?? '', /^http:\/\/localhost:\d+\/$/);
  assert.equal((await shown())[0]!.status, 200);
  assert.equal((await h.oauth.introspect(tokens.accessToken)).active, true);
});

test('in a remote window the redirect URI can be mapped (asExternalUri): the mapped URI is the one both requests carry', async () => {
  const h = harness();
  const mapped: string[] = [];
  const { browser, shown } = aliceBrowser(h);
  await h.tokens.signIn({
    browser: {
      ...browser,
      // A port forwarder would hand out another origin; here localhost reaches the same listener.
      externalRedirectUri: (local) => {
        const external = local.replace('http://127.0.0.1:', 'http://localhost:');
        mapped.push(local, external);
        return external;
      },
    },
  });
  assert.equal((await shown())[0]!.status, 200);
  assert.equal(new URL(h.opened[0]!).searchParams.get('redirect_uri'), mapped[1]);
  assert.equal(h.oauth.tokenRequests('authorization_code').at(-1)!.params.redirect_uri, mapped[1]);
});

test("the token endpoint verifies PKCE: the code Mailroom received is refused with a wrong verifier or none, then redeemed with Mailroom's", async () => {
  const h = harness();
  const refusals: Array<{ status: number; error: unknown }> = [];
  const { browser, shown } = aliceBrowser(h, {
    before: async (redirect) => {
      const code = redirect.searchParams.get('code')!;
      const redirectUri = `${redirect.origin}/`;
      for (const verifier of [randomBytes(32).toString('base64url'), undefined]) {
        const res = await h.oauth.tokenEndpoint({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          ...(verifier ? { code_verifier: verifier } : {}),
        });
        refusals.push({ status: res.status, error: res.json.error });
      }
    },
  });
  await h.tokens.signIn({ browser });
  const pages = await shown();
  assert.deepEqual(refusals, [
    { status: 400, error: 'invalid_grant' },
    { status: 400, error: 'invalid_grant' },
  ]);
  assert.equal(pages[0]!.status, 200, 'the same code was then redeemed by Mailroom');
  const ok = h.oauth
    .tokenRequests('authorization_code')
    .filter((r) => r.status === 200)
    .at(-1)!;
  assert.match(ok.params.code_verifier ?? '', /^[A-Za-z0-9._~-]{43,128}$/);
  await h.mailAccount().connect();
});

test('a redirect carrying another state is refused: the page says so, the code is not redeemed, and the real redirect still completes the sign-in', async () => {
  const h = harness();
  let forged: { status: number; body: string } | undefined;
  let exchangesBeforeReal = -1;
  const { browser, shown } = aliceBrowser(h, {
    before: async (redirect) => {
      const wrong = new URL(redirect);
      wrong.searchParams.set('state', randomBytes(32).toString('base64url'));
      forged = await follow(wrong);
      const noState = new URL(redirect);
      noState.searchParams.delete('state');
      assert.equal((await follow(noState)).status, 400);
      exchangesBeforeReal = h.oauth.tokenRequests('authorization_code').length;
    },
  });
  const before = h.oauth.tokenRequests('authorization_code').length;
  await h.tokens.signIn({ browser });
  const pages = await shown();
  assert.equal(forged?.status, 400);
  assert.match(forged!.body, /does not belong to the sign-in/);
  assert.doesNotMatch(forged!.body, /<script|href=|src=/i, 'the refusal page is inert');
  assert.equal(exchangesBeforeReal, before, 'nothing was sent to the token endpoint for the forged redirects');
  assert.equal(pages[0]!.status, 200);
  assert.equal(h.oauth.tokenRequests('authorization_code').length, before + 1);
  await h.mailAccount().connect();
});

test('an access token past its lifetime is refreshed before use: the next connection logs in with a new token, without the browser, and the rotated refresh token is stored', async (t) => {
  const h = harness();
  h.oauth.setAccessTokenTtl(2);
  t.after(() => h.oauth.setAccessTokenTtl(3600));
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  const first = lastIssued(h.oauth);
  const refreshesBefore = h.oauth.tokenRequests('refresh_token').length;
  await h.mailAccount().connect();
  assert.equal(h.oauth.tokenRequests('refresh_token').length, refreshesBefore, 'a fresh token is used as it is');

  // Wait until the server itself no longer accepts the first token.
  for (let i = 0; i < 50 && (await h.oauth.introspect(first.accessToken)).active; i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.equal(
    (await h.oauth.introspect(first.accessToken)).active,
    false,
    'the first access token expired at the server',
  );

  const failedLoginsBefore = (h.server.logTail(100_000).match(/auth failed/g) ?? []).length;
  await h.mailAccount().connect();
  const refreshes = h.oauth.tokenRequests('refresh_token').slice(refreshesBefore);
  assert.equal(refreshes.length, 1, 'one refresh');
  assert.equal(refreshes[0]!.status, 200);
  assert.equal(refreshes[0]!.params.refresh_token, first.refreshToken);
  assert.ok(h.oauth.sawToken(refreshes[0]!.body.access_token as string), 'the new token is the one Dovecot saw');
  assert.equal(
    (h.server.logTail(100_000).match(/auth failed/g) ?? []).length,
    failedLoginsBefore,
    'refreshed before use: no refused login',
  );
  assert.equal(h.opened.length, 1, 'no second browser window');
  assert.deepEqual(
    h.store.saved,
    [first.refreshToken, refreshes[0]!.body.refresh_token],
    'the rotated refresh token replaced the first',
  );
  assertNoSecretsIn(h.logger.text, h.oauth, 'the log');
});

test('connections that need a new token at the same time share one refresh (a rotated refresh token presented twice would revoke the sign-in)', async (t) => {
  const h = harness();
  h.oauth.setAccessTokenTtl(1);
  t.after(() => h.oauth.setAccessTokenTtl(3600));
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  const first = lastIssued(h.oauth);
  for (let i = 0; i < 50 && (await h.oauth.introspect(first.accessToken)).active; i++)
    await new Promise((r) => setTimeout(r, 100));
  const refreshesBefore = h.oauth.tokenRequests('refresh_token').length;
  await Promise.all([h.mailAccount(), h.mailAccount(), h.mailAccount()].map((m) => m.connect()));
  assert.equal(h.oauth.tokenRequests('refresh_token').length - refreshesBefore, 1);
  assert.equal(h.opened.length, 1);
});

test('an access token the server stops accepting early is refreshed once after AUTHENTICATIONFAILED, and the login then succeeds', async () => {
  const h = harness();
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  const first = lastIssued(h.oauth);
  await h.oauth.dropAccessToken(first.accessToken);
  const refreshesBefore = h.oauth.tokenRequests('refresh_token').length;

  const boxes = await h.mailAccount().listMailboxes();
  assert.ok(boxes.some((b) => b.path === 'INBOX'));
  const refreshes = h.oauth.tokenRequests('refresh_token').slice(refreshesBefore);
  assert.equal(refreshes.length, 1, 'exactly one refresh');
  assert.ok(h.oauth.sawToken(first.accessToken), 'Dovecot was first shown the dropped token');
  assert.ok(h.oauth.sawToken(refreshes[0]!.body.access_token as string), 'then the refreshed one');
  assert.match(h.logger.text, /refused the access token; refreshing it once/);
  assert.equal(h.opened.length, 1, 'no browser');
  assertNoSecretsIn(h.logger.text, h.oauth, 'the log');
});

test('a revoked refresh token ends in "Sign in again" (signInRequired): no browser, no loop, the dead token is deleted, and connecting again says the same without asking the server', async () => {
  const h = harness();
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  const issued = lastIssued(h.oauth);
  await h.oauth.revoke(issued.refreshToken, 'refresh_token'); // every token of the grant, the access token too
  const account = h.mailAccount();
  const err = await expectMailError(account.connect(), 'signInRequired');
  assert.match(err.message, /^Sign in again to alice-oauth-/);
  assert.equal(err.details.reason, 'revoked');
  assert.equal(account.state.status, 'failed', 'not retried in the background');
  assert.equal(h.opened.length, 1, 'the browser was not opened again');
  assert.equal(h.store.value, undefined, 'the refused refresh token is gone from the store');
  const refreshes = h.oauth.tokenRequests('refresh_token');
  assert.equal(refreshes.at(-1)!.body.error, 'invalid_grant');
  const requestsBefore = h.oauth.requests.length;

  const again = await expectMailError(h.mailAccount().connect(), 'signInRequired');
  assert.equal(again.details.reason, 'missing');
  assert.equal(h.oauth.requests.length, requestsBefore, 'nothing more was asked of the authorization server');
  assert.equal(h.opened.length, 1);
  for (const e of [err, again]) assertNoSecretsIn(`${e.message}\n${inspect(e, { depth: 10 })}`, h.oauth, 'the error');
  assertNoSecretsIn(h.logger.text, h.oauth, 'the log');

  // Signing in again (an explicit user action) brings the account back.
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  await h.mailAccount().connect();
  assert.equal(h.opened.length, 2);
});

test('a token endpoint that is down (HTTP 503) is a transient failure: the refresh token is kept, and the next attempt signs in silently', async (t) => {
  const h = harness();
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  const issued = lastIssued(h.oauth);
  await h.oauth.dropAccessToken(issued.accessToken);
  h.oauth.setTokenEndpointFault(503);
  t.after(() => h.oauth.setTokenEndpointFault(undefined));
  const err = await expectMailError(h.mailAccount().connect(), 'connectionLost');
  assert.equal(err.transient, true, 'a watcher connection would retry with backoff');
  assert.match(err.message, /not available right now \(HTTP 503\)/);
  assert.equal(h.store.value, issued.refreshToken, 'the sign-in is kept');

  h.oauth.setTokenEndpointFault(undefined);
  await h.mailAccount().connect();
  assert.equal(h.opened.length, 1);
});

test('an account that never signed in does not connect and says to sign in; nothing is sent anywhere', async () => {
  const h = harness();
  const before = h.oauth.requests.length;
  const err = await expectMailError(h.mailAccount().connect(), 'signInRequired');
  assert.equal(err.details.reason, 'missing');
  assert.equal(h.oauth.requests.length, before);
  assert.equal(h.opened.length, 0);
});

test("a declined consent ends the sign-in with the server's refusal; the browser page says it failed and nothing is stored", async () => {
  const h = harness();
  const { browser, shown } = aliceBrowser(h, { deny: true });
  const err = await expectMailError(h.tokens.signIn({ browser }), 'oauthToken');
  const pages = await shown();
  assert.match(err.message, /access_denied/);
  assert.equal(pages[0]!.status, 400);
  assert.match(pages[0]!.body, /could not complete the sign-in/);
  assert.deepEqual(h.store.saved, []);
});

test('a sign-in that is not completed in time, or is cancelled, fails clearly and closes the loopback listener', async () => {
  const h = harness();
  let redirect: URL | undefined;
  const idle: BrowserSignInOptions = {
    openBrowser: (url) => {
      redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
    },
  };
  const timedOut = await expectMailError(h.tokens.signIn({ browser: { ...idle, timeoutMs: 300 } }), 'timeout');
  assert.match(timedOut.message, /not completed within/);
  await assert.rejects(
    follow(redirect!),
    (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
    'the listener is closed',
  );

  const controller = new AbortController();
  const cancelled = h.tokens.signIn({
    browser: {
      ...idle,
      signal: controller.signal,
      openBrowser: (url) => {
        idle.openBrowser(url);
        controller.abort();
      },
    },
  });
  const err = await expectMailError(cancelled, 'oauthToken');
  assert.equal(err.details.cancelled, true);
  await assert.rejects(follow(redirect!), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  assert.deepEqual(h.store.saved, []);
});

test("the device authorization grant: the code is shown, the user enters it on the server's page, and the account connects", async () => {
  const h = harness();
  assert.equal(await h.tokens.supportsDeviceCode(), true);
  const prompts: DeviceCodePrompt[] = [];
  let page: string | undefined;
  await h.tokens.signIn({
    deviceCode: {
      showUserCode: (prompt) => {
        prompts.push(prompt);
        void h.oauth
          .browser()
          .visit(prompt.verificationUriComplete!, h.oauth.users.alice)
          .then((o) => {
            page = o.page;
          });
      },
    },
  });
  assert.equal(prompts.length, 1);
  assert.equal(prompts[0]!.verificationUri, `${h.oauth.issuer}/device`);
  assert.match(prompts[0]!.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
  assert.ok(prompts[0]!.expiresAt > Date.now());
  assert.match(page ?? '', /Signed in/);
  assert.equal(h.opened.length, 0, 'no browser was opened by Mailroom');
  assert.equal(h.store.saved.length, 1);
  const boxes = await h.mailAccount().listMailboxes();
  assert.ok(boxes.some((b) => b.path === 'INBOX'));
  assert.ok(
    h.oauth.requests.some(
      (r) => r.route === 'token' && r.grantType === 'urn:ietf:params:oauth:grant-type:device_code' && r.status === 200,
    ),
  );
  assertNoSecretsIn(h.logger.text, h.oauth, 'the log');
});

// imapflow prefers OAUTHBEARER (test 1); a server that offers only XOAUTH2 covers the other path.
let xoauth: TestServer | undefined;
before(async () => {
  xoauth = await startDovecot({ oauth2: { mechanisms: ['xoauth2'] } });
});
after(async () => {
  await xoauth?.dispose();
});

test('XOAUTH2 (a server without OAUTHBEARER): the signed-in token logs in, and a refused one is refreshed once there too', async () => {
  const h = harness(xoauth!);
  await h.tokens.signIn({ browser: aliceBrowser(h).browser });
  await h.mailAccount().connect();
  assert.match(xoauth!.logTail(), /Login: user=<alice>, method=XOAUTH2/);
  assert.match(h.logger.text, /AUTHENTICATE XOAUTH2/);

  await h.oauth.dropAccessToken(lastIssued(h.oauth).accessToken);
  const refreshesBefore = h.oauth.tokenRequests('refresh_token').length;
  await h.mailAccount().connect();
  assert.equal(h.oauth.tokenRequests('refresh_token').length - refreshesBefore, 1);
  assertNoSecretsIn(h.logger.text, h.oauth, 'the log');
});
