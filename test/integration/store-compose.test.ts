// Writing mail through the account store: send, saveDraft, discardDraft and retrySentCopy are
// operations like any other, and the store announces what they changed (the original's flag, the
// Sent copy, the Drafts folder) so the tree and the reader follow without being patched. Real
// Postfix + Dovecot; what the server holds is checked with an independent IMAP client.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { formatComposer } from '../../src/core/compose/document';
import { newContext } from '../../src/core/compose/context';
import { deriveReply } from '../../src/core/compose/reply';
import { identityOf } from '../../src/core/compose/identity';
import { isMailError } from '../../src/core/errors';
import { sameRef, type MessageRef } from '../../src/core/mailbox/messages';
import type { StoreEvent } from '../../src/core/sync/store-events';
import { Flag } from '../../src/shared/flags';
import { messagesIn, seedMessage, useSubmission, waitForCount } from './compose-setup';
import { storeFor, until } from './store-setup';

const ctx = useSubmission();
before(async () => {
  await ctx.submissionReady;
});

const CRLF = '\r\n';

function original(subject: string, messageId: string): string {
  return [
    'From: Bob <bob@example.test>',
    'To: Alice Example <alice@example.test>',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    'Date: Mon, 02 Mar 2026 10:04:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Can you send the figures?',
    '',
  ].join(CRLF);
}

function aliceStore(config: Parameters<typeof storeFor>[2] = {}) {
  return storeFor(ctx, 'alice', {
    ...config,
    config: {
      from: 'Alice Example <alice@example.test>',
      smtp: { host: ctx.postfix.host, port: ctx.postfix.smtpsPort, security: 'tls' },
      ...config.config,
    },
  });
}

const messageEvents = (events: StoreEvent[], path: string) =>
  events.filter((e): e is Extract<StoreEvent, { kind: 'messages' }> => e.kind === 'messages' && e.path === path);

test("a reply sent through the store reaches bob; the store announces the original's \\Answered and the new Sent copy", async () => {
  const alice = await ctx.otherClient('alice');
  const bob = await ctx.otherClient('bob');
  const ref = await seedMessage(alice, 'INBOX', original('Figures', '<fig-1@example.test>'), [Flag.Seen]);
  const { store, events } = aliceStore();
  await store.open('INBOX');
  await store.loadFolders();
  const sentPath = 'Sent';
  await store.open(sentPath);
  const sentBefore = store.folderState(sentPath)!.messages.length;
  const bobBefore = (await messagesIn(bob, 'INBOX')).length;

  const content = await store.readMessage(ref);
  const seed = deriveReply(content, identityOf(store.config), 'reply');
  const text = formatComposer({ ...seed.fields, body: `Here they are.${seed.fields.body}` });
  events.length = 0;
  const outcome = await store.apply({ kind: 'send', request: { text, context: seed.context } });

  assert.equal(outcome.done, true);
  assert.equal(outcome.sent?.sentCopy.status, 'saved');
  await waitForCount(bob, 'INBOX', bobBefore + 1);
  const got = (await messagesIn(bob, 'INBOX')).find((m) => m.parsed.messageId === outcome.sent!.messageId)!;
  assert.equal(got.parsed.subject, 'Re: Figures');
  assert.equal(got.parsed.inReplyTo, '<fig-1@example.test>');

  // The original: \Answered on the server, and announced as a changed row.
  const onServer = (await messagesIn(alice, 'INBOX')).find((m) => m.uid === ref.uid)!;
  assert.ok(onServer.flags.has(Flag.Answered));
  assert.ok(store.flags(ref)?.includes(Flag.Answered), 'the store knows the original is answered');
  assert.ok(
    messageEvents(events, 'INBOX').some((e) => e.origin === 'operation' && e.changed.some((r) => sameRef(r, ref))),
    'a messages event names the original as changed',
  );
  // The Sent copy: in the loaded Sent folder, announced as added.
  const sentCopy = outcome.sent!.sentCopy as { status: 'saved'; ref: MessageRef };
  await until('the Sent copy announced', () =>
    messageEvents(events, sentPath).some((e) => e.added.some((r) => sameRef(r, sentCopy.ref))),
  );
  assert.equal(store.folderState(sentPath)!.messages.length, sentBefore + 1);
  const sentOnServer = (await messagesIn(alice, sentPath)).filter(
    (m) => m.parsed.messageId === outcome.sent!.messageId,
  );
  assert.equal(sentOnServer.length, 1);
  assert.ok(sentOnServer[0]!.flags.has(Flag.Seen));
});

