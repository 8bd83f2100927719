// Writing mail against the real stack: Postfix (submission, SASL against Dovecot, LMTP delivery)
// and Dovecot (IMAP). What arrived is always checked with an independent IMAP client.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { formatComposer } from '../../src/core/compose/document';
import { identityOf } from '../../src/core/compose/identity';
import { deriveForward, deriveReply } from '../../src/core/compose/reply';
import { newContext } from '../../src/core/compose/context';
import { sendMessage } from '../../src/core/compose/send';
import { readMessage } from '../../src/core/reading/reader';
import { messagesIn, seedMessage, useSubmission, waitForCount } from './compose-setup';

const ctx = useSubmission();
before(async () => {
  await ctx.submissionReady;
});

const CRLF = '\r\n';
const ATTACHMENT = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 256));

/** An original from bob to alice (and the team list), with an attachment: raw MIME, not our builder. */
function original(subject: string, messageId: string): string {
  const b64 = ATTACHMENT.toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return [
    'From: Bob <bob@example.test>',
    'To: Alice <alice@example.test>, team@example.test',
    'Cc: alice.sales@example.test',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    'In-Reply-To: <root@example.test>',
    'References: <root@example.test>',
    'Date: Mon, 02 Mar 2026 10:04:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Can you send the Q1 figures?',
    '--b1',
    'Content-Type: application/octet-stream; name="q1.bin"',
    'Content-Disposition: attachment; filename="q1.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    b64,
    '--b1--',
    '',
  ].join(CRLF);
}

test("a new message from alice arrives in bob's INBOX with both parts, and is in alice's Sent once with \\Seen, byte for byte", async () => {
  const alice = ctx.composeAccount('alice');
  const bob = await ctx.otherClient('bob');
  const before = (await messagesIn(bob, 'INBOX')).length;
  const text = formatComposer({
    from: { name: 'Alice Example', address: 'alice@example.test' },
    to: [{ name: 'Bob', address: 'bob@example.test' }],
    cc: [],
    subject: 'Numbers',
    attach: [],
    body: 'Hi **Bob**,\n\n> a quote stays a quote\n\n- one\n- two\n',
  });
  const t0 = Date.now();
  const outcome = await sendMessage(alice, { text, context: newContext() });
  const submitMs = Date.now() - t0;
  assert.deepEqual(outcome.submitted.accepted, ['bob@example.test']);
  assert.match(outcome.submitted.response, /^250 /);
  await waitForCount(bob, 'INBOX', before + 1);
  console.log(`send round trip: submitted in ${submitMs} ms, in bob's INBOX after ${Date.now() - t0} ms`);

  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.messageId)!;
  assert.ok(got, 'delivered to bob');
  assert.equal(got.parsed.subject, 'Numbers');
  assert.deepEqual(got.parsed.from?.value, [{ name: 'Alice Example', address: 'alice@example.test' }]);
  // (the line break before the MIME boundary belongs to the boundary)
  assert.equal(got.parsed.text, 'Hi **Bob**,\n\n> a quote stays a quote\n\n- one\n- two');
  assert.match(String(got.parsed.html), /<strong>Bob<\/strong>/);
  assert.match(String(got.parsed.html), /<blockquote>\s*<p>a quote stays a quote<\/p>\s*<\/blockquote>/);
  assert.match(String(got.parsed.html), /<li>one<\/li>/);

  assert.equal(outcome.sentCopy.status, 'saved');
  const sent = (await messagesIn(await ctx.otherClient('alice'), 'Sent')).filter(
    (m) => m.parsed.messageId === outcome.messageId,
  );
  assert.equal(sent.length, 1, 'exactly one copy in Sent');
  assert.ok(sent[0]!.flags.has('\\Seen'));
  assert.ok(sent[0]!.source.equals(outcome.raw), 'the Sent copy is the exact bytes that were submitted');
  // What bob got is those bytes too, after the headers Postfix and Dovecot prepend.
  assert.ok(got.source.subarray(got.source.length - outcome.raw.length).equals(outcome.raw));
});

