import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageSummary } from '../../src/core/messages';
import { buildThreads } from '../../src/core/threads';

let uid = 0;
const msg = (subject: string, date: string, messageId?: string, inReplyTo?: string): MessageSummary => ({
  mailbox: 'INBOX', uidValidity: '1', uid: ++uid, flags: [], date: `2026-03-${date}T10:00:00.000Z`, from: [], to: [], cc: [],
  subject, size: 1, hasAttachments: false, ...(messageId ? { messageId } : {}), ...(inReplyTo ? { inReplyTo } : {}),
});

test('replies nest under their parent; threads sort by their latest message', () => {
  const a = msg('Plan', '01', '<a@x>');
  const b = msg('Re: Plan', '03', '<b@x>', '<a@x>');
  const c = msg('Re: Re: Plan', '05', '<c@x>', '<B@X>');
  const d = msg('Lunch', '04', '<d@x>');
  const orphan = msg('Re: lost', '02', '<e@x>', '<not-loaded@x>');
  const threads = buildThreads([d, c, b, a, orphan]);
  assert.deepEqual(threads.map((t) => t.message.subject), ['Plan', 'Lunch', 'Re: lost']);
  assert.equal(threads[0]!.latest, c.date);
  assert.deepEqual(threads[0]!.replies.map((r) => r.message.subject), ['Re: Plan']);
  assert.deepEqual(threads[0]!.replies[0]!.replies.map((r) => r.message.subject), ['Re: Re: Plan']);
});

test('self-replies, loops and duplicate Message-IDs never hide a message', () => {
  const self = msg('self', '01', '<s@x>', '<s@x>');
  const p = msg('p', '02', '<p@x>', '<q@x>');
  const q = msg('q', '03', '<q@x>', '<p@x>');
  const dup1 = msg('dup1', '04', '<d@x>');
  const dup2 = msg('dup2', '05', '<d@x>');
  const threads = buildThreads([self, p, q, dup1, dup2]);
  const count = (nodes: typeof threads): number => nodes.reduce((n, t) => n + 1 + count(t.replies), 0);
  assert.equal(count(threads), 5);
});
