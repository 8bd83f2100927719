// Add Account's Test Connection against the real Dovecot and Postfix: IMAP and SMTP are tested
// together and the outcome says which part failed and why; a certificate without its CA is told
// apart (the "Choose CA File…" case) and passes once the CA file is given.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { needsCaFile, passed, describeResult, testConnection } from '../../src/core/setup/test-connection';
import type { AccountConfig } from '../../src/core/session/account';
import { useSubmission } from './compose-setup';
import { assertNoSecret, MemoryLogger } from './setup';

const ctx = useSubmission();
before(() => ctx.submissionReady);

function account(overrides: Partial<AccountConfig> = {}): AccountConfig {
  return {
    ...ctx.accountConfig('alice'),
    smtp: { host: ctx.postfix.host, port: ctx.postfix.smtpsPort, security: 'tls' },
    ...overrides,
  };
}

test('IMAP and SMTP (implicit TLS and STARTTLS) both pass with the right password', async () => {
  const pass = ctx.server.users.alice.pass;
  for (const smtp of [
    { host: ctx.postfix.host, port: ctx.postfix.smtpsPort, security: 'tls' as const },
    { host: ctx.postfix.host, port: ctx.postfix.submissionPort, security: 'starttls' as const },
  ]) {
    const logger = new MemoryLogger();
    const config = account({ smtp });
    const result = await testConnection(config, { password: pass }, { logger });
    assert.deepEqual(result, { imap: { ok: true }, smtp: { ok: true } }, describeResult(config, result).join(' '));
    assert.ok(passed(result));
    assertNoSecret(logger.lines.join('\n'), pass, 'the test log');
  }
});

test('a wrong SMTP password fails SMTP only, and says so', async () => {
  const config = account({
    smtp: { host: ctx.postfix.host, port: ctx.postfix.smtpsPort, security: 'tls', user: ctx.server.users.bob.user },
  });
  const result = await testConnection(
    config,
    { password: ctx.server.users.alice.pass, smtpPassword: 'not-bobs-password' },
    { logger: new MemoryLogger() },
  );
  assert.deepEqual(result.imap, { ok: true });
  assert.ok(result.smtp && !result.smtp.ok);
  assert.equal(result.smtp.error.kind, 'auth');
  const [imapLine, smtpLine] = describeResult(config, result);
  assert.match(imapLine!, /^IMAP \(127\.0\.0\.1:\d+\): OK\.$/);
  assert.match(smtpLine!, /^SMTP \(127\.0\.0\.1:\d+\) failed: /);
  assert.ok(!passed(result));
  assert.ok(!needsCaFile(result));
});

test('a wrong IMAP password fails both (same credentials), each with its own message', async () => {
  const result = await testConnection(account(), { password: 'wrong' }, { logger: new MemoryLogger() });
  assert.ok(!result.imap.ok && result.imap.error.kind === 'auth');
  assert.ok(result.smtp && !result.smtp.ok && result.smtp.error.kind === 'auth');
});

test('a certificate signed by an unknown CA is refused by both until the CA file is chosen', async () => {
  const withoutCa = account();
  delete withoutCa.caFile;
  const pass = ctx.server.users.alice.pass;
  const refused = await testConnection(withoutCa, { password: pass }, { logger: new MemoryLogger() });
  assert.ok(!refused.imap.ok && refused.imap.error.kind === 'certUntrusted', JSON.stringify(refused.imap));
  assert.ok(refused.smtp && !refused.smtp.ok && refused.smtp.error.kind === 'certUntrusted');
  assert.ok(needsCaFile(refused));
  const trusted = await testConnection(
    { ...withoutCa, caFile: ctx.server.caFile },
    { password: pass },
    { logger: new MemoryLogger() },
  );
  assert.ok(passed(trusted), describeResult(withoutCa, trusted).join(' '));
});

test('an account without SMTP is tested on IMAP only', async () => {
  const config = account();
  delete config.smtp;
  const result = await testConnection(
    config,
    { password: ctx.server.users.alice.pass },
    { logger: new MemoryLogger() },
  );
  assert.deepEqual(result, { imap: { ok: true } });
});
