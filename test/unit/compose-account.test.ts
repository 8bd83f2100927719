import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validateAccount } from '../../src/core/session/account';
import { AddressIndex, parseAddressBookOutput, runAddressBook } from '../../src/core/compose/completion';
import { smtpCredentialsFrom } from '../../src/core/compose/smtp';
import { smtpLogger } from '../../src/core/compose/smtp-log';
import { RedactingLogger, SecretRedactor } from '../../src/core/log';

const base = { name: 'W', host: 'imap.example.com', user: 'me@example.com' };

test('SMTP settings: implicit TLS or STARTTLS with their usual ports; plain is refused', () => {
  assert.deepEqual(validateAccount({ ...base, smtp: { host: 'smtp.example.com' } }).smtp, {
    host: 'smtp.example.com',
    port: 465,
    security: 'tls',
  });
  assert.deepEqual(
    validateAccount({ ...base, smtp: { host: 'smtp.example.com', security: 'starttls', user: 'other' } }).smtp,
    { host: 'smtp.example.com', port: 587, security: 'starttls', user: 'other' },
  );
  assert.throws(
    () => validateAccount({ ...base, smtp: { host: 'smtp.example.com', security: 'plain' } }),
    /"plain" is not supported/,
  );
  assert.throws(() => validateAccount({ ...base, smtp: { host: 'smtp example' } }), /smtp.host/);
  assert.throws(() => validateAccount({ ...base, smtp: { host: 'h', port: 0 } }), /smtp.port/);
  assert.throws(() => validateAccount({ ...base, smtp: 'smtp.example.com' }), /"smtp" must be an object/);
  // Existing accounts without SMTP keep validating exactly as before.
  assert.deepEqual(validateAccount(base), { ...base, port: 993, security: 'tls' });
});

test('identity settings: from must be one address, aliases may be wildcards, signature kept', () => {
  const a = validateAccount({
    ...base,
    from: 'Me Example <me@example.com>',
    aliases: ['*@me.example.com', 'sales@example.com'],
    signature: 'Me\r\nExample',
  });
  assert.equal(a.from, 'Me Example <me@example.com>');
  assert.deepEqual(a.aliases, ['*@me.example.com', 'sales@example.com']);
  assert.equal(a.signature, 'Me\nExample');
  assert.throws(() => validateAccount({ ...base, from: 'not an address' }), /"from"/);
  assert.throws(() => validateAccount({ ...base, aliases: ['nope'] }), /"aliases"/);
  assert.throws(() => validateAccount({ ...base, aliases: 'me@example.com' }), /"aliases" must be a list/);
});

test('SMTP credentials: the IMAP password unless the SMTP user differs, then its own entry', async () => {
  const asked: string[] = [];
  const passwords = async (acc: { name: string; user: string }) => {
    asked.push(`${acc.name}/${acc.user}`);
    return 'pw';
  };
  const same = validateAccount({ ...base, smtp: { host: 'smtp.example.com' } });
  assert.deepEqual(await smtpCredentialsFrom(same, passwords)({ user: same.user, refresh: false }), {
    user: 'me@example.com',
    pass: 'pw',
  });
  const other = validateAccount({ ...base, smtp: { host: 'smtp.example.com', user: 'relay' } });
  assert.deepEqual(await smtpCredentialsFrom(other, passwords)({ user: 'relay', refresh: false }), {
    user: 'relay',
    pass: 'pw',
  });
  assert.deepEqual(asked, ['W/me@example.com', 'W (SMTP)/relay']);
  await assert.rejects(
    smtpCredentialsFrom(same, async () => undefined)({ user: same.user, refresh: false }),
    /No password/,
  );
});

