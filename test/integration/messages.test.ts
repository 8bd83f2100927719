import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailError } from '../../src/core/errors';
import { nextEvent } from '../../src/core/events';
import { buildMessage, ENCODED_EXPECT, FIXTURES, uidOf } from '../harness/fixtures';
import { startProxy } from '../harness/proxy';
import { useServer } from './setup';

const ctx = useServer();

async function fill(path: string, count: number): Promise<void> {
  const other = await ctx.otherClient('alice');
  await other.mailboxCreate(path).catch(() => undefined);
  for (let i = 1; i <= count; i++) {
    await other.append(
      path,
      buildMessage({
        from: 'Sender <s@example.test>',
        to: 'bob@example.test',
        subject: `Message ${i}`,
        text: `Body ${i}`,
        date: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
      }),
      [],
      new Date(Date.UTC(2025, 0, 1) + i * 60_000),
    );
  }
}

test('summaries: newest first, decoded, with flags, size and attachment marker', async () => {
  const account = ctx.mailAccount();
  const page = await account.listMessages('INBOX', { pageSize: 100 });
  assert.equal(page.exists, FIXTURES.length);
  assert.equal(page.hasMore, false);
  assert.deepEqual(
    page.messages.map((m) => m.uid),
    FIXTURES.map((_, i) => i + 1).reverse(),
  );
  const byUid = new Map(page.messages.map((m) => [m.uid, m]));
  const encoded = byUid.get(uidOf('encoded'))!;
  assert.equal(encoded.subject, ENCODED_EXPECT.subject);
  assert.deepEqual(encoded.from, [{ name: ENCODED_EXPECT.fromName, address: ENCODED_EXPECT.fromAddress }]);
  assert.equal(byUid.get(uidOf('plain'))!.messageId, '<plain-1@mailroom.test>');
  assert.equal(byUid.get(uidOf('no-message-id'))!.messageId, undefined);
  assert.ok(byUid.get(uidOf('flagged-unread'))!.flags.includes('\\Flagged'));
  assert.ok(!byUid.get(uidOf('plain'))!.flags.includes('\\Seen'));
  assert.equal(byUid.get(uidOf('attachment'))!.hasAttachments, true);
  assert.equal(byUid.get(uidOf('big-attachment'))!.hasAttachments, true);
  assert.equal(byUid.get(uidOf('plain'))!.hasAttachments, false);
  assert.equal(byUid.get(uidOf('html'))!.hasAttachments, false);
  assert.equal(byUid.get(uidOf('inline-image'))!.hasAttachments, false, 'an inline cid: image is not an attachment');
  assert.ok(byUid.get(uidOf('big-attachment'))!.size > 5_000_000);
  for (const m of page.messages) assert.equal(m.uidValidity, page.uidValidity);
});

test('pages: the first page costs the same in a big folder as in a small one; Load more continues by UID', async () => {
  await fill('Paging', 230);
  await fill('Small', 60);
  const account = ctx.mailAccount();
  await account.connect();
  const bytesFor = async (path: string) => {
    await account.listMessages(path, { pageSize: 1 }); // select first, so both runs measure only the page
    account.ops.client!.stats(true);
    const page = await account.listMessages(path, { pageSize: 50 });
    return { page, bytes: account.ops.client!.stats().received };
  };
  const big = await bytesFor('Paging');
  const small = await bytesFor('Small');
  assert.equal(big.page.messages.length, 50);
  assert.equal(big.page.messages[0]!.subject, 'Message 230');
  assert.ok(big.page.hasMore);
  assert.ok(big.bytes < small.bytes * 1.3, `first page of 230 cost ${big.bytes} B vs ${small.bytes} B for 60`);

  const seen: string[] = big.page.messages.map((m) => m.subject);
  let page = big.page;
  while (page.hasMore) {
    page = await account.listMessages('Paging', { pageSize: 50, before: page.messages.at(-1)!.uid });
    seen.push(...page.messages.map((m) => m.subject));
  }
  assert.equal(seen.length, 230);
  assert.deepEqual(seen.slice(0, 3), ['Message 230', 'Message 229', 'Message 228']);
  assert.equal(seen.at(-1), 'Message 1');
  assert.equal(new Set(seen).size, 230, 'no message twice');

  // Expunges between pages do not shift the cursor: it is a UID, not a position.
  const other = await ctx.otherClient('alice');
  await other.mailboxOpen('Paging');
  const first = await account.listMessages('Paging', { pageSize: 10 });
  assert.ok(
    await other.messageDelete(`${first.messages.at(-1)!.uid - 5}:${first.messages.at(-1)!.uid + 2}`, { uid: true }),
  );
  const next = await account.listMessages('Paging', { pageSize: 10, before: first.messages.at(-1)!.uid });
  assert.equal(next.messages[0]!.uid, first.messages.at(-1)!.uid - 6);
});

