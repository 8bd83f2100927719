// Add Account's questions, suggestions and result, without VS Code (src/core/setup).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountFrom, answer, type Answers, defaults, stepsFor } from '../../src/core/setup/add-account';
import { accountEntry, uniqueAccountName } from '../../src/core/setup/account-entry';
import { isThisMachine } from '../../src/core/setup/local-host';
import { suggestServers } from '../../src/core/setup/providers';
import { remoteFallback, usableMappedRedirect } from '../../src/core/setup/sign-in-route';
import { validateAccount } from '../../src/core/session/account';

test('a password account is asked for server, security, port, user, password and SMTP: the counter counts every step', () => {
  const a: Answers = { email: 'ann@example.org', method: 'password' };
  assert.deepEqual(stepsFor(a), [
    'email',
    'method',
    'host',
    'security',
    'port',
    'user',
    'password',
    'smtpHost',
    'smtpSecurity',
    'smtpPort',
    'smtpUser',
  ]);
});

test('no SMTP server skips the SMTP questions; an SMTP user of its own adds its password', () => {
  const base: Answers = { email: 'ann@example.org', method: 'password' };
  assert.deepEqual(stepsFor({ ...base, smtpHost: '' }).slice(-2), ['password', 'smtpHost']);
  assert.equal(stepsFor({ ...base, smtpUser: 'relay-ann' }).at(-1), 'smtpPassword');
  assert.notEqual(stepsFor({ ...base, smtpUser: 'ann@example.org' }).at(-1), 'smtpPassword');
});

test('a provider with a sign-in preset asks only for what it lacks: the client id (and Google its secret)', () => {
  assert.deepEqual(stepsFor({ email: 'ann@outlook.com' }), ['email', 'method', 'clientId']);
  assert.deepEqual(stepsFor({ email: 'ann@fastmail.com' }), ['email', 'method', 'clientId']);
  assert.deepEqual(stepsFor({ email: 'ann@gmail.com', method: 'google' }), [
    'email',
    'method',
    'clientId',
    'clientSecret',
  ]);
  // The same address with a password instead: the server questions come back.
  assert.ok(stepsFor({ email: 'ann@gmail.com', method: 'password' }).includes('password'));
});

test('another OAuth server asks for its issuer, client id and scopes, then the servers, and no password', () => {
  const steps = stepsFor({ email: 'ann@corp.example', method: 'custom' });
  assert.deepEqual(steps.slice(0, 5), ['email', 'method', 'issuer', 'clientId', 'scopes']);
  assert.ok(!steps.includes('password') && !steps.includes('smtpUser'));
  assert.ok(steps.includes('smtpHost'));
});

test('SMTP is suggested from the provider table and the presets (465 TLS / 587 STARTTLS), else smtp.<domain>', () => {
  assert.deepEqual(suggestServers('a@gmail.com').smtp, { host: 'smtp.gmail.com', port: 465, security: 'tls' });
  assert.deepEqual(suggestServers('a@outlook.com').smtp, {
    host: 'smtp.office365.com',
    port: 587,
    security: 'starttls',
  });
  assert.equal(suggestServers('a@icloud.com').smtp.port, 587);
  assert.deepEqual(suggestServers('a@example.org'), {
    imap: { host: 'imap.example.org', port: 993, security: 'tls' },
    smtp: { host: 'smtp.example.org', port: 465, security: 'tls' },
    known: false,
  });
  const d = defaults({ email: 'a@example.org', smtpSecurity: 'starttls' });
  assert.equal(d.smtpPort, '587');
  assert.equal(defaults({ email: 'a@example.org', security: 'starttls' }).port, '143');
});

test('a new address drops the servers suggested for the old one; another security drops the port', () => {
  let a: Answers = { email: 'a@example.org', method: 'password', host: 'imap.example.org', port: '993', user: 'a' };
  a = answer(a, 'email', 'a@other.test');
  assert.equal(a.host, undefined);
  assert.equal(a.user, undefined);
  assert.equal(defaults(a).host, 'imap.other.test');
  a = answer({ ...a, port: '993' }, 'security', 'starttls');
  assert.equal(a.port, undefined);
  // An unchanged answer keeps what followed it (Back, then Enter on the same value).
  const kept = answer({ email: 'a@x.test', host: 'mail.x.test' }, 'email', 'a@x.test');
  assert.equal(kept.host, 'mail.x.test');
});

test('the account built from the answers is what the settings reader accepts, and its entry holds no secret', () => {
  const config = accountFrom(
    {
      email: 'ann@example.org',
      method: 'password',
      host: 'mail.example.org',
      user: 'ann',
      password: 'hunter2-secret',
      smtpUser: 'ann-relay',
      smtpPassword: 'relay-secret',
    },
    ['ann@example.org'],
  );
  assert.equal(config.name, 'ann@example.org (2)');
  assert.deepEqual(config.smtp, { host: 'smtp.example.org', port: 465, security: 'tls', user: 'ann-relay' });
  const entry = accountEntry(config);
  assert.deepEqual(validateAccount(entry), config);
  assert.doesNotMatch(JSON.stringify(entry), /secret/);

  const ms = accountFrom({ email: 'ann@outlook.com', clientId: 'app-123' }, []);
  assert.equal(ms.auth, 'oauth2');
  assert.deepEqual(ms.oauth2, { provider: 'microsoft', clientId: 'app-123' });
  assert.equal(ms.host, 'outlook.office365.com');
  assert.deepEqual(ms.smtp, { host: 'smtp.office365.com', port: 587, security: 'starttls' });
  assert.deepEqual(validateAccount(accountEntry(ms)), ms);

  const plain = accountFrom(
    { email: 'me@localhost.test', method: 'password', host: '127.0.0.1', security: 'plain' },
    [],
  );
  assert.equal(accountEntry(plain).allowPlaintext, true);
  assert.equal(uniqueAccountName('x@y.z', ['x@y.z', 'x@y.z (2)']), 'x@y.z (3)');
});

test('only loopback names and addresses of this machine count as "this machine" for an unencrypted connection', () => {
  for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'LOCALHOST.']) assert.ok(isThisMachine(h), h);
  for (const h of ['mail.example.com', '10.0.0.5', '192.0.2.1', 'localhost.example.com', '127.0.0.1.nip.io'])
    assert.ok(!isThisMachine(h), h);
});

test('a remote window uses the mapped redirect only while it stays a loopback redirect of the same shape', () => {
  assert.ok(usableMappedRedirect('http://127.0.0.1:4000/', 'http://localhost:53011/'));
  assert.ok(!usableMappedRedirect('http://127.0.0.1:4000/', 'http://127.0.0.1:8080/proxy/4000/'));
  assert.ok(!usableMappedRedirect('http://127.0.0.1:4000/', 'https://4000-box.example.dev/'));
  assert.deepEqual(remoteFallback(true), { kind: 'deviceCode' });
  assert.equal(remoteFallback(false).kind, 'browser');
});