test('reply as alice: bob gets it with In-Reply-To, References, Re: subject and From; Sent once; the original \\Answered', async () => {
  const alice = ctx.composeAccount('alice');
  const aliceImap = await ctx.otherClient('alice');
  const bob = await ctx.otherClient('bob');
  const ref = await seedMessage(aliceImap, 'INBOX', original('Quarterly report', '<q-report@example.test>'));
  const content = await readMessage(alice.imap, ref);
  const seed = deriveReply(content, identityOf(alice.account), 'reply', { timeZone: 'UTC' });
  const text = formatComposer({ ...seed.fields, body: `Thanks — numbers below.${seed.fields.body}` });
  const before = (await messagesIn(bob, 'INBOX')).length;

  const outcome = await sendMessage(alice, { text, context: seed.context });
  await waitForCount(bob, 'INBOX', before + 1);
  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.messageId)!;
  assert.equal(got.parsed.subject, 'Re: Quarterly report');
  assert.equal(got.parsed.inReplyTo, '<q-report@example.test>');
  assert.deepEqual(got.parsed.references, ['<root@example.test>', '<q-report@example.test>']);
  assert.deepEqual(got.parsed.from?.value, [{ name: 'Alice Example', address: 'alice@example.test' }]);
  assert.deepEqual(got.parsed.to && !Array.isArray(got.parsed.to) ? got.parsed.to.value : [], [
    { name: 'Bob', address: 'bob@example.test' },
  ]);
  assert.match(
    got.parsed.text ?? '',
    /^Thanks — numbers below\.\n\nOn Mon, 2 Mar 2026 at 10:04, Bob <bob@example\.test> wrote:\n> Can you send the Q1 figures\?/,
  );

  const sent = (await messagesIn(aliceImap, 'Sent')).filter((m) => m.parsed.messageId === outcome.messageId);
  assert.equal(sent.length, 1);
  assert.ok(sent[0]!.flags.has('\\Seen'));
  assert.deepEqual(outcome.original, { status: 'flagged', flag: '\\Answered' });
  const flags = (await messagesIn(aliceImap, 'INBOX')).find((m) => m.uid === ref.uid)!.flags;
  assert.ok(flags.has('\\Answered'), 'the original is marked answered on the server');
});

test("reply all: the other recipients, without alice's own addresses, from the alias the mail was sent to", async () => {
  const alice = ctx.composeAccount('alice', { aliases: ['alice.sales@example.test'] });
  const aliceImap = await ctx.otherClient('alice');
  const bob = await ctx.otherClient('bob');
  const ref = await seedMessage(
    aliceImap,
    'INBOX',
    original('Team plan', '<team-plan@example.test>').replace('To: Alice <alice@example.test>, ', 'To: '),
  );
  const content = await readMessage(alice.imap, ref);
  const seed = deriveReply(content, identityOf(alice.account), 'replyAll');
  assert.deepEqual(seed.fields.from, { name: 'Alice Example', address: 'alice.sales@example.test' });
  const before = (await messagesIn(bob, 'INBOX')).length;

  const outcome = await sendMessage(alice, {
    text: formatComposer({ ...seed.fields, body: `Agreed.${seed.fields.body}` }),
    context: seed.context,
  });
  assert.deepEqual(outcome.submitted.accepted.sort(), ['bob@example.test', 'team@example.test']);
  await waitForCount(bob, 'INBOX', before + 1);
  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.messageId)!;
  const list = (f: typeof got.parsed.to) => (f && !Array.isArray(f) ? f.value.map((a) => a.address) : []);
  assert.deepEqual(list(got.parsed.to), ['bob@example.test']);
  assert.deepEqual(list(got.parsed.cc), ['team@example.test']);
  assert.equal(got.parsed.from?.value[0]?.address, 'alice.sales@example.test');
});

