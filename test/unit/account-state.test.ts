// What the account row and the status bar say in each state (src/core/setup/account-state.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailError } from '../../src/core/errors';
import { type AccountFacts, describeAccount } from '../../src/core/setup/account-state';
import type { AccountConfig } from '../../src/core/session/account';

const config: AccountConfig = { name: 'Ann', host: 'imap.example.org', port: 993, security: 'tls', user: 'ann' };
const oauth: AccountConfig = { ...config, auth: 'oauth2', oauth2: { provider: 'microsoft', clientId: 'x' } };
const facts = (f: Partial<AccountFacts>): AccountFacts => ({
  config,
  status: { kind: 'connected' },
  hasFolders: true,
  unread: 0,
  ...f,
});
const error = (e: MailError) => ({ kind: 'error' as const, error: e });

test('before the first answer the account says "Connecting…"', () => {
  const line = describeAccount(facts({ status: { kind: 'idle' }, hasFolders: false }));
  assert.equal(line.text, 'Connecting…');
  assert.equal(line.icon, 'sync~spin');
  assert.equal(describeAccount(facts({ status: { kind: 'connecting' } })).text, 'Connecting…');
  assert.equal(describeAccount(facts({ unread: 3 })).text, '3 unread');
});

test('Escape on the password prompt is "Not signed in", not "Wrong password", and the status bar asks for the password', () => {
  const missing = describeAccount(
    facts({ status: error(new MailError('auth', 'No password for ann on imap.example.org', { missing: true })) }),
  );
  assert.equal(missing.text, 'Not signed in — click to enter the password');
  assert.equal(missing.action, 'retry');
  assert.equal(missing.attention, 'password needed');
  const wrong = describeAccount(facts({ status: error(new MailError('auth', 'Authentication failed')) }));
  assert.equal(wrong.text, 'Wrong password — click to retry');
});

test('an OAuth account never signed in says so; a revoked sign-in says "Sign in again"; both click to sign in', () => {
  const never = describeAccount(
    facts({ config: oauth, status: error(new MailError('signInRequired', 'Sign in first', { reason: 'missing' })) }),
  );
  assert.equal(never.text, 'Not signed in — click to sign in');
  assert.equal(never.action, 'signIn');
  const revoked = describeAccount(
    facts({ config: oauth, status: error(new MailError('signInRequired', 'revoked', { reason: 'revoked' })) }),
  );
  assert.equal(revoked.text, 'Sign in again');
  assert.equal(revoked.action, 'signIn');
  assert.equal(revoked.attention, 'sign in again');
});

test('a dropped connection says "Disconnected — reconnecting…" while the watcher reconnects', () => {
  const lost = new MailError('connectionLost', 'The connection to imap.example.org was lost.');
  const line = describeAccount(
    facts({ unread: 2, inbox: { status: 'reconnecting', attempt: 1, delayMs: 2000, error: lost } }),
  );
  assert.equal(line.text, 'Disconnected — reconnecting…');
  assert.match(line.detail, /was lost\. Next attempt in 2 s/);
  assert.equal(line.attention, undefined);
  // A command that failed meanwhile because the server is away changes nothing; a wrong password does.
  const during = describeAccount(
    facts({ status: error(lost), inbox: { status: 'reconnecting', attempt: 1, delayMs: 2000, error: lost } }),
  );
  assert.equal(during.text, 'Disconnected — reconnecting…');
  const refused = describeAccount(
    facts({
      status: error(new MailError('auth', 'Authentication failed')),
      inbox: { status: 'reconnecting', attempt: 1, delayMs: 2000, error: lost },
    }),
  );
  assert.equal(refused.text, 'Wrong password — click to retry');
});

test('an unencrypted account is marked as such in every state', () => {
  const plain = { ...config, security: 'plain' as const, allowPlaintext: true };
  const line = describeAccount(facts({ config: plain, unread: 1 }));
  assert.equal(line.text, 'unencrypted · 1 unread');
  assert.equal(line.icon, 'unlock');
  assert.match(line.detail, /clear text to imap\.example\.org/);
  assert.match(describeAccount(facts({ config: plain, status: { kind: 'connecting' } })).text, /^unencrypted · /);
});

test('an unusable settings entry says "Settings problem" and why', () => {
  const line = describeAccount({
    problem: '"host" is required',
    status: { kind: 'idle' },
    hasFolders: false,
    unread: 0,
  });
  assert.equal(line.text, 'Settings problem — click for details');
  assert.equal(line.detail, '"host" is required');
});