test('saving a draft twice leaves one draft; each save and the discard are announced on Drafts', async () => {
  const alice = await ctx.otherClient('alice');
  const { store, events } = aliceStore();
  await store.loadFolders();
  await store.open('Drafts');
  // Another folder opened after it takes the live slot: Drafts is loaded but not live, so what
  // the store shows of it is what the operations announce (a live folder hears it by IDLE).
  await store.open('Archive');
  await until('Drafts not live', () => store.liveState('Drafts')?.status !== 'live');
  const before = (await messagesIn(alice, 'Drafts')).length;
  const text = (body: string) =>
    formatComposer({
      from: { address: 'alice@example.test' },
      to: [{ address: 'bob@example.test' }],
      cc: [],
      subject: 'Plans',
      attach: [],
      body,
    });
  events.length = 0;
  const first = await store.apply({ kind: 'saveDraft', request: { text: text('first'), context: newContext() } });
  const v1 = first.draft!.context.draft!;
  const second = await store.apply({
    kind: 'saveDraft',
    request: { text: text('second'), context: first.draft!.context },
  });
  const v2 = second.draft!.context.draft!;
  assert.notEqual(v1.uid, v2.uid);

  const drafts = await messagesIn(alice, 'Drafts');
  assert.equal(drafts.length, before + 1, 'exactly one draft more than before');
  const mine = drafts.find((m) => m.uid === v2.uid)!;
  assert.equal(mine.parsed.text?.trim(), 'second');
  assert.ok(mine.flags.has(Flag.Draft));
  const ev = messageEvents(events, 'Drafts').filter((e) => e.origin === 'operation');
  assert.ok(ev.some((e) => e.added.some((r) => sameRef(r, v1))));
  assert.ok(ev.some((e) => e.added.some((r) => sameRef(r, v2))));
  assert.ok(ev.some((e) => e.removed.some((r) => sameRef(r, v1))));
  const shown = store.folderState('Drafts')!.messages;
  assert.ok(shown.some((m) => sameRef(m, v2)) && !shown.some((m) => sameRef(m, v1)));

  const discarded = await store.apply({ kind: 'discardDraft', context: second.draft!.context });
  assert.equal(discarded.removed?.status, 'removed', JSON.stringify(discarded.removed));
  assert.equal((await messagesIn(alice, 'Drafts')).length, before);
  assert.ok(messageEvents(events, 'Drafts').some((e) => e.removed.some((r) => sameRef(r, v2))));
  assert.ok(!store.folderState('Drafts')!.messages.some((m) => sameRef(m, v2)));
});

test('sending a resumed draft removes it from Drafts, and the store says so', async () => {
  const alice = await ctx.otherClient('alice');
  const { store, events } = aliceStore();
  await store.loadFolders();
  await store.open('Drafts');
  const text = formatComposer({
    from: { address: 'alice@example.test' },
    to: [{ address: 'bob@example.test' }],
    cc: [],
    subject: 'From a draft',
    attach: [],
    body: 'ready now',
  });
  const saved = await store.apply({ kind: 'saveDraft', request: { text, context: newContext() } });
  const draft = saved.draft!.context.draft!;
  events.length = 0;
  const outcome = await store.apply({ kind: 'send', request: { text, context: saved.draft!.context } });
  assert.equal(outcome.sent?.draft?.status, 'removed');
  assert.ok(!(await messagesIn(alice, 'Drafts')).some((m) => m.uid === draft.uid));
  assert.ok(messageEvents(events, 'Drafts').some((e) => e.removed.some((r) => sameRef(r, draft))));
});

test('a wrong SMTP password forgets only the SMTP entry, never the IMAP password, and the account stays connected', async () => {
  const { store, forgotten } = aliceStore({
    config: { smtp: { host: ctx.postfix.host, port: ctx.postfix.smtpsPort, security: 'tls', user: 'bob' } },
  });
  // The store asks its one password provider for both entries; bob's SMTP password is wrong.
  await store.loadFolders();
  await until('connected', () => store.status.kind === 'connected');
  const text = formatComposer({
    from: { address: 'alice@example.test' },
    to: [{ address: 'bob@example.test' }],
    cc: [],
    subject: 'Never sent',
    attach: [],
    body: 'x',
  });
  await assert.rejects(
    store.apply({ kind: 'send', request: { text, context: newContext() } }),
    (err) =>
      isMailError(err, 'auth') &&
      err.details.smtp === true &&
      /Wrong SMTP user name or password for bob/.test(err.message),
  );
  await until('the SMTP entry forgotten', () => forgotten.length > 0);
  assert.deepEqual(forgotten, ['alice-test (SMTP)']);
  assert.equal(store.status.kind, 'connected');
});

test('a message the composer check refuses is not sent and does not put the account in error', async () => {
  const { store, forgotten } = aliceStore();
  await store.loadFolders();
  const text = formatComposer({
    from: { address: 'alice@example.test' },
    to: [],
    cc: [],
    subject: 'nobody',
    attach: [],
    body: 'x',
  });
  await assert.rejects(store.apply({ kind: 'send', request: { text, context: newContext() } }), (err) =>
    isMailError(err, 'config'),
  );
  assert.deepEqual(forgotten, []);
  assert.notEqual(store.status.kind, 'error');
});

test("a message's List-Post header is read unfolded (Reply to List); a message without one gives none", async () => {
  const alice = await ctx.otherClient('alice');
  const withList = await seedMessage(
    alice,
    'INBOX',
    [
      'From: Carol <carol@example.test>',
      'To: dev@lists.example.test',
      'Subject: [dev] Release plan',
      'Message-ID: <list-1@example.test>',
      'List-Post: <https://lists.example.test/post>,',
      ' <mailto:dev@lists.example.test>',
      'Content-Type: text/plain',
      '',
      'Plan below.',
      '',
    ].join(CRLF),
  );
  const without = await seedMessage(alice, 'INBOX', original('No list', '<nolist-1@example.test>'));
  const { store } = aliceStore();
  await store.loadFolders();
  assert.equal(
    await store.header(withList, 'list-post'),
    '<https://lists.example.test/post>, <mailto:dev@lists.example.test>',
  );
  assert.equal(await store.header(without, 'list-post'), undefined);
});

test('sending from an account without SMTP settings says what to add, and the IMAP account stays usable', async () => {
  const { store, forgotten } = aliceStore({ config: { smtp: undefined } });
  await store.loadFolders();
  await until('connected', () => store.status.kind === 'connected');
  const text = formatComposer({
    from: { address: 'alice@example.test' },
    to: [{ address: 'bob@example.test' }],
    cc: [],
    subject: 'No SMTP',
    attach: [],
    body: 'x',
  });
  await assert.rejects(
    store.apply({ kind: 'send', request: { text, context: newContext() } }),
    (err) => isMailError(err, 'config') && /has no SMTP server for sending: add "smtp"/.test(err.message),
  );
  assert.equal(store.status.kind, 'connected');
  assert.deepEqual(forgotten, []);
});
