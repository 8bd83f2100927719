import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  redactTokenCommandOutput,
  resolveCredentials,
  runTokenCommand,
  validateAccount,
} from '../../src/core/session/account';
import { MailError } from '../../src/core/errors';
import { buildTree, specialUseFromName, toMailboxInfo } from '../../src/core/mailbox/mailboxes';

test('account settings are validated with precise messages', () => {
  assert.deepEqual(validateAccount({ name: 'W', host: 'imap.example.com', user: 'me' }), {
    name: 'W',
    host: 'imap.example.com',
    port: 993,
    security: 'tls',
    user: 'me',
  });
  assert.equal(validateAccount({ name: 'W', host: 'h', user: 'u', security: 'starttls' }).port, 143);
  assert.throws(() => validateAccount({ name: 'W', host: 'h', user: 'u', security: 'plain' }), /allowPlaintext/);
  assert.throws(() => validateAccount({ name: 'W', host: 'h', user: 'u', port: 70000 }), /port/);
  assert.throws(() => validateAccount({ name: 'W', host: 'h h', user: 'u' }), /host/);
  assert.throws(() => validateAccount({ host: 'h', user: 'u' }), /"name" is required/);
});

test('the OAuth2 token command: first non-empty line; failures say why, without the output', async () => {
  assert.equal(await runTokenCommand("printf '\\n  tok-123  \\nignored\\n'"), 'tok-123');
  await assert.rejects(
    runTokenCommand('echo oops >&2; exit 3'),
    (e: unknown) =>
      e instanceof MailError && e.kind === 'oauthToken' && /exit code 3/.test(e.message) && !/oops/.test(e.message),
  );
  await assert.rejects(runTokenCommand('true'), /printed no token/);
  await assert.rejects(runTokenCommand('sleep 5', 200), /did not finish/);
});

test('what a failing token command prints on stderr never reaches the error, and the log gets one masked, bounded line', async () => {
  const secret = '1//0gRefreshTokenABCdef-ghi_JKL';
  const lines: string[] = [];
  const err = await runTokenCommand(
    `echo "error: invalid_grant refresh_token=${secret} client_secret hunter2 rejected" >&2; echo second line ${secret} >&2; exit 2`,
    5000,
    (l) => lines.push(l),
  ).then(
    () => assert.fail('the command failed'),
    (e: unknown) => e as MailError,
  );
  assert.equal(err.kind, 'oauthToken');
  assert.match(err.message, /failed \(exit code 2\)/);
  assert.ok(
    !err.message.includes(secret) && !err.message.includes('hunter2') && !err.message.includes('invalid_grant'),
    err.message,
  );
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes(secret) && !lines[0]!.includes('hunter2'), lines[0]);
  assert.match(lines[0]!, /error: \[redacted\]/);
  assert.ok(!lines[0]!.includes('second line'), 'one line only');

  const long = await runTokenCommand(`printf 'word %.0s' $(seq 1 500) >&2; exit 1`, 5000, (l) => lines.push(l)).catch(
    (e: unknown) => e as MailError,
  );
  assert.ok(long instanceof MailError);
  assert.ok(lines[1]!.length < 300, `bounded: ${lines[1]!.length} characters`);

  // Plain words (how a person reads what went wrong) survive.
  assert.equal(
    redactTokenCommandOutput('gpg: decryption failed: No such file\nmore'),
    'gpg: decryption failed: No such file',
  );
  assert.match(
    redactTokenCommandOutput('HTTP 401 Unauthorized: Bearer ya29.a0AfH6SMBx'),
    /^HTTP 401 Unauthorized: Bearer \[redacted\]/,
  );
});

test('a missing password is an auth error, not a login attempt', async () => {
  const account = validateAccount({ name: 'W', host: 'h', user: 'u' });
  await assert.rejects(
    resolveCredentials(account, async () => undefined),
    (e: unknown) => e instanceof MailError && e.kind === 'auth',
  );
  assert.deepEqual(await resolveCredentials(account, async () => 'pw'), { user: 'u', pass: 'pw' });
});

test('special-use by name for servers without SPECIAL-USE; tree with INBOX and roles first', () => {
  assert.equal(specialUseFromName('Sent Items'), 'sent');
  assert.equal(specialUseFromName('Deleted Items'), 'trash');
  assert.equal(specialUseFromName('Projects'), undefined);
  const entry = (path: string, extra: Record<string, unknown> = {}) => {
    const parts = path.split('/');
    return toMailboxInfo({
      path,
      pathAsListed: path,
      name: parts.at(-1)!,
      delimiter: '/',
      parent: parts.slice(0, -1),
      parentPath: parts.slice(0, -1).join('/'),
      flags: new Set<string>(),
      listed: true,
      subscribed: true,
      ...extra,
    });
  };
  const tree = buildTree([
    entry('Zeta'),
    entry('Trash'),
    entry('Projects/Archive'),
    entry('Projects'),
    entry('INBOX'),
    entry('Sent Items'),
    entry('Archive', { specialUse: '\\Archive', specialUseSource: 'extension' }),
  ]);
  assert.deepEqual(
    tree.map((n) => n.name),
    ['Inbox', 'Sent Items', 'Archive', 'Trash', 'Projects', 'Zeta'],
  );
  const projects = tree.find((n) => n.path === 'Projects')!;
  assert.deepEqual(
    projects.children.map((c) => [c.path, c.specialUse]),
    [['Projects/Archive', undefined]],
  );
});
