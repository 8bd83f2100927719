import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildMessage } from '../../src/core/compose/build';
import { decodeFlowed, encodeFlowed } from '../../src/core/compose/flowed';
import { renderMarkdown } from '../../src/core/compose/markdown';

const LONG =
  'Numbers for the first quarter are in the report; revenue grew by twelve percent and costs stayed flat, as planned.';

test('format=flowed: long lines wrap at spaces as soft breaks and decode back to the same text', () => {
  const text = `${LONG}\n\nShort line.\nFrom here on we stuff.\n leading space\n> a quoted line stays exactly as it is even when it is longer than seventy-two characters\n-- \nAlice`;
  const flowed = encodeFlowed(text);
  const lines = flowed.split('\n');
  // Quotes are kept as they were written (see flowed.ts); everything else fits.
  assert.ok(
    lines.filter((l) => !l.startsWith('>')).every((l) => l.length <= 78),
    flowed,
  );
  // Every soft break ends in a space, and the wrapped paragraph is more than one line.
  const paragraph = lines.slice(0, lines.indexOf(''));
  assert.ok(paragraph.length > 1);
  assert.ok(paragraph.slice(0, -1).every((l) => l.endsWith(' ')));
  assert.ok(!paragraph.at(-1)!.endsWith(' '));
  assert.ok(lines.includes(' From here on we stuff.'), 'a line starting with "From " is space-stuffed');
  assert.ok(lines.includes('  leading space'), 'a line starting with a space is space-stuffed');
  assert.ok(lines.includes('-- '), 'the signature separator keeps its space');
  assert.equal(decodeFlowed(flowed), text);
});

test('format=flowed: trailing white space is removed (it would read as a soft break), code is not wrapped', () => {
  assert.equal(encodeFlowed('hard break here  \nnext'), 'hard break here\nnext');
  const code = '```\n' + 'x '.repeat(60) + '\n```';
  assert.equal(encodeFlowed(code), '```\n' + 'x '.repeat(60).trimEnd() + '\n```');
  // A wrapped piece that starts with ">" is text, not a quote: stuffed.
  const tricky = `${'word '.repeat(14)}> not a quote`;
  const enc = encodeFlowed(tricky);
  assert.ok(
    enc
      .split('\n')
      .slice(1)
      .every((l) => !l.startsWith('>')),
    enc,
  );
  assert.equal(decodeFlowed(enc), tricky);
});

test('format=flowed decoding joins soft breaks only within one quote depth', () => {
  assert.equal(decodeFlowed('>> nested one \n>> continued\n> outer'), '>> nested one continued\n> outer');
  assert.equal(decodeFlowed('a \nb', true), 'ab');
});

test('Markdown renders to sanitized HTML: no raw HTML, no script links, quotes stay quotes', () => {
  const html = renderMarkdown(
    '**bold** <script>alert(1)</script> [x](javascript:alert(1)) <b>tag</b>\n\n> quoted\n> > nested',
  );
  assert.match(html, /<strong>bold<\/strong>/);
  assert.doesNotMatch(html, /<script|<b>|href="javascript:/i);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /<blockquote>[\s\S]*<blockquote>[\s\S]*nested/);
});

test('the message: multipart/alternative of flowed text and HTML, threading headers, signature, Bcc only in the envelope', async () => {
  const built = await buildMessage({
    from: { name: 'Alice Example', address: 'alice@example.test' },
    to: [{ name: 'Bob', address: 'bob@example.test' }],
    cc: [{ address: 'carol@example.test' }],
    bcc: [{ address: 'dave@example.test' }],
    subject: 'Grüße zum Quartal',
    body: `Hi **Bob**,\n\n${LONG}\n\n> Can you send the Q1 figures?\n`,
    signature: 'Alice\nExample Corp',
    inReplyTo: 'parent@example.test',
    references: ['<root@example.test>', '<parent@example.test>'],
  });
  assert.match(built.messageId, /^<[0-9a-f-]{36}@example\.test>$/);
  assert.deepEqual(built.envelope, {
    from: 'alice@example.test',
    to: ['bob@example.test', 'carol@example.test', 'dave@example.test'],
  });
  const raw = built.raw.toString('latin1');
  assert.doesNotMatch(raw, /^Bcc:/im);
  assert.match(raw, /^Content-Type: multipart\/alternative/im);
  assert.match(raw, /^Content-Type: text\/plain; charset=utf-8; format=flowed/im);

  const parsed = await simpleParser(built.raw);
  assert.equal(parsed.subject, 'Grüße zum Quartal');
  assert.equal(parsed.messageId, built.messageId);
  assert.equal(parsed.inReplyTo, '<parent@example.test>');
  assert.deepEqual(parsed.references, ['<root@example.test>', '<parent@example.test>']);
  assert.equal(parsed.text, `Hi **Bob**,\n\n${LONG}\n\n> Can you send the Q1 figures?\n\n-- \nAlice\nExample Corp`);
  assert.match(String(parsed.html), /<strong>Bob<\/strong>/);
  assert.match(String(parsed.html), /<blockquote>\s*<p>Can you send the Q1 figures\?<\/p>\s*<\/blockquote>/);
  assert.match(String(parsed.html), /-- <br>Alice<br>Example Corp/);
});

test('plain format is text only; attachments make it multipart/mixed with the exact bytes; a draft keeps Bcc and no signature', async () => {
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 255]);
  const built = await buildMessage({
    from: { address: 'alice@example.test' },
    to: [{ address: 'bob@example.test' }],
    bcc: [{ address: 'dave@example.test' }],
    subject: 's',
    body: 'just text',
    format: 'plain',
    signature: 'Alice',
    draft: true,
    attachments: [
      { filename: 'data.bin', contentType: 'application/octet-stream', content: bytes },
      { filename: 'notes.txt', content: Buffer.from('unix\nline ends\n') },
    ],
  });
  const parsed = await simpleParser(built.raw);
  assert.match(built.raw.toString('latin1'), /^Content-Type: multipart\/mixed/im);
  assert.equal(parsed.html, false);
  assert.equal(parsed.text, 'just text');
  assert.equal(parsed.attachments.length, 2);
  assert.ok(parsed.attachments[0]!.content.equals(bytes));
  assert.equal(parsed.attachments[0]!.filename, 'data.bin');
  assert.equal(
    parsed.attachments[1]!.content.toString(),
    'unix\nline ends\n',
    'a text attachment keeps its exact bytes',
  );
  assert.doesNotMatch(built.raw.toString('latin1'), /[^\r]\n/, 'CRLF throughout: SMTP and APPEND get the same bytes');
  assert.deepEqual(
    (Array.isArray(parsed.bcc) ? parsed.bcc[0] : parsed.bcc)?.value.map((a) => a.address),
    ['dave@example.test'],
  );
});

test('a forwarded message/rfc822 attachment is carried as it is', async () => {
  const original = Buffer.from(
    'From: bob@example.test\r\nSubject: orig\r\nMessage-ID: <o@example.test>\r\n\r\nhello\r\n',
  );
  const built = await buildMessage({
    from: { address: 'alice@example.test' },
    to: [{ address: 'carol@example.test' }],
    subject: 'Fwd: orig',
    body: 'see below',
    attachments: [{ filename: 'orig.eml', contentType: 'message/rfc822', content: original, message: true }],
  });
  assert.match(built.raw.toString('latin1'), /Content-Type: message\/rfc822/);
  assert.ok(built.raw.includes(original) || built.raw.toString('latin1').includes('Subject: orig'));
});
