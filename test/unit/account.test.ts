import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveCredentials, runTokenCommand, validateAccount } from '../../src/core/account';
import { MailError } from '../../src/core/errors';
import { buildTree, specialUseFromName, toMailboxInfo } from '../../src/core/mailboxes';

test('account settings are validated with precise messages', () => {
  assert.deepEqual(validateAccount({ name: 'W', host: 'imap.example.com', user: 'me' }),
    { name: 'W', host: 'imap.example.com', port: 993, security: 'tls', user: 'me' });
  assert.equal(validateAccount({ name: 'W', host: 'h', user: 'u', security: 'starttls' }).port, 143);
  assert.throws(() => validateAccount({ name: 'W', host: 'h', user: 'u', security: 'plain' }), /allowPlaintext/);
  assert.throws(() => validateAccount({ name: 'W', host: 'h', user: 'u', port: 70000 }), /port/);
  assert.throws(() => validateAccount({ name: 'W', host: 'h h', user: 'u' }), /host/);
  assert.throws(() => validateAccount({ host: 'h', user: 'u' }), /"name" is required/);
});

test('the OAuth2 token command: first non-empty line; failures say why, without the output', async () => {
  assert.equal(await runTokenCommand("printf '\\n  tok-123  \\nignored\\n'"), 'tok-123');
  await assert.rejects(runTokenCommand('echo oops >&2; exit 3'), (e: unknown) => e instanceof MailError && e.kind === 'oauthToken' && /oops/.test(e.message));
  await assert.rejects(runTokenCommand('true'), /printed no token/);
  await assert.rejects(runTokenCommand('sleep 5', 200), /did not finish/);
});

test('a missing password is an auth error, not a login attempt', async () => {
  const account = validateAccount({ name: 'W', host: 'h', user: 'u' });
  await assert.rejects(resolveCredentials(account, async () => undefined), (e: unknown) => e instanceof MailError && e.kind === 'auth');
  assert.deepEqual(await resolveCredentials(account, async () => 'pw'), { user: 'u', pass: 'pw' });
});

test('special-use by name for servers without SPECIAL-USE; tree with INBOX and roles first', () => {
  assert.equal(specialUseFromName('Sent Items'), 'sent');
  assert.equal(specialUseFromName('Deleted Items'), 'trash');
  assert.equal(specialUseFromName('Projects'), undefined);
  const entry = (path: string, extra: Record<string, unknown> = {}) => {
    const parts = path.split('/');
    return toMailboxInfo({
      path, pathAsListed: path, name: parts.at(-1)!, delimiter: '/', parent: parts.slice(0, -1), parentPath: parts.slice(0, -1).join('/'),
      flags: new Set<string>(), listed: true, subscribed: true, ...extra,
    });
  };
  const tree = buildTree([entry('Zeta'), entry('Trash'), entry('Projects/Archive'), entry('Projects'), entry('INBOX'), entry('Sent Items'), entry('Archive', { specialUse: '\\Archive', specialUseSource: 'extension' })]);
  assert.deepEqual(tree.map((n) => n.name), ['Inbox', 'Sent Items', 'Archive', 'Trash', 'Projects', 'Zeta']);
  const projects = tree.find((n) => n.path === 'Projects')!;
  assert.deepEqual(projects.children.map((c) => [c.path, c.specialUse]), [['Projects/Archive', undefined]]);
});
