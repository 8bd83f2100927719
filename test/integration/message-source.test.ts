import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { MAX_HEADER_BYTES } from '../../src/core/reading/source';
import { rfc5322Date } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();

const LIST_MAIL = [
  `Date: ${rfc5322Date(new Date('2026-12-01T16:47:00Z'))}`,
  'From: Dev list <dev@lists.example>',
  'To: alice@example.test',
  'Subject: Weekly digest',
  'Message-ID: <digest-1@lists.example>',
  'List-Id: Developers <dev.lists.example>',
  'List-Unsubscribe: <mailto:leave@lists.example?subject=unsubscribe>,',
  '  <https://lists.example/u/abc>',
  'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
  'List-Post: <mailto:dev@lists.example>',
  'List-Archive: <https://lists.example/archive/>',
  'X-Custom: kept',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'This week on the list.',
  '',
].join('\r\n');

/** Appends `raw` to INBOX with an independent client; its ref and whether it is \Seen afterwards. */
async function appended(raw: string | Buffer): Promise<{ ref: MessageRef; seen: () => Promise<boolean> }> {
  const other = await ctx.otherClient();
  const res = await other.append('INBOX', raw, []);
  const status = await other.status('INBOX', { uidValidity: true });
  await other.logout();
  assert.ok(res && res.uid && status);
  const ref = { mailbox: 'INBOX', uidValidity: String(status.uidValidity), uid: res.uid };
  const seen = async () => {
    const c = await ctx.otherClient();
    const lock = await c.getMailboxLock('INBOX', { readOnly: true });
    try {
      const m = await c.fetchOne(String(ref.uid), { uid: true, flags: true }, { uid: true });
      return !!m && m.flags!.has('\\Seen');
    } finally {
      lock.release();
      await c.logout();
    }
  };
  return { ref, seen };
}

test("a list mail's List-* headers come with its content", async () => {
  const account = ctx.mailAccount();
  const { ref } = await appended(LIST_MAIL);
  const content = await account.readMessage(ref);
  assert.deepEqual(content.list, {
    id: 'dev.lists.example',
    name: 'Developers',
    unsubscribe: {
      mailto: { to: 'leave@lists.example', subject: 'unsubscribe' },
      oneClick: 'https://lists.example/u/abc',
      web: 'https://lists.example/u/abc',
    },
    post: { to: 'dev@lists.example' },
    archive: 'https://lists.example/archive/',
  });
});

test('View Source gets the exact bytes the server holds without marking the message read', async () => {
  const account = ctx.mailAccount();
  const { ref, seen } = await appended(LIST_MAIL);
  const source = await account.readSource(ref);
  assert.equal(source.raw.toString('utf8'), LIST_MAIL);
  assert.equal(source.truncated, false);
  assert.equal(source.size, Buffer.byteLength(LIST_MAIL));
  const cut = await account.readSource(ref, 100);
  assert.equal(cut.raw.length, 100);
  assert.equal(cut.truncated, true);
  assert.equal(cut.size, Buffer.byteLength(LIST_MAIL));
  assert.equal(await seen(), false);
});

test('Show All Headers gets the whole header block, and says when one padded past the cap was cut', async () => {
  const account = ctx.mailAccount();
  const { ref } = await appended(LIST_MAIL);
  const headers = await account.readHeaderBlock(ref);
  assert.equal(headers.text, LIST_MAIL.slice(0, LIST_MAIL.indexOf('\r\n\r\n') + 4));
  assert.equal(headers.truncated, false);
  const padded = LIST_MAIL.replace('X-Custom: kept', `X-Pad: ${'x'.repeat(900)}\r\n`.repeat(400) + 'X-Custom: kept');
  const big = await account.readHeaderBlock((await appended(padded)).ref);
  assert.equal(Buffer.byteLength(big.text), MAX_HEADER_BYTES);
  assert.equal(big.truncated, true);
});
