// OAuth2 login with a token printed by oauth2TokenCommand, against the real Dovecot: its oauth2
// passdb asks the harness's authorization server (test/harness/auth-server.ts) to introspect every
// token, so a login only succeeds if the core really sent the token the command printed, and a
// refused token comes back as an `auth` MailError without the token (or any SASL/base64 form of
// it) in the message or the log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import type { AccountConfig } from '../../src/core/session/account';
import { ImapConnection } from '../../src/core/session/connection';
import { MailError } from '../../src/core/errors';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { assertNoSecret, MemoryLogger, useServer } from './setup';

const ctx = useServer({ oauth2: true });

const tokenCommand = (token: string) => `printf '%s\\n' '${token}'`;
const noPassword = async (): Promise<string> => assert.fail('an OAuth2 account must not ask for a password');

/** An OAuth2 MailAccount for alice that logs the IMAP conversation into `logger`. */
function oauthAccount(command: string, logger: MemoryLogger, user: 'alice' | 'bob' = 'alice') {
  return ctx.mailAccount(user, { oauth2TokenCommand: command }, { logger, traceProtocol: true, passwords: noPassword });
}

function assertNoToken(text: string, token: string, where: string): void {
  assertNoSecret(text, token, where);
}

/** The exact SASL payloads imapflow sends, base64: belt and braces on top of tokenForms(). */
function saslPayloads(user: string, token: string, port: number): string[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    b64(`n,a=${user},\x01host=127.0.0.1\x01port=${port}\x01auth=Bearer ${token}\x01\x01`),
    b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`),
  ];
}

async function expectError(connect: () => Promise<unknown>, kind: MailError['kind']): Promise<MailError> {
  try {
    await connect();
  } catch (err) {
    assert.ok(err instanceof MailError, `not a MailError: ${inspect(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} error`);
}

test('a token printed by oauth2TokenCommand logs in (OAUTHBEARER) and the server checked it', async () => {
  const oauth = ctx.server.oauth!;
  const token = await oauth.issueToken('alice');
  const logger = new MemoryLogger();
  const account = oauthAccount(tokenCommand(token), logger);
  const boxes = await account.listMailboxes();
  const paths = boxes.map((b) => b.path);
  assert.ok(paths.includes('INBOX') && paths.includes('Projects/Mailroom'), paths.join(', '));

  const seen = oauth.requests.filter((r) => r.route === 'introspection' && r.params.token === token);
  assert.ok(seen.length >= 1, 'Dovecot asked the introspection endpoint about the token');
  assert.equal(seen[0]!.status, 200);
  assert.equal(seen[0]!.body.active, true);
  assert.equal(seen[0]!.body.sub, 'alice');
  assert.match(ctx.server.logTail(), /Login: user=<alice>, method=OAUTHBEARER/);

  assert.match(logger.text, /AUTHENTICATE OAUTHBEARER/, 'the login exchange is in the trace');
  assertNoToken(logger.text, token, 'the log');
  for (const p of saslPayloads('alice', token, ctx.server.imapsPort)) assert.ok(!logger.text.includes(p));
});

test('password logins still work on the OAuth2-enabled server', async () => {
  const boxes = await ctx.mailAccount('bob').listMailboxes();
  assert.ok(boxes.some((b) => b.path === 'INBOX'));
  assert.match(ctx.server.logTail(), /Login: user=<bob>, method=PLAIN/);
});

test("an unknown, a revoked (expired) or another user's token is an auth error that never shows the token", async () => {
  const oauth = ctx.server.oauth!;
  const revoked = await oauth.issueToken('alice');
  await oauth.revoke(revoked, 'access_token');
  const cases: Array<[string, string]> = [
    ['unknown', randomBytes(32).toString('base64url')],
    ['revoked', revoked],
    ["bob's", await oauth.issueToken('bob')],
  ];
  for (const [label, token] of cases) {
    const logger = new MemoryLogger();
    const account = oauthAccount(tokenCommand(token), logger);
    const err = await expectError(() => account.connect(), 'auth');
    assert.match(
      err.message,
      /rejected the OAuth2 access token for alice/,
      `${label}: the message says the token was refused`,
    );
    assert.ok(oauth.sawToken(token), `${label}: the server really asked about the token`);
    assertNoToken(err.message, token, `${label}: the error message`);
    // The extension may log the whole error, causes included (imapflow's error is the cause).
    assertNoToken(inspect(err, { depth: 10 }), token, `${label}: the error with its causes`);
    assertNoToken(logger.text, token, `${label}: the log`);
    for (const p of saslPayloads('alice', token, ctx.server.imapsPort)) {
      assert.ok(!logger.text.includes(p) && !err.message.includes(p), `${label}: SASL payload leaked`);
    }
    assert.match(logger.text, /AUTHENTICATE OAUTHBEARER/, `${label}: the login exchange is in the trace`);
    assert.equal(account.state.status, 'failed');
  }
  assert.match(ctx.server.logTail(), /Username 'alice' did not match 'bob'/);
});

test('a token command that fails or prints nothing is an oauthToken error, and nothing is sent', async () => {
  const before = ctx.server.oauth!.requests.filter((r) => r.route === 'introspection').length;
  const failing = await expectError(() => oauthAccount('exit 3', new MemoryLogger()).connect(), 'oauthToken');
  assert.match(failing.message, /token command failed \(exit code 3\)/);
  const silent = await expectError(() => oauthAccount('true', new MemoryLogger()).connect(), 'oauthToken');
  assert.match(silent.message, /printed no token/);
  assert.equal(
    ctx.server.oauth!.requests.filter((r) => r.route === 'introspection').length,
    before,
    'no token reached the server',
  );
});

// imapflow prefers OAUTHBEARER; a second server that offers only XOAUTH2 covers the other path.
let xoauth: TestServer | undefined;
before(async () => {
  xoauth = await startDovecot({ oauth2: { mechanisms: ['xoauth2'] } });
});
after(async () => {
  await xoauth?.dispose();
});

test('XOAUTH2 (when OAUTHBEARER is not offered): a good token logs in, a bad one is an auth error', async () => {
  const s = xoauth!;
  const connection = (token: string, logger: MemoryLogger) => {
    const account: AccountConfig = {
      name: 'alice-xoauth2',
      host: s.host,
      port: s.imapsPort,
      security: 'tls',
      user: 'alice',
      caFile: s.caFile,
      oauth2TokenCommand: tokenCommand(token),
    };
    return new ImapConnection({ account, passwords: noPassword, logger, traceProtocol: true });
  };

  const good = await s.oauth!.issueToken('alice');
  const logger = new MemoryLogger();
  const conn = connection(good, logger);
  try {
    await conn.connect();
    assert.equal(conn.state.status, 'connected');
  } finally {
    await conn.dispose();
  }
  assert.ok(s.oauth!.sawToken(good));
  assert.match(s.logTail(), /Login: user=<alice>, method=XOAUTH2/);
  assert.match(logger.text, /AUTHENTICATE XOAUTH2/);
  assertNoToken(logger.text, good, 'the log');

  const bad = randomBytes(32).toString('base64url');
  const badLogger = new MemoryLogger();
  const badConn = connection(bad, badLogger);
  try {
    const err = await expectError(() => badConn.connect(), 'auth');
    assert.ok(s.oauth!.sawToken(bad));
    assertNoToken(err.message, bad, 'the error message');
    assertNoToken(badLogger.text, bad, 'the log');
    for (const p of saslPayloads('alice', bad, s.imapsPort)) assert.ok(!badLogger.text.includes(p));
  } finally {
    await badConn.dispose();
  }
});
