import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateAccount } from '../../src/core/session/account';
import { parseComposer, formatComposer } from '../../src/core/compose/document';
import { identityOf } from '../../src/core/compose/identity';
import {
  deriveForward,
  deriveReply,
  forwardSubject,
  MAX_REFERENCES,
  quotableText,
  replyReferences,
  replySubject,
} from '../../src/core/compose/reply';
import type { MessageContent } from '../../src/core/reading/reader';

const identity = identityOf(
  validateAccount({
    name: 'A',
    host: 'imap.example.test',
    user: 'alice',
    from: 'Alice Example <alice@example.test>',
    aliases: ['alice.sales@example.test', '*@alice.example.test'],
  }),
);

function message(over: Partial<MessageContent> = {}): MessageContent {
  return {
    ref: { mailbox: 'INBOX', uidValidity: '7', uid: 42 },
    messageId: '<m2@example.test>',
    inReplyTo: '<m1@example.test>',
    references: ['<m0@example.test>', '<m1@example.test>'],
    subject: 'Quarterly report',
    from: [{ name: 'Bob', address: 'bob@example.test' }],
    to: [{ name: 'Alice', address: 'alice@example.test' }, { address: 'carol@example.test' }],
    cc: [{ address: 'dave@example.test' }, { address: 'ALICE@example.test' }],
    replyTo: [],
    date: '2026-03-02T10:04:00.000Z',
    flags: [],
    size: 1234,
    body: [{ kind: 'text', part: '1', text: 'Can you send the Q1 figures?\n\n> earlier\n' }],
    cid: new Map(),
    attachments: [],
    truncated: false,
    warnings: [],
    ...over,
  };
}

test('subjects get exactly one "Re: " or "Fwd: ", whatever prefixes other clients used', () => {
  assert.equal(replySubject('Quarterly report'), 'Re: Quarterly report');
  assert.equal(replySubject('Re: Re: RE: Quarterly report'), 'Re: Quarterly report');
  assert.equal(replySubject('AW: Re[2]: Quarterly report'), 'Re: Quarterly report');
  assert.equal(replySubject('Fwd: Quarterly report'), 'Re: Fwd: Quarterly report');
  assert.equal(forwardSubject('Fwd: FW: Quarterly report'), 'Fwd: Quarterly report');
  assert.equal(forwardSubject('Re: Quarterly report'), 'Fwd: Re: Quarterly report');
});

test("References: the parent's References then its Message-ID; its In-Reply-To when it has no References; bounded", () => {
  assert.deepEqual(replyReferences(message()), ['<m0@example.test>', '<m1@example.test>', '<m2@example.test>']);
  assert.deepEqual(replyReferences(message({ references: [] })), ['<m1@example.test>', '<m2@example.test>']);
  assert.deepEqual(replyReferences(message({ references: [], inReplyTo: undefined })), ['<m2@example.test>']);
  const many = Array.from({ length: 50 }, (_, i) => `<r${i}@example.test>`);
  const bounded = replyReferences(message({ references: many }));
  assert.equal(bounded.length, MAX_REFERENCES);
  assert.equal(bounded[0], '<r0@example.test>', 'the thread root is kept');
  assert.equal(bounded.at(-1), '<m2@example.test>');
});

test('reply: To is From, threading headers set, the text quoted under an attribution, From is the address written to', () => {
  const seed = deriveReply(message(), identity, 'reply', { timeZone: 'UTC' });
  assert.deepEqual(seed.fields.to, [{ name: 'Bob', address: 'bob@example.test' }]);
  assert.deepEqual(seed.fields.cc, []);
  assert.equal(seed.fields.subject, 'Re: Quarterly report');
  assert.equal(seed.context.inReplyTo, '<m2@example.test>');
  assert.deepEqual(seed.context.references, ['<m0@example.test>', '<m1@example.test>', '<m2@example.test>']);
  assert.deepEqual(seed.context.original, { mailbox: 'INBOX', uidValidity: '7', uid: 42 });
  assert.equal(
    seed.fields.body,
    '\n\nOn Mon, 2 Mar 2026 at 10:04, Bob <bob@example.test> wrote:\n> Can you send the Q1 figures?\n>\n>> earlier\n',
  );
  assert.deepEqual(seed.fields.from, { name: 'Alice Example', address: 'alice@example.test' });
  // The composer text of a seed parses without problems.
  assert.deepEqual(parseComposer(formatComposer(seed.fields)).problems, []);
});

