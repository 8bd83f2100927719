import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildThreads } from '../../src/core/mailbox/threads';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { useServer } from './setup';

const ctx = useServer();
let noThread: ImapProxy;
before(async () => {
  await ctx.ready;
  noThread = await startProxy(ctx.server, { hideCapabilities: ['THREAD=REFERENCES'] });
});
after(async () => {
  await noThread?.close();
});

test('the server threads by References, which the summaries alone cannot see', async () => {
  const other = await ctx.otherClient();
  await other.mailboxCreate('Threads');
  let day = 0;
  const mail = (subject: string, id: string, extra: { inReplyTo?: string; references?: string[] } = {}) =>
    other.append(
      'Threads',
      buildMessage({
        from: 'f@example.test',
        to: 'alice@example.test',
        subject,
        text: subject,
        messageId: id,
        date: new Date(Date.UTC(2026, 2, ++day)),
        ...extra,
      }),
    );
  const uid = async (p: ReturnType<typeof mail>) => {
    const r = await p;
    assert.ok(r && r.uid);
    return r.uid;
  };
  const plan = await uid(mail('Plan', 'plan@t'));
  const lunch = await uid(mail('Lunch', 'lunch@t'));
  const refsOnly = await uid(mail('Re: Plan', 'r1@t', { references: ['plan@t'] }));
  const answer = await uid(mail('Re: Re: Plan', 'r2@t', { inReplyTo: 'r1@t', references: ['plan@t', 'r1@t'] }));

  const account = ctx.mailAccount();
  const page = await account.listMessages('Threads', { pageSize: 50 });
  const parents = await account.threadParents('Threads', plan);
  assert.ok(parents, 'Dovecot offers THREAD=REFERENCES');
  assert.equal(parents.get(refsOnly), plan);
  assert.equal(parents.get(answer), refsOnly);
  assert.equal(parents.has(lunch), false);

  const subjects = (nodes: ReturnType<typeof buildThreads>): unknown[] =>
    nodes.map((n) => (n.replies.length ? [n.message.subject, subjects(n.replies)] : n.message.subject));
  assert.deepEqual(subjects(buildThreads(page.messages, parents)), [
    ['Plan', [['Re: Plan', ['Re: Re: Plan']]]],
    'Lunch',
  ]);
  assert.deepEqual(
    subjects(buildThreads(page.messages)),
    [['Re: Plan', ['Re: Re: Plan']], 'Lunch', 'Plan'],
    'without the server, a reply that only has References starts its own thread',
  );

  assert.equal(
    await ctx.mailAccount('alice', { port: noThread.port }).threadParents('Threads', plan),
    undefined,
    'a server without THREAD=REFERENCES: undefined, so the caller falls back',
  );
});
