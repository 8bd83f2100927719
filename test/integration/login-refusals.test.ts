// What a refused login means. Only a server that says the credentials are wrong makes Mailroom
// forget a saved password (the model deletes it on an `auth` error, and only then); a connection
// limit or a server that cannot log anyone in right now is a transient refusal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticationFailure } from 'imapflow';
import { classifyError, isAuthenticationFailure } from '../../src/core/session/classify';
import { MailError } from '../../src/core/errors';
import { nextEvent } from '../../src/core/events';
import { LiveUpdates } from '../../src/core/sync/live';
import { MemoryLogger, useServer } from './setup';

// Two sessions per user and IP: the third login of alice from 127.0.0.1 gets NO [LIMIT].
const ctx = useServer({ maxUserIpConnections: 2 });

async function loginError(account: ReturnType<typeof ctx.mailAccount>): Promise<MailError> {
  try {
    await account.connect();
  } catch (err) {
    assert.ok(err instanceof MailError, `not a MailError: ${err}`);
    return err;
  }
  assert.fail('the login should have been refused');
}

test('a connection limit ([LIMIT]) is a transient refusal that says so, never a wrong password', async () => {
  const first = await ctx.otherClient('alice');
  const second = await ctx.otherClient('alice');
  const err = await loginError(ctx.mailAccount('alice'));
  assert.equal(err.kind, 'serverUnavailable', err.message);
  assert.equal(err.transient, true);
  assert.equal(err.needsUser, false);
  assert.equal(err.details.code, 'LIMIT');
  assert.match(err.message, /too many connections/);
  assert.match(err.message, /mail_max_userip_connections=2/, "the server's own words are kept");
  assert.match(err.message, /not the problem/);

  await first.logout();
  await second.logout();
  const account = ctx.mailAccount('alice');
  // Dovecot counts a session until its imap process has gone, a moment after LOGOUT.
  for (const deadline = Date.now() + 5000; ;) {
    const e = await account.connect().then(
      () => undefined,
      (x: unknown) => x as MailError,
    );
    if (!e) break;
    assert.equal(e.kind, 'serverUnavailable', e.message);
    if (Date.now() > deadline) assert.fail('no slot freed up');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(account.state.status, 'connected', 'the same password logs in once a slot is free');
  await account.dispose();
});

test(
  'live updates refused by the connection limit keep trying and start once a slot is free',
  { timeout: 30_000 },
  async () => {
    const account = ctx.mailAccount('alice', {}, { backoff: { baseMs: 100, maxMs: 400 } });
    await account.connect();
    const blocker = await ctx.otherClient('alice'); // with the command connection: 2 of 2
    const live = new LiveUpdates(account, new MemoryLogger());
    try {
      const paused = nextEvent(live.onDidChangeState, (e) => e.state.status === 'reconnecting');
      live.watch(['INBOX']);
      const { state } = await paused;
      assert.equal(state.status === 'reconnecting' && state.error.kind, 'serverUnavailable');
      await blocker.logout();
      await nextEvent(live.onDidChangeState, (e) => e.state.status === 'live', 10_000);
    } finally {
      live.dispose();
    }
  },
);

test('a password changed on the server while connected: the session goes on, the next login is a wrong password', async () => {
  const account = ctx.mailAccount('bob');
  await account.listMailboxes();
  await ctx.server.setPassword('bob', 'changed-elsewhere');
  try {
    assert.ok(
      (await account.listMailboxes()).some((m) => m.path === 'INBOX'),
      'a logged-in session is not affected',
    );
    // A second connection of the same account logs in again, with the saved (now old) password.
    const err = await account.watch('INBOX').then(
      () => assert.fail('the old password logged in'),
      (e: unknown) => e as MailError,
    );
    assert.ok(err instanceof MailError);
    assert.equal(err.kind, 'auth', err.message);
    assert.equal(err.needsUser, true);
    assert.match(err.message, /Wrong user name or password for bob/);
  } finally {
    await ctx.server.setPassword('bob', 'bobpw');
  }
});

test('every response code of a refused login is read as RFC 5530 means it', async () => {
  const account = ctx.accountConfig('alice');
  const refusal = (code: string | undefined, responseText: string) =>
    classifyError(
      Object.assign(new Error('Command failed'), {
        authenticationFailed: true,
        responseStatus: 'NO',
        responseText,
        ...(code ? { serverResponseCode: code } : {}),
      }),
      account,
      { probe: false },
    );
  const cases: Array<[string | undefined, string, MailError['kind']]> = [
    ['AUTHENTICATIONFAILED', 'Authentication failed.', 'auth'],
    ['AUTHORIZATIONFAILED', 'Not allowed to log in as this user.', 'auth'],
    [undefined, 'LOGIN failed.', 'auth'],
    ['ALERT', 'Invalid credentials (Failure)', 'auth'],
    ['LIMIT', 'Maximum number of connections from user+IP exceeded', 'serverUnavailable'],
    // Gmail's connection limit comes as an ALERT.
    ['ALERT', 'Too many simultaneous connections. (Failure)', 'serverUnavailable'],
    ['UNAVAILABLE', 'Temporary authentication failure.', 'serverUnavailable'],
    ['INUSE', 'Mailbox is locked by another session.', 'serverUnavailable'],
    ['SERVERBUG', 'Internal error occurred. Refer to server log for more information.', 'serverUnavailable'],
    ['EXPIRED', 'Password expired.', 'server'],
    ['CONTACTADMIN', 'Account disabled.', 'server'],
  ];
  for (const [code, text, kind] of cases) {
    const err = await refusal(code, text);
    assert.equal(err.kind, kind, `${code ?? '(no code)'} ${text} → ${err.kind}: ${err.message}`);
    assert.ok(err.message.includes(text), "the server's reason is shown");
  }
  // A token command account reads the codes the same way.
  const oauth = { ...account, oauth2TokenCommand: 'true' };
  const limited = await classifyError(
    Object.assign(new Error('x'), {
      authenticationFailed: true,
      serverResponseCode: 'LIMIT',
      responseText: 'Too many',
    }),
    oauth,
    { probe: false },
  );
  assert.equal(limited.kind, 'serverUnavailable');
  const rejected = await classifyError(
    Object.assign(new Error('x'), { authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' }),
    oauth,
    { probe: false },
  );
  assert.equal(rejected.kind, 'auth');
  assert.equal(rejected.details.oauth, true);
});

test('a session that ended before its login (imapflow: "Already logged out") is a lost connection, never a wrong password', async () => {
  // What imapflow throws when a BYE (a server shutting down) ended the session between the
  // greeting and LOGIN: its own AuthenticationFailure, without any answer from the server.
  const err = await classifyError(new AuthenticationFailure('Already logged out'), ctx.accountConfig('alice'), {
    probe: false,
  });
  assert.equal(err.kind, 'connectionLost', err.message);
  assert.equal(err.needsUser, false, 'a connection that keeps itself alive tries again');
  assert.equal(isAuthenticationFailure(new AuthenticationFailure('Already logged out')), false, 'no token refresh');
  // The same class with the server's NO is a refusal.
  const refused = Object.assign(new AuthenticationFailure('Authentication failed'), { responseStatus: 'NO' });
  assert.equal((await classifyError(refused, ctx.accountConfig('alice'), { probe: false })).kind, 'auth');
});
