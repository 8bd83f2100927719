// A connection that dies without a FIN or RST (NAT timeout, Wi-Fi or VPN change) looks alive to
// the socket forever. Mailroom must notice within seconds, carry on on a fresh connection where
// that is safe, and say exactly what it does not know where it is not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MailAccount, MailAccountOptions } from '../../src/core/session/mail-account';
import { MailError } from '../../src/core/errors';
import { nextEvent } from '../../src/core/events';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { serverView, useServer } from './setup';

const ctx = useServer();
let proxy: ImapProxy;

before(async () => {
  await ctx.ready;
  proxy = await startProxy(ctx.server);
});
after(() => proxy?.close());

const via = (options: Partial<MailAccountOptions>) => ctx.mailAccount('alice', { port: proxy.port }, options);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seed(account: MailAccount, path: string, subject: string): Promise<MessageRef> {
  const other = await ctx.otherClient();
  await other.mailboxCreate(path).catch(() => undefined);
  const r = await other.append(
    path,
    buildMessage({
      from: 'f@example.test',
      to: 'alice@example.test',
      subject,
      text: subject,
      messageId: `<${subject}@mailroom.test>`,
    }),
  );
  const page = await account.listMessages(path, { pageSize: 10 });
  return { mailbox: path, uidValidity: page.uidValidity, uid: r && r.uid ? r.uid : 0 };
}

const flagsOn = async (ref: MessageRef) => (await serverView(await ctx.otherClient(), ref.mailbox)).get(ref.uid)?.flags;

test(
  'a connection gone silently dead is found out by a NOOP before it is used again; the flag change goes through on a fresh one',
  { timeout: 30_000 },
  async () => {
    // The command deadline is long here: only the NOOP probe can explain a fast answer.
    const account = via({ deadlines: { probeAfterMs: 300, probeMs: 1000, commandMs: 25_000 } });
    const ref = await seed(account, 'Dead/Probe', 'probe-me');
    await sleep(400);
    const accepted = proxy.connectionsAccepted;
    assert.equal(proxy.blackHoleAll() > 0, true);
    const started = Date.now();
    await account.setFlags([ref], { add: ['\\Flagged'] });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.ok((await flagsOn(ref))?.has('\\Flagged'), 'the server has the flag');
    assert.equal(proxy.connectionsAccepted, accepted + 1, 'one fresh connection');
  },
);

test(
  'a command whose connection dies under it fails at the command deadline; a flag change is retried once on a fresh connection',
  { timeout: 30_000 },
  async () => {
    const account = via({ deadlines: { probeAfterMs: 60_000, commandMs: 1500 } });
    const ref = await seed(account, 'Dead/Retry', 'retry-me');
    const accepted = proxy.connectionsAccepted;
    proxy.blackHoleAll();
    // imapflow answers `false` (not an exception) for a STORE on a connection that timed out:
    // this must not read as the server refusing the flag.
    await account.setFlags([ref], { add: ['\\Flagged'] });
    assert.ok((await flagsOn(ref))?.has('\\Flagged'), 'the server has the flag');
    assert.equal(proxy.connectionsAccepted, accepted + 1, 'retried on one fresh connection');
  },
);

test(
  'a move whose connection dies under it is not retried and says exactly what is not known',
  { timeout: 30_000 },
  async () => {
    const account = via({ deadlines: { probeAfterMs: 60_000, commandMs: 2000 } });
    const ref = await seed(account, 'Dead/Move', 'move-me');
    proxy.blackHoleAll();
    const err = await account.move([ref], 'Archive').then(
      () => assert.fail('the move cannot have been confirmed'),
      (e: unknown) => e as MailError,
    );
    assert.ok(err instanceof MailError, String(err));
    assert.equal(err.kind, 'timeout', err.message);
    assert.equal(err.details.uncertain, true);
    assert.match(
      err.message,
      /did not answer for 2 s; the move to "Archive" may or may not have happened — check "Dead\/Move" and "Archive"/,
    );
    // The MOVE never reached the server, and it was not sent again.
    const subjects = async (path: string) =>
      [...(await serverView(await ctx.otherClient(), path)).values()].map((m) => m.subject);
    assert.deepEqual(await subjects('Dead/Move'), ['move-me']);
    assert.ok(!(await subjects('Archive')).includes('move-me'));
    // The account carries on.
    assert.equal((await account.listMessages('Dead/Move')).messages.length, 1);
  },
);

test(
  'a watcher whose connection went silently dead reconnects by itself and delivers the mail that came meanwhile',
  { timeout: 30_000 },
  async () => {
    const account = via({ deadlines: { commandMs: 1000 }, backoff: { baseMs: 50, maxMs: 400 } });
    const watcher = await account.watch('INBOX');
    await sleep(300); // in IDLE
    proxy.blackHoleAll();
    const added = nextEvent(watcher.onDidAddMessages, (m) => m.some((s) => s.subject === 'while dark'));
    await (
      await ctx.otherClient()
    ).append(
      'INBOX',
      buildMessage({ from: 'x@example.test', to: 'alice@example.test', subject: 'while dark', text: 'x' }),
    );
    assert.equal((await added).find((s) => s.subject === 'while dark')?.subject, 'while dark');
    assert.equal(watcher.state.status, 'live');
    watcher.dispose();
  },
);

test(
  'new mail shows within seconds of arrival, and so does the next one right after it',
  { timeout: 60_000 },
  async () => {
    // Default options: how soon the watcher re-enters IDLE is the product's setting, not the test's.
    const account = ctx.mailAccount('alice');
    const watcher = await account.watch('INBOX');
    const other = await ctx.otherClient();
    const latency: number[] = [];
    for (const subject of ['first of two', 'second of two']) {
      const added = nextEvent(watcher.onDidAddMessages, (m) => m.some((s) => s.subject === subject));
      const sent = Date.now();
      await other.append(
        'INBOX',
        buildMessage({ from: 'x@example.test', to: 'alice@example.test', subject, text: 'x' }),
      );
      await added;
      latency.push(Date.now() - sent);
    }
    assert.ok(
      latency.every((ms) => ms < 5000),
      `latencies ${latency.join(', ')} ms`,
    );
    watcher.dispose();
  },
);
