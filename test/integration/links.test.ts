import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailError } from '../../src/core/errors';
import { formatMessageLink, parseMessageLink } from '../../src/core/links/links';
import { buildMessage } from '../harness/fixtures';
import { MemoryLogger, useServer } from './setup';

const ctx = useServer();

test('a link resolves through its hint, and still after the message was archived elsewhere', async () => {
  const account = ctx.mailAccount();
  const other = await ctx.otherClient();
  const appended = await other.append(
    'INBOX',
    buildMessage({
      from: 'a@example.test',
      to: 'alice@example.test',
      subject: 'link me',
      text: 'x',
      messageId: '<link-me@mailroom.test>',
    }),
  );
  assert.ok(appended && appended.uid);
  const page = await account.listMessages('INBOX', { pageSize: 5 });
  const summary = page.messages.find((m) => m.uid === appended.uid)!;
  const url = formatMessageLink({
    account: account.config.name,
    messageId: summary.messageId!,
    hint: {
      user: account.config.user,
      host: account.config.host,
      port: account.config.port,
      mailbox: 'INBOX',
      uidValidity: summary.uidValidity,
      uid: summary.uid,
    },
  });
  const direct = await account.resolveLink(parseMessageLink(url));
  assert.equal(direct.viaHint, true);
  assert.deepEqual(direct.refs, [{ mailbox: 'INBOX', uidValidity: summary.uidValidity, uid: summary.uid }]);

  // Another client archives it: the hint is stale, the Message-ID still finds it.
  await other.mailboxOpen('INBOX');
  assert.ok(await other.messageMove(String(summary.uid), 'Archive', { uid: true }));
  const moved = await account.resolveLink(parseMessageLink(url));
  assert.equal(moved.viaHint, false);
  assert.equal(moved.refs.length, 1);
  assert.equal(moved.refs[0]!.mailbox, 'Archive');
  const content = await account.readMessage(moved.refs[0]!);
  assert.equal(content.subject, 'link me');
});

test('duplicates are all reported; a deleted message is a precise error', async () => {
  const account = ctx.mailAccount();
  const other = await ctx.otherClient();
  await other.mailboxCreate('Dupes').catch(() => undefined);
  for (let i = 0; i < 2; i++) {
    await other.append(
      'Dupes',
      buildMessage({
        from: 'a@example.test',
        to: 'alice@example.test',
        subject: `dup ${i}`,
        text: 'x',
        messageId: '<dup@mailroom.test>',
      }),
    );
  }
  // A message whose Message-ID merely contains the wanted one must not count.
  await other.append(
    'Dupes',
    buildMessage({
      from: 'a@example.test',
      to: 'alice@example.test',
      subject: 'not me',
      text: 'x',
      messageId: '<xdup@mailroom.test>',
    }),
  );
  const dup = await account.resolveLink({ account: account.config.name, messageId: 'dup@mailroom.test' });
  assert.deepEqual(
    dup.refs.map((r) => r.mailbox),
    ['Dupes', 'Dupes'],
  );

  await assert.rejects(
    account.resolveLink({ account: account.config.name, messageId: 'never-existed@mailroom.test' }),
    (e: unknown) =>
      e instanceof MailError &&
      e.kind === 'messageNotFound' &&
      /never-existed@mailroom\.test.*probably deleted/.test(e.message),
  );
});

test('a degenerate Message-ID ("@", "a@") is refused before any folder is searched', async () => {
  const logger = new MemoryLogger();
  const account = ctx.mailAccount('alice', {}, { logger, traceProtocol: true });
  await account.listMailboxes();
  const before = logger.lines.length;
  for (const messageId of ['@', 'a@', '@b', ' @ ', '.@.']) {
    await assert.rejects(
      account.resolveLink({ account: account.config.name, messageId }),
      (e: unknown) => e instanceof MailError && e.kind === 'malformed' && /no folder was searched/.test(e.message),
    );
  }
  const sent = logger.lines.slice(before).filter((l) => /\bC: /.test(l));
  assert.deepEqual(
    sent.filter((l) => /SEARCH|SELECT|EXAMINE|FETCH/i.test(l)),
    [],
    'no command reached the server',
  );
});