test('the SMTP log masks AUTH and everything the client says until the server answers, and the secret itself', () => {
  const lines: string[] = [];
  const sink = {
    trace: (m: string) => lines.push(m),
    debug: (m: string) => lines.push(m),
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  const redactor = new SecretRedactor();
  redactor.add('s3cret-pw', 'me');
  const log = smtpLogger(new RedactingLogger(sink, redactor), '[W/smtp]', true);
  log.debug({ tnx: 'server' }, '250-mail.example.test\n250-AUTH PLAIN LOGIN\n250 8BITMIME');
  log.debug({ tnx: 'client' }, 'AUTH LOGIN');
  log.debug({ tnx: 'server' }, '334 VXNlcm5hbWU6');
  log.debug({ tnx: 'client' }, Buffer.from('me').toString('base64'));
  log.debug({ tnx: 'server' }, '334 UGFzc3dvcmQ6');
  log.debug({ tnx: 'client' }, Buffer.from('s3cret-pw').toString('base64'));
  log.debug({ tnx: 'server' }, '235 2.7.0 Authentication successful');
  log.debug({ tnx: 'client' }, 'MAIL FROM:<me@example.com>');
  log.info({ tnx: 'network' }, 'told %s something about s3cret-pw', 'us');
  const text = lines.join('\n');
  assert.doesNotMatch(text, /s3cret|czNjcmV0|bWU=/);
  assert.equal(lines.filter((l) => l === '[W/smtp] C: ***').length, 2, 'both AUTH LOGIN answers are masked');
  assert.match(text, /C: MAIL FROM:<me@example.com>/);
  assert.match(text, /S: 250 8BITMIME/, 'EHLO lines stay readable');
  assert.match(text, /told us something about \*\*\*/);
});

test('address completion: frequent and recent first, names from the newest mail, filtered by every word', () => {
  const now = Date.parse('2026-03-01T00:00:00Z');
  const day = (d: number) => new Date(now - d * 86_400_000).toISOString();
  const index = new AddressIndex([
    {
      date: day(100),
      from: [{ name: 'Old Name', address: 'bob@example.test' }],
      to: [{ address: 'me@example.test' }],
      cc: [],
    },
    {
      date: day(1),
      from: [{ name: 'Bob Builder', address: 'Bob@example.test' }],
      to: [],
      cc: [{ address: 'carol@example.test' }],
    },
    { date: day(2), from: [{ name: 'Bob Builder', address: 'bob@example.test' }], to: [], cc: [] },
    { date: day(300), from: [{ name: 'Bobby Ancient', address: 'bobby@example.test' }], to: [], cc: [] },
    { date: day(0), from: [{ address: 'not-an-address' }], to: [], cc: [] },
  ]);
  const hits = index.query('bob', { now });
  assert.deepEqual(
    hits.map((h) => h.address),
    ['bob@example.test', 'bobby@example.test'],
  );
  assert.equal(hits[0]!.count, 3);
  assert.equal(hits[0]!.name, 'Bob Builder');
  assert.deepEqual(
    index.query('builder bob', { now }).map((h) => h.address),
    ['bob@example.test'],
  );
  assert.deepEqual(
    index.query('bob', { now, exclude: (a) => a === 'bob@example.test' }).map((h) => h.address),
    ['bobby@example.test'],
  );
  assert.equal(index.size, 4);
});

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('the address book command gets the query as an argument, never through a shell; output is bounded; timeouts are errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-abook-'));
  dirs.push(dir);
  const script = join(dir, 'abook.sh');
  const marker = join(dir, 'pwned');
  await writeFile(
    script,
    `#!/bin/sh\nprintf 'Query Echo <q@example.test>\\n'\nprintf '%s\\n' "$1" > "${dir}/arg"\nprintf 'Carol <carol@example.test>\\ngarbage line\\nbob@example.test\\tBob B\\n'\n`,
  );
  await chmod(script, 0o755);
  const results = await runAddressBook(script, `x; touch ${marker}`);
  assert.deepEqual(
    results.map((r) => [r.name, r.address]),
    [
      ['Query Echo', 'q@example.test'],
      ['Carol', 'carol@example.test'],
      ['Bob B', 'bob@example.test'],
    ],
  );
  const { readFile, access } = await import('node:fs/promises');
  assert.equal(
    (await readFile(join(dir, 'arg'), 'utf8')).trim(),
    `x; touch ${marker}`,
    'the query arrived as one argument',
  );
  await assert.rejects(access(marker), 'the query was not run by a shell');
  assert.deepEqual(await runAddressBook(script, '--help'), [], 'a query that looks like an option is not passed');

  const slow = join(dir, 'slow.sh');
  await writeFile(slow, '#!/bin/sh\nsleep 5\n');
  await chmod(slow, 0o755);
  await assert.rejects(runAddressBook(slow, 'q', { timeoutMs: 200 }), /did not answer within 200 ms/);

  const many = Array.from({ length: 500 }, (_, i) => `P${i} <p${i}@example.test>`).join('\n');
  assert.equal(parseAddressBookOutput(many).length, 200);
});
