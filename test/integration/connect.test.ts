import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { ImapConnection } from '../../src/core/session/connection';
import { MailError } from '../../src/core/errors';
import { MemoryLogger, useServer } from './setup';

const ctx = useServer();

function connection(
  overrides: Parameters<typeof ctx.accountConfig>[1] = {},
  pass = ctx.server.users.alice.pass,
  logger = new MemoryLogger(),
) {
  return new ImapConnection({
    account: ctx.accountConfig('alice', overrides),
    passwords: async () => pass,
    logger,
    traceProtocol: true,
  });
}

async function expectError(conn: ImapConnection, kind: MailError['kind']): Promise<MailError> {
  try {
    await conn.connect();
  } catch (err) {
    assert.ok(err instanceof MailError, `not a MailError: ${err}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  } finally {
    await conn.dispose();
  }
  assert.fail(`expected a ${kind} error`);
}

test('logs in over implicit TLS and over STARTTLS, with verification on', async () => {
  for (const overrides of [{}, { security: 'starttls' as const, port: ctx.server.imapPort }]) {
    const conn = connection(overrides);
    const client = await conn.connect();
    assert.equal(client.secureConnection, true);
    assert.equal(conn.state.status, 'connected');
    assert.ok(conn.hasCapability('IDLE'));
    await conn.dispose();
    assert.equal(conn.state.status, 'closed');
  }
});

test('a wrong password is an auth error that names the user, never the password', async () => {
  const logger = new MemoryLogger();
  const err = await expectError(connection({}, 'not-the-Passw0rd', logger), 'auth');
  assert.match(err.message, /Wrong user name or password for alice/);
  assert.ok(!err.message.includes('not-the-Passw0rd'));
  assert.ok(!logger.text.includes('not-the-Passw0rd'), 'password leaked into the log');
  assert.ok(!logger.text.includes(Buffer.from('\0alice\0not-the-Passw0rd').toString('base64')));
});

test('the IMAP conversation is logged at trace level with the password masked', async () => {
  const logger = new MemoryLogger();
  const conn = connection({}, ctx.server.users.alice.pass, logger);
  await conn.connect();
  await conn.dispose();
  assert.match(logger.text, /LOGIN|AUTHENTICATE/, 'the login exchange is in the trace');
  assert.ok(!logger.text.includes(ctx.server.users.alice.pass), 'password leaked into the log');
});

test('an untrusted certificate is refused and its fingerprint shown', async () => {
  const err = await expectError(connection({ caFile: undefined }), 'certUntrusted');
  assert.match(err.message, /not trusted/);
  assert.ok(err.message.includes(ctx.server.fingerprint256), err.message);
  assert.equal(err.details.fingerprint256, ctx.server.fingerprint256);
});

test('a certificate for another host name is refused as a hostname mismatch', async () => {
  const err = await expectError(connection({ host: ctx.server.mismatchHost }), 'certHostname');
  assert.match(err.message, /issued for another name/);
  assert.ok(err.message.includes(ctx.server.fingerprint256), err.message);
});

test('connection refused, TLS on a plain port, and a server that never greets', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await expectError(connection({ port: closedPort }), 'connectionRefused');

  await expectError(connection({ port: ctx.server.imapPort }), 'tlsUnavailable');

  const silent: Server = createServer(() => {
    /* accept and say nothing */
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const started = Date.now();
  await expectError(connection({ port: (silent.address() as { port: number }).port, timeoutMs: 1000 }), 'timeout');
  assert.ok(Date.now() - started < 8000, 'gave up in bounded time');
  silent.close();
});

test('a server that requires TLS refuses a plaintext login with a clear error', async () => {
  const err = await expectError(
    connection({ host: ctx.server.insecureHost, port: ctx.server.imapPort, security: 'plain', allowPlaintext: true }),
    'tlsRequired',
  );
  assert.match(err.message, /refuses to log in without encryption/);
});

test('every reconnect builds a fresh ImapFlow instance', async () => {
  const conn = connection();
  const first = await conn.connect();
  first.close();
  await new Promise((r) => setTimeout(r, 50));
  const second = await conn.connect();
  assert.notEqual(first, second);
  assert.equal(conn.state.status, 'connected');
  await conn.dispose();
});