test('reply: Reply-To wins over From; a selection is quoted alone', () => {
  const seed = deriveReply(message({ replyTo: [{ address: 'list@example.test' }] }), identity, 'reply', {
    selection: 'the Q1 figures',
  });
  assert.deepEqual(seed.fields.to, [{ address: 'list@example.test' }]);
  assert.match(seed.fields.body, /\n> the Q1 figures\n$/);
  assert.doesNotMatch(seed.fields.body, /Can you send/);
});

test("reply all: the other To and Cc addresses, without the user's own (aliases and wildcards) and without duplicates", () => {
  const seed = deriveReply(
    message({
      to: [
        { address: 'alice.sales@example.test' },
        { address: 'carol@example.test' },
        { address: 'x@alice.example.test' },
      ],
      cc: [{ address: 'dave@example.test' }, { address: 'bob@example.test' }, { address: 'Carol@example.test' }],
    }),
    identity,
    'replyAll',
  );
  assert.deepEqual(
    seed.fields.to.map((a) => a.address),
    ['bob@example.test'],
  );
  assert.deepEqual(
    seed.fields.cc.map((a) => a.address),
    ['carol@example.test', 'dave@example.test'],
  );
  // Sent to an alias: the reply comes from that alias, under the identity's name.
  assert.deepEqual(seed.fields.from, { name: 'Alice Example', address: 'alice.sales@example.test' });
});

test("reply to one's own message continues with its recipients", () => {
  const seed = deriveReply(
    message({ from: [{ address: 'alice@example.test' }], to: [{ address: 'bob@example.test' }], cc: [] }),
    identity,
    'reply',
  );
  assert.deepEqual(
    seed.fields.to.map((a) => a.address),
    ['bob@example.test'],
  );
});

test('an HTML-only message is quoted as text; a sender name cannot become a Markdown link', () => {
  const seed = deriveReply(
    message({
      body: [
        {
          kind: 'html',
          part: '1',
          unsafeHtml:
            '<p>Hello <b>there</b></p><p>Second <a href="https://example.test/x">link</a></p><img src="https://t.example/pixel">',
        },
      ],
      from: [{ name: '[Bank](https://evil.example)', address: 'bob@example.test' }],
    }),
    identity,
    'reply',
    { timeZone: 'UTC' },
  );
  assert.match(seed.fields.body, /> Hello there\n>\n> Second link <https:\/\/example\.test\/x>/);
  assert.doesNotMatch(seed.fields.body, /pixel/);
  assert.match(seed.fields.body, /On .*, \\\[Bank\\\]\(https:\/\/evil\.example\) <bob@example\.test> wrote:/);
  assert.equal(quotableText({ body: [{ kind: 'html', part: '1', unsafeHtml: '<p>x</p>' }] }), 'x');
});

test('forward inline: header block, the text, the attachments as #n parts fetched only when sending', () => {
  const seed = deriveForward(
    message({
      attachments: [{ part: '2', filename: 'q1.pdf', type: 'application/pdf', size: 5000 }],
    }),
    identity,
    'inline',
    { timeZone: 'UTC' },
  );
  assert.equal(seed.fields.subject, 'Fwd: Quarterly report');
  assert.deepEqual(seed.fields.to, []);
  assert.deepEqual(seed.fields.attach, ['#1 q1.pdf']);
  assert.deepEqual(seed.context.parts, [
    {
      id: 1,
      kind: 'part',
      ref: { mailbox: 'INBOX', uidValidity: '7', uid: 42 },
      part: '2',
      filename: 'q1.pdf',
      contentType: 'application/pdf',
      size: 5000,
    },
  ]);
  assert.equal(seed.context.kind, 'forward');
  assert.equal(seed.context.inReplyTo, undefined);
  assert.match(
    seed.fields.body,
    /---------- Forwarded message ----------\nFrom: Bob <bob@example\.test>\nDate: Mon, 2 Mar 2026 at 10:04\nSubject: Quarterly report\nTo: Alice <alice@example\.test>, carol@example\.test\nCc: dave@example\.test, ALICE@example\.test\n\nCan you send the Q1 figures\?/,
  );
});

test('forward as attachment: the whole original as one message/rfc822 part', () => {
  const seed = deriveForward(message(), identity, 'attachment');
  assert.deepEqual(
    seed.context.parts.map((p) => [p.kind, p.filename]),
    [['message', 'Quarterly report.eml']],
  );
  assert.deepEqual(seed.fields.attach, ['#1 Quarterly report.eml']);
});

test('identity: from, else the IMAP user when it is an address; otherwise a clear config error', () => {
  assert.deepEqual(identityOf(validateAccount({ name: 'B', host: 'h', user: 'bob@example.test' })).from, {
    address: 'bob@example.test',
  });
  assert.throws(() => identityOf(validateAccount({ name: 'C', host: 'h', user: 'bob' })), /has no sender address/);
});