test('Load more asks the server for the page only, and finds its place again after expunges below it', async () => {
  await fill('Marks', 40);
  const proxy = await startProxy(await ctx.ready);
  try {
    const account = ctx.mailAccount('alice', { port: proxy.port });
    const first = await account.listMessages('Marks', { pageSize: 10 });
    const from = proxy.commands.length;
    const second = await account.listMessages('Marks', { pageSize: 10, before: first.messages.at(-1)!.uid });
    assert.deepEqual(
      second.messages.map((m) => m.subject),
      Array.from({ length: 10 }, (_, i) => `Message ${30 - i}`),
    );
    const asked = proxy.commands.slice(from).map((c) => c.command.split(' ').slice(0, 2).join(' '));
    assert.ok(!asked.some((c) => /SEARCH/i.test(c)), `no SEARCH to find the place: ${asked.join(', ')}`);

    // Another client expunges messages below the page: the numbers shift, the place is found by UID.
    const other = await ctx.otherClient('alice');
    await other.mailboxOpen('Marks');
    assert.ok(await other.messageDelete('1:5', { uid: true }));
    const third = await account.listMessages('Marks', { pageSize: 10, before: second.messages.at(-1)!.uid });
    assert.deepEqual(
      third.messages.map((m) => m.subject),
      Array.from({ length: 10 }, (_, i) => `Message ${20 - i}`),
    );
    const fourth = await account.listMessages('Marks', { pageSize: 10, before: third.messages.at(-1)!.uid });
    assert.deepEqual(
      fourth.messages.map((m) => m.subject),
      Array.from({ length: 5 }, (_, i) => `Message ${10 - i}`),
    );
    assert.equal(fourth.hasMore, false);
  } finally {
    await proxy.close();
  }
});

test('a UIDVALIDITY change invalidates what was known', async () => {
  await fill('Rebuilt', 3);
  const account = ctx.mailAccount();
  const page = await account.listMessages('Rebuilt');
  const ref = { mailbox: 'Rebuilt', uidValidity: page.uidValidity, uid: page.messages[0]!.uid };
  const other = await ctx.otherClient('alice');
  await other.mailboxDelete('Rebuilt');
  await new Promise((r) => setTimeout(r, 1100)); // Dovecot derives UIDVALIDITY from the clock (seconds)
  await other.mailboxCreate('Rebuilt');
  await other.append(
    'Rebuilt',
    buildMessage({ from: 'x@example.test', to: 'y@example.test', subject: 'new life', text: 'x' }),
  );
  const invalidated = nextEvent(account.onDidInvalidateMailbox, (e) => e.path === 'Rebuilt');
  const fresh = await account.listMessages('Rebuilt');
  assert.notEqual(fresh.uidValidity, page.uidValidity);
  assert.equal((await invalidated).uidValidity, fresh.uidValidity);
  await assert.rejects(
    account.readMessage(ref),
    (e: unknown) => e instanceof MailError && e.kind === 'uidValidityChanged',
  );
  await assert.rejects(
    account.setFlags([ref], { add: ['\\Flagged'] }),
    (e: unknown) => e instanceof MailError && e.kind === 'uidValidityChanged',
  );
});

test('read-only browsing uses EXAMINE and changes nothing', async () => {
  const account = ctx.mailAccount();
  const page = await account.listMessages('INBOX', { readOnly: true });
  assert.equal(account.ops.client!.mailbox && account.ops.client!.mailbox.readOnly, true);
  const plain = page.messages.find((m) => m.uid === uidOf('plain'))!;
  await account.readMessage(plain, { readOnly: true });
  const other = await ctx.otherClient('alice');
  await other.mailboxOpen('INBOX', { readOnly: true });
  const msg = await other.fetchOne(String(plain.uid), { flags: true }, { uid: true });
  assert.ok(msg && !msg.flags!.has('\\Seen'), 'reading did not mark it seen');
});

test("switching between read-only and read-write never expunges other clients' \\Deleted mail", async () => {
  await fill('Switching', 2);
  const other = await ctx.otherClient('alice');
  await other.mailboxOpen('Switching');
  assert.ok(await other.messageFlagsAdd('1:*', ['\\Deleted']), 'marked by another client, not expunged');
  const account = ctx.mailAccount();
  await account.listMessages('Switching'); // SELECT
  await account.listMessages('Switching', { readOnly: true }); // EXAMINE
  await account.listMessages('Switching'); // SELECT again
  const status = await other.status('Switching', { messages: true });
  assert.equal(status && status.messages, 2);
});

test("a page read while another client changes a message outside it holds only the page: the server's report about the other one is no summary", async () => {
  await fill('Reported', 5);
  const proxy = await startProxy(await ctx.ready);
  try {
    const account = ctx.mailAccount('alice', { port: proxy.port });
    await account.listMessages('Reported', { pageSize: 2 }); // the folder is open on the connection
    const other = await ctx.otherClient();
    await other.mailboxOpen('Reported');
    const from = proxy.commands.length;
    proxy.delayCommandsTo('FETCH', 800);
    const reading = account.listMessages('Reported', { pageSize: 2 });
    for (let i = 0; i < 200 && !proxy.commands.slice(from).some((c) => c.command.startsWith('FETCH ')); i++)
      await new Promise((r) => setTimeout(r, 10));
    await other.messageFlagsAdd('1', ['\\Flagged'], { uid: true }); // the oldest: not in the page
    const page = await reading;
    assert.deepEqual(
      page.messages.map((m) => m.subject),
      ['Message 5', 'Message 4'],
    );
  } finally {
    await proxy.close();
  }
});
