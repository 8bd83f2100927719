import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageSummary } from '../../src/core/mailbox/messages';
import { buildThreads, parentsFromThreadResponse } from '../../src/core/mailbox/threads';

let uid = 0;
const msg = (subject: string, date: string, messageId?: string, inReplyTo?: string): MessageSummary => ({
  mailbox: 'INBOX',
  uidValidity: '1',
  uid: ++uid,
  flags: [],
  date: `2026-03-${date}T10:00:00.000Z`,
  from: [],
  to: [],
  cc: [],
  subject,
  size: 1,
  hasAttachments: false,
  ...(messageId ? { messageId } : {}),
  ...(inReplyTo ? { inReplyTo } : {}),
});

test('replies nest under their parent; threads sort by their latest message', () => {
  const a = msg('Plan', '01', '<a@x>');
  const b = msg('Re: Plan', '03', '<b@x>', '<a@x>');
  const c = msg('Re: Re: Plan', '05', '<c@x>', '<B@X>');
  const d = msg('Lunch', '04', '<d@x>');
  const orphan = msg('Re: lost', '02', '<e@x>', '<not-loaded@x>');
  const threads = buildThreads([d, c, b, a, orphan]);
  assert.deepEqual(
    threads.map((t) => t.message.subject),
    ['Plan', 'Lunch', 'Re: lost'],
  );
  assert.equal(threads[0]!.latest, c.date);
  assert.deepEqual(
    threads[0]!.replies.map((r) => r.message.subject),
    ['Re: Plan'],
  );
  assert.deepEqual(
    threads[0]!.replies[0]!.replies.map((r) => r.message.subject),
    ['Re: Re: Plan'],
  );
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

// The shape imapflow's parser gives `* THREAD (2)(3 6 (4 23)(44 7 96))` (RFC 5256's example).
const atom = (n: number | string) => ({ type: 'ATOM', value: String(n) });
const list = (...xs: unknown[]) => xs.map((x) => (Array.isArray(x) ? x : atom(x as number)));

test('THREAD answers become parent links: chains, branches, and a missing root', () => {
  const rfc = [list(2), list(3, 6, list(4, 23), list(44, 7, 96))];
  assert.deepEqual(
    [...parentsFromThreadResponse(rfc)].sort((a, b) => a[0] - b[0]),
    [
      [4, 6],
      [6, 3],
      [7, 44],
      [23, 4],
      [44, 6],
      [96, 7],
    ],
  );
  // ((3)(5 6)): 3 and 5 answer a message that is not in the folder; 5 hangs under 3.
  assert.deepEqual(
    [...parentsFromThreadResponse([list(list(3), list(5, 6))])],
    [
      [5, 3],
      [6, 5],
    ],
  );
  assert.deepEqual([...parentsFromThreadResponse([list('x', -1, 0), 'junk', [null]])], [], 'non-UIDs are ignored');
});

test('server links group what In-Reply-To cannot; In-Reply-To still covers messages the server has not threaded yet', () => {
  uid = 100;
  const root = msg('Plan', '01', '<r@x>');
  const refsOnly = msg('Re: Plan', '02', '<k@x>'); // only a References header: invisible to ENVELOPE
  const fresh = msg('Re: Re: Plan', '03', '<f@x>', '<k@x>'); // arrived after the THREAD answer
  const deep = msg('Re: far', '04', '<d@x>'); // its parent 50 is on a page not loaded: grandparent is
  const server = new Map([
    [refsOnly.uid, root.uid],
    [deep.uid, 50],
    [50, root.uid],
  ]);
  const threads = buildThreads([fresh, deep, refsOnly, root], server);
  assert.deepEqual(
    threads.map((t) => t.message.subject),
    ['Plan'],
  );
  assert.deepEqual(
    threads[0]!.replies.map((r) => r.message.subject),
    ['Re: Plan', 'Re: far'],
  );
  assert.deepEqual(
    threads[0]!.replies[0]!.replies.map((r) => r.message.subject),
    ['Re: Re: Plan'],
  );
  const cyclic = new Map([
    [root.uid, refsOnly.uid],
    [refsOnly.uid, root.uid],
  ]);
  const count = (nodes: ReturnType<typeof buildThreads>): number => nodes.reduce((n, t) => n + 1 + count(t.replies), 0);
  assert.equal(count(buildThreads([root, refsOnly], cyclic)), 2, 'a cycle from the server hides nothing');
});
