// Every way a submission fails: a precise MailError naming the stage, nothing half-sent, nothing
// sent twice. The real Postfix where it can produce the fault, the scripted peer where it cannot.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AccountConfig } from '../../src/core/session/account';
import { newContext } from '../../src/core/compose/context';
import { retrySentCopy, sendMessage } from '../../src/core/compose/send';
import { probeSmtp } from '../../src/core/compose/smtp';
import { MailError } from '../../src/core/errors';
import {
  closedPort,
  type SmtpPeer,
  type SmtpPeerOptions,
  startSilentServer,
  startSmtpPeer,
} from '../harness/smtp-peer';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { messagesIn, useSubmission, waitForCount } from './compose-setup';

const ctx = useSubmission({ oauth2: { mechanisms: ['xoauth2'] }, postfix: { messageSizeLimit: 200_000 } });
const peers: Array<{ close(): Promise<void> }> = [];
let gmailLike: ImapProxy;
before(async () => {
  await ctx.submissionReady;
  gmailLike = await startProxy(ctx.server, { addCapabilities: ['X-GM-EXT-1'] });
});
after(async () => {
  await gmailLike?.close();
  for (const p of peers) await p.close();
});

const TEXT = 'To: bob@example.test\nSubject: fault test\n\nhello';

async function peer(opts: SmtpPeerOptions): Promise<SmtpPeer> {
  const p = await startSmtpPeer(ctx.server, opts);
  peers.push(p);
  return p;
}