test("forward inline: the original's attachment arrives byte-identical, fetched only at send time; the original gets $Forwarded", async () => {
  const alice = ctx.composeAccount('alice');
  const aliceImap = await ctx.otherClient('alice');
  const bob = await ctx.otherClient('bob');
  const ref = await seedMessage(aliceImap, 'INBOX', original('Figures', '<figures@example.test>'));
  const content = await readMessage(alice.imap, ref);
  const seed = deriveForward(content, identityOf(alice.account), 'inline', { timeZone: 'UTC' });
  assert.deepEqual(seed.fields.attach, ['#1 q1.bin']);
  const text = formatComposer({
    ...seed.fields,
    to: [{ address: 'bob@example.test' }],
    body: `FYI${seed.fields.body}`,
  });
  const before = (await messagesIn(bob, 'INBOX')).length;

  const outcome = await sendMessage(alice, { text, context: seed.context });
  await waitForCount(bob, 'INBOX', before + 1);
  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.messageId)!;
  assert.equal(got.parsed.subject, 'Fwd: Figures');
  assert.equal(got.parsed.attachments.length, 1);
  assert.equal(got.parsed.attachments[0]!.filename, 'q1.bin');
  assert.ok(got.parsed.attachments[0]!.content.equals(ATTACHMENT), 'attachment bytes identical');
  assert.match(got.parsed.text ?? '', /---------- Forwarded message ----------\nFrom: Bob <bob@example\.test>/);
  assert.deepEqual(outcome.original, { status: 'flagged', flag: '$Forwarded' });
  assert.ok((await messagesIn(aliceImap, 'INBOX')).find((m) => m.uid === ref.uid)!.flags.has('$Forwarded'));
});

test('forward as attachment: the original travels whole as message/rfc822', async () => {
  const alice = ctx.composeAccount('alice');
  const aliceImap = await ctx.otherClient('alice');
  const bob = await ctx.otherClient('bob');
  const raw = original('Whole', '<whole@example.test>');
  const ref = await seedMessage(aliceImap, 'INBOX', raw);
  const seed = deriveForward(await readMessage(alice.imap, ref), identityOf(alice.account), 'attachment');
  const before = (await messagesIn(bob, 'INBOX')).length;
  const outcome = await sendMessage(alice, {
    text: formatComposer({ ...seed.fields, to: [{ address: 'bob@example.test' }], body: 'attached' }),
    context: seed.context,
    format: 'plain',
  });
  await waitForCount(bob, 'INBOX', before + 1);
  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.messageId)!;
  assert.equal(got.parsed.html, false, 'plain format: no HTML part');
  const eml = got.parsed.attachments.find((a) => a.contentType === 'message/rfc822')!;
  assert.ok(eml, 'a message/rfc822 attachment');
  assert.ok(eml.content.equals(Buffer.from(raw)), 'the original, byte for byte');
});

test('implicit TLS (465) and STARTTLS (587) both submit; the SMTP log never holds the password', async () => {
  for (const [port, security] of [
    [ctx.postfix.submissionPort, 'starttls'],
    [ctx.postfix.smtpsPort, 'tls'],
  ] as const) {
    const alice = ctx.composeAccount('alice', { smtp: { host: ctx.postfix.host, port, security } });
    const outcome = await sendMessage(alice, {
      text: 'To: bob@example.test\nSubject: via ' + security + '\n\nhello',
      context: newContext(),
    });
    assert.deepEqual(outcome.submitted.accepted, ['bob@example.test']);
  }
  const traced = ctx.composeAccount('alice');
  traced.traceProtocol = true;
  await sendMessage(traced, { text: 'To: bob@example.test\nSubject: traced\n\nhello', context: newContext() });
  assert.match(traced.logs.text, /C: AUTH PLAIN \*\*\*/);
  assert.doesNotMatch(traced.logs.text, /alicepw|YWxpY2Vwdw|AGFsaWNlAGFsaWNlcHc/);
});