function viaPeer(p: { port: number }, security: 'tls' | 'starttls' = 'starttls', extra: Partial<AccountConfig> = {}) {
  return ctx.composeAccount('alice', { smtp: { host: '127.0.0.1', port: p.port, security }, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MailError, `a MailError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the send to fail');
}

/** Messages in alice's Sent: a failed send must leave none. */
const sentCount = async () => (await messagesIn(await ctx.otherClient('alice'), 'Sent')).length;

test('wrong SMTP password (535): an auth error for the SMTP user, nothing sent, password not in the log', async () => {
  const alice = ctx.composeAccount('alice', {}, { pass: 'wrong-password-123' });
  const sentBefore = await sentCount();
  const err = await failure(sendMessage(alice, { text: TEXT, context: newContext() }));
  assert.equal(err.kind, 'auth');
  assert.match(err.message, /Wrong SMTP user name or password for alice/);
  assert.deepEqual(
    { stage: err.details.stage, smtp: err.details.smtp, sent: err.details.sent },
    { stage: 'auth', smtp: true, sent: false },
  );
  assert.equal(await sentCount(), sentBefore);
  assert.doesNotMatch(alice.logs.text, /wrong-password-123/);
});

test('an untrusted certificate (no caFile for the test CA) is refused before anything is sent', async () => {
  const alice = ctx.composeAccount('alice', { caFile: undefined });
  // The IMAP side needs the CA for the Sent copy; SMTP must fail before it matters.
  const err = await failure(sendMessage(alice, { text: TEXT, context: newContext() }));
  assert.equal(err.kind, 'certUntrusted');
  assert.equal(err.details.stage, 'tls');
});

test('connection refused and timeout say so', async () => {
  const refused = await failure(
    sendMessage(viaPeer({ port: await closedPort() }), { text: TEXT, context: newContext() }),
  );
  assert.equal(refused.kind, 'connectionRefused');
  const silent = await startSilentServer();
  peers.push(silent);
  const t0 = Date.now();
  const timeout = await failure(
    sendMessage(viaPeer(silent, 'starttls', { timeoutMs: 1000 }), { text: TEXT, context: newContext() }),
  );
  assert.equal(timeout.kind, 'timeout');
  assert.ok(Date.now() - t0 < 8000, 'nothing hangs');
});

test('a server that does not offer STARTTLS gets nothing, not even the password', async () => {
  const p = await peer({ hideStartTls: true });
  const err = await failure(sendMessage(viaPeer(p), { text: TEXT, context: newContext() }));
  assert.equal(err.kind, 'tlsUnavailable');
  assert.match(err.message, /did not offer STARTTLS/);
  assert.equal(p.received.length, 0);
});

test('a recipient refused by Postfix (5xx on RCPT) is named, and the others get nothing either', async () => {
  const alice = ctx.composeAccount('alice');
  const bob = await ctx.otherClient('bob');
  const deliveries = ctx.postfix.deliveries();
  const inbox = (await messagesIn(bob, 'INBOX')).length;
  const err = await failure(
    sendMessage(alice, {
      text: 'To: bob@example.test, nobody@example.test\nSubject: half\n\nx',
      context: newContext(),
    }),
  );
  assert.equal(err.kind, 'recipientRefused');
  assert.deepEqual(err.details.recipients, ['nobody@example.test']);
  assert.match(err.message, /nobody@example\.test \(550 .*User unknown/);
  // Give a wrongly accepted message every chance to arrive before concluding it did not.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(ctx.postfix.deliveries(), deliveries, 'Postfix delivered nothing');
  assert.equal((await messagesIn(bob, 'INBOX')).length, inbox, 'bob got nothing');
});

test("a 5xx on one RCPT at the scripted peer: nothing reaches DATA's end", async () => {
  const p = await peer({
    rcpt: (a) => (a === 'carol@example.test' ? { code: 550, message: '5.1.1 no such user' } : undefined),
  });
  const err = await failure(
    sendMessage(viaPeer(p), {
      text: 'To: bob@example.test, carol@example.test, dave@example.test\nSubject: s\n\nx',
      context: newContext(),
    }),
  );
  assert.equal(err.kind, 'recipientRefused');
  assert.deepEqual(err.details.recipients, ['carol@example.test']);
  assert.deepEqual(p.rcptSeen, ['bob@example.test', 'carol@example.test', 'dave@example.test']);
  assert.equal(p.received.length, 0, 'the peer received no message');
});

test('a temporary failure (4xx on RCPT) says so and sends nothing', async () => {
  const p = await peer({
    rcpt: (a) => (a === 'bob@example.test' ? { code: 451, message: '4.3.0 try again later' } : undefined),
  });
  const err = await failure(
    sendMessage(viaPeer(p), {
      text: 'To: bob@example.test, carol@example.test\nSubject: s\n\nx',
      context: newContext(),
    }),
  );
  assert.equal(err.kind, 'temporaryFailure');
  assert.ok(err.transient);
  assert.match(err.message, /bob@example\.test \(451 try again later\).*temporary/);
  assert.equal(p.received.length, 0);
});

test('message too large: refused before sending when EHLO SIZE is known, and a 552 on DATA is reported as such', async () => {
  const big = `To: bob@example.test\nSubject: big\n\n${'x'.repeat(300_000)}`;
  const alice = ctx.composeAccount('alice');
  assert.equal((await probeSmtp(alice.account, alice.smtpCredentials, { logger: alice.logger })).maxSize, 200_000);
  const before = ctx.postfix.deliveries();
  const err = await failure(sendMessage(alice, { text: big, context: newContext() }));
  assert.equal(err.kind, 'messageTooLarge');
  assert.equal(err.details.stage, 'envelope', 'refused before MAIL FROM, from the announced SIZE');
  assert.equal(ctx.postfix.deliveries(), before);

  const p = await peer({ data: { code: 552, message: '5.3.4 message size exceeds fixed limit' } });
  const err552 = await failure(sendMessage(viaPeer(p), { text: TEXT, context: newContext() }));
  assert.equal(err552.kind, 'messageTooLarge');
  assert.equal(err552.details.stage, 'data');
});

test('the connection cut during DATA: reported as such, nothing counted as sent', async () => {
  const p = await peer({ data: 'cut' });
  const sentBefore = await sentCount();
  const err = await failure(sendMessage(viaPeer(p), { text: TEXT, context: newContext() }));
  assert.equal(err.kind, 'connectionLost');
  assert.equal(err.details.stage, 'data');
  assert.equal(p.received.length, 0);
  assert.equal(await sentCount(), sentBefore, 'no Sent copy of an unconfirmed message');
});

test('a failed Sent copy after a successful send is reported, and a retry stores it without resending', async () => {
  const alice = ctx.composeAccount('alice');
  alice.folders = { sent: 'No Such Folder' };
  const bob = await ctx.otherClient('bob');
  const before = (await messagesIn(bob, 'INBOX')).length;
  const outcome = await sendMessage(alice, {
    text: 'To: bob@example.test\nSubject: copy fails\n\nx',
    context: newContext(),
  });
  assert.equal(outcome.sentCopy.status, 'failed');
  assert.match(
    outcome.sentCopy.status === 'failed' ? outcome.sentCopy.error.message : '',
    /was sent, but its copy could not be saved to Sent/,
  );
  const deliveries = ctx.postfix.deliveries();
  alice.folders = {};
  const retried = await retrySentCopy(alice, outcome);
  assert.equal(retried.status, 'saved');
  await waitForCount(bob, 'INBOX', before + 1);
  assert.equal(
    (await messagesIn(bob, 'INBOX')).filter((m) => m.parsed.subject === 'copy fails').length,
    1,
    'sent once',
  );
  assert.equal(ctx.postfix.deliveries(), deliveries, 'the retry submitted nothing');
});

test('a server that files sent mail itself (X-GM-EXT-1) gets no Sent copy; saveSentCopy false turns it off', async () => {
  const gmail = ctx.composeAccount('alice', { port: gmailLike.port });
  const sentBefore = await sentCount();
  const a = await sendMessage(gmail, { text: TEXT, context: newContext() });
  assert.deepEqual(a.sentCopy, { status: 'skipped', reason: 'serverFilesSentMail' });
  const b = await sendMessage(ctx.composeAccount('alice'), { text: TEXT, context: newContext(), saveSentCopy: false });
  assert.deepEqual(b.sentCopy, { status: 'skipped', reason: 'disabled' });
  assert.equal(await sentCount(), sentBefore);
});

test('XOAUTH2: a rejected access token is refreshed once and the message goes out; a second rejection is an OAuth error', async () => {
  const oauth = ctx.server.oauth!;
  const good = await oauth.issueToken('alice');
  const asked: boolean[] = [];
  const alice = ctx.composeAccount('alice', { oauth2TokenCommand: 'unused: tokens come from the provider below' });
  alice.smtpCredentials = async ({ user, refresh }) => {
    asked.push(refresh);
    return { user, accessToken: refresh ? good : 'expired-token-xyz' };
  };
  const outcome = await sendMessage(alice, { text: TEXT, context: newContext() });
  assert.deepEqual(outcome.submitted.accepted, ['bob@example.test']);
  assert.deepEqual(asked, [false, true]);
  assert.doesNotMatch(alice.logs.text, new RegExp(good));

  alice.smtpCredentials = async ({ user }) => ({ user, accessToken: 'still-bad-token' });
  const err = await failure(sendMessage(alice, { text: TEXT, context: newContext() }));
  assert.equal(err.kind, 'auth');
  assert.equal(err.details.oauth, true);
});
