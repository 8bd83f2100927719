import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { MailAccount } from '../../src/core/session/mail-account';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { MAX_SECTIONS_PER_FETCH, renderContent, type RenderedMessage } from '../../src/core/reading/reader';
import { MAX_BODY_PARTS, MAX_INLINE_PARTS } from '../../src/core/reading/structure';
import {
  base64Lines,
  BIG_ATTACHMENT_SHA256,
  buildMessage,
  ENCODED_EXPECT,
  FIXTURES,
  fixture,
  PNG_1X1,
  uidOf,
} from '../harness/fixtures';
import { MemoryLogger, useServer } from './setup';

const ctx = useServer();
let account: MailAccount | undefined;
let uidValidity = '';
const downloads: string[] = [];
after(async () => {
  for (const d of downloads) await rm(d, { recursive: true, force: true });
});

async function ref(key: string): Promise<MessageRef> {
  if (!account) {
    account = ctx.mailAccount();
    uidValidity = (await account.listMessages('INBOX', { pageSize: 1 })).uidValidity;
  }
  return { mailbox: 'INBOX', uidValidity, uid: uidOf(key) };
}

async function open(key: string, allowRemote = false) {
  const r = await ref(key);
  const content = await account!.readMessage(r);
  return { content, view: renderContent(content, { allowRemote }) };
}

/** The plain-text parts of a rendered body, joined; and its HTML parts, joined. */
const textOf = (view: RenderedMessage) => view.body.map((b) => (b.kind === 'text' ? b.text : '')).join('\n');
const htmlOf = (view: RenderedMessage) => view.body.map((b) => (b.kind === 'html' ? b.html : '')).join('\n');

test('plain text: headers and body', async () => {
  const { view } = await open('plain');
  assert.match(textOf(view), /Hello from the plain fixture/);
  assert.deepEqual(
    view.body.map((b) => b.kind),
    ['text'],
  );
  assert.equal(view.messageId, '<plain-1@mailroom.test>');
  assert.equal(view.from[0]?.address, 'alice@example.test');
  assert.equal(view.subject, fixture('plain').subject);
  assert.equal(view.date, fixture('plain').date.toISOString());
  assert.deepEqual(view.attachments, []);
  assert.deepEqual(view.warnings, []);
});

test('HTML + text alternative: the HTML is shown once (quoted-printable, UTF-8), sanitized', async () => {
  const { view } = await open('html');
  assert.deepEqual(
    view.body.map((b) => b.kind),
    ['html'],
  );
  assert.match(htmlOf(view), /Hello <b>HTML<\/b>/);
  assert.match(htmlOf(view), /Grüße — the html alternative/);
  assert.deepEqual(view.attachments, []);
});

test('a 5 MB attachment is listed, not downloaded, until saved — then streamed intact', async () => {
  await account?.connect();
  await ref('big-attachment');
  account!.ops.client!.stats(true);
  const { view } = await open('big-attachment');
  const wire = account!.ops.client!.stats().received;
  assert.ok(wire < 64 * 1024, `opening the message read ${wire} bytes`);
  assert.match(textOf(view), /See the big file/);
  const big = view.attachments.find((a) => a.filename === 'big.bin');
  assert.ok(big, JSON.stringify(view.attachments));
  assert.ok(big.size > 5_000_000);

  const dir = await mkdtemp(join(tmpdir(), 'mailroom-dl-'));
  downloads.push(dir);
  const saved = await account!.saveAttachment(view.ref, big, dir);
  assert.equal(saved.path, join(dir, 'big.bin'));
  assert.equal(
    createHash('sha256')
      .update(await readFile(saved.path))
      .digest('hex'),
    BIG_ATTACHMENT_SHA256,
  );
  const again = await account!.saveAttachment(view.ref, big, dir);
  assert.equal(again.path, join(dir, 'big (1).bin'), 'never overwrites an existing file');
  assert.deepEqual((await readdir(dir)).sort(), ['big (1).bin', 'big.bin'], 'no temp files left behind');
});

test('attachments: listed with type and size; a small one saved', async () => {
  const { view } = await open('attachment');
  assert.deepEqual(
    view.attachments.map((a) => [a.filename, a.type]),
    [['report.pdf', 'application/pdf']],
  );
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-dl-'));
  downloads.push(dir);
  const saved = await account!.saveAttachment(view.ref, view.attachments[0]!, dir);
  assert.ok((await stat(saved.path)).size > 0);
  assert.equal((await readFile(saved.path)).subarray(0, 4).toString('latin1'), '%PDF');
});

test('inline cid: image is resolved to the fetched part, not listed as attachment', async () => {
  const { view } = await open('inline-image');
  assert.match(htmlOf(view), /<img[^>]+src="data:image\/png;base64,/);
  assert.ok(!/cid:/i.test(htmlOf(view)));
  assert.deepEqual(view.attachments, []);
});

test('RFC 2047 headers and RFC 2231 / 2047 file names are decoded', async () => {
  const { view } = await open('encoded');
  assert.equal(view.subject, ENCODED_EXPECT.subject);
  assert.deepEqual(view.from[0], { name: ENCODED_EXPECT.fromName, address: ENCODED_EXPECT.fromAddress });
  const names = view.attachments.map((a) => a.filename).sort();
  assert.deepEqual(names, [ENCODED_EXPECT.rfc2047Filename, ENCODED_EXPECT.rfc2231Filename].sort());
});

test('nested multiparts: one body, the attached message listed as an attachment', async () => {
  const { view } = await open('nested');
  assert.match(htmlOf(view), /Nested <i>html<\/i> part/);
  assert.match(
    htmlOf(view),
    /Related part with an image: <img src="data:image\/png;base64,/,
    'both inline parts of the mixed, in order',
  );
  assert.ok(
    view.attachments.some((a) => a.type === 'message/rfc822' && a.filename.endsWith('.eml')),
    JSON.stringify(view.attachments),
  );
});

test('a message without Message-ID still opens', async () => {
  const { view } = await open('no-message-id');
  assert.equal(view.messageId, undefined);
  assert.ok(textOf(view).length > 0);
});

test('hostile HTML is neutralised and remote content blocked until allowed', async () => {
  const { view, content } = await open('hostile-html');
  const html = htmlOf(view);
  assert.match(html, /safe link/);
  for (const bad of [
    '<script',
    'onerror=',
    'onclick=',
    'onload=',
    '<svg',
    '<embed',
    '<iframe',
    '<form',
    '<object',
    '<meta',
    '<base',
    'javascript:',
    '<link',
    '@import',
  ]) {
    assert.ok(!html.toLowerCase().includes(bad), `${bad} survived: ${html}`);
  }
  assert.ok(!/\ssrc="http:\/\/127\.0\.0\.1:9/.test(html), 'remote image blocked');
  assert.ok(view.remoteBlocked >= 2, `blocked ${view.remoteBlocked}`);
  assert.match(html, /href="https:\/\/example.com\/?"[^>]*data-external="true"/);
  const allowed = renderContent(content, { allowRemote: true });
  assert.match(htmlOf(allowed), /\ssrc="http:\/\/127\.0\.0\.1:9\/tracker.png"/);
  assert.ok(!htmlOf(allowed).includes('<script'));
});

test('hostile attachment names are made safe, and saving stays inside the folder', async () => {
  const { view } = await open('traversal-filename');
  const names = view.attachments.map((a) => a.filename);
  assert.deepEqual(names.sort(), ['_con.txt', 'passwd']);
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-dl-'));
  downloads.push(dir);
  const attachment = view.attachments.find((a) => a.filename === 'passwd')!;
  // Even a caller passing the raw (unsafe) name cannot escape the folder.
  const saved = await account!.saveAttachment(view.ref, { part: attachment.part, filename: '../../etc/passwd' }, dir);
  assert.equal(saved.path, join(dir, 'passwd'));
});

test('a moved-away message is a precise error', async () => {
  const r = await ref('plain');
  await assert.rejects(account!.readMessage({ ...r, uid: 99_999 }), /no longer in "INBOX"/);
});

test('a huge text body is fetched only up to the cap and marked truncated', async () => {
  const other = await ctx.otherClient('alice');
  const line = 'All work and no play makes a long mail. '.repeat(20) + '\n';
  const appended = await other.append(
    'INBOX',
    buildMessage({ from: 'big@example.test', to: 'alice@example.test', subject: 'Huge text', text: line.repeat(2000) }),
  );
  assert.ok(appended && appended.uid);
  await ref('plain');
  await account!.listMessages('INBOX', { pageSize: 1 });
  account!.ops.client!.stats(true);
  const content = await account!.readMessage(
    { mailbox: 'INBOX', uidValidity, uid: appended.uid },
    { maxTextBytes: 64 * 1024 },
  );
  assert.ok(account!.ops.client!.stats().received < 100 * 1024);
  assert.equal(content.truncated, true);
  assert.match(content.warnings.join(' '), /Only the first 64 KB/);
  assert.match(content.body[0]?.kind === 'text' ? content.body[0].text : '', /^All work and no play/);
});

test('a message the list already showed opens with one FETCH, and reads exactly as a cold open', async () => {
  const logger = new MemoryLogger();
  const listed = ctx.mailAccount('alice', {}, { logger, traceProtocol: true });
  const cold = ctx.mailAccount();
  const page = await listed.listMessages('INBOX', { pageSize: 1000 });
  const fetches = () => logger.lines.filter((l) => /^trace .*\bUID FETCH\b/.test(l)).length;
  for (const f of FIXTURES) {
    const r = { mailbox: 'INBOX', uidValidity: page.uidValidity, uid: uidOf(f.key) };
    assert.ok(
      page.messages.some((m) => m.uid === r.uid),
      `${f.key} is on the page`,
    );
    const before = fetches();
    const warm = await listed.readMessage(r);
    assert.equal(fetches() - before, 1, `${f.key}: one FETCH for headers and shown parts`);
    assert.deepEqual(warm, await cold.readMessage(r), `${f.key}: same content either way`);
  }
});

test('a listed message expunged elsewhere is a precise error, not an empty reader', async () => {
  const other = await ctx.otherClient('alice');
  const appended = await other.append(
    'INBOX',
    buildMessage({ from: 'gone@example.test', to: 'alice@example.test', subject: 'Soon gone', text: 'bye' }),
  );
  assert.ok(appended && appended.uid);
  const reader = ctx.mailAccount();
  const page = await reader.listMessages('INBOX', { pageSize: 5 });
  assert.ok(page.messages.some((m) => m.uid === appended.uid));
  await other.mailboxOpen('INBOX');
  await other.messageDelete(String(appended.uid), { uid: true });
  // Until this session hears of the expunge, the server may still serve the message; listing again tells it.
  assert.ok(!(await reader.listMessages('INBOX', { pageSize: 5 })).messages.some((m) => m.uid === appended.uid));
  await assert.rejects(
    reader.readMessage({ mailbox: 'INBOX', uidValidity: page.uidValidity, uid: appended.uid }),
    /no longer in "INBOX"/,
  );
});

// The malformed corpus (fixtures.ts): each shows what can be decoded, and says when it is damaged.
const CORPUS: Array<{ key: string; shows: RegExp[]; damage?: RegExp }> = [
  {
    key: 'mixed-inline-texts',
    shows: [
      /First part, <b>HTML<\/b> alternative/,
      /Second part: a forwarded note/,
      /Third part: an HTML note/,
      /Mailing-list footer/,
    ],
  },
  { key: 'odd-case-headers', shows: [/Odd case headers: café crème/] },
  { key: 'duplicate-params', shows: [/Duplicate parameters: the first boundary wins/] },
  { key: 'malformed-boundary', shows: [/Part one of a message whose closing boundary is missing/] },
  {
    key: 'boundary-in-part',
    shows: [/before the stray line/, /still text the user must see/],
    damage: /part 2 is where its headers should be/,
  },
  { key: 'deep-nesting', shows: [/Deep nesting: sixty levels down/] },
  { key: 'bad-charset', shows: [/Bad charset body: Caf/], damage: /not valid x-unknown-charset/ },
  { key: 'invalid-utf8', shows: [/Invalid UTF-8: caf/], damage: /not valid utf-8/ },
  { key: 'broken-base64', shows: [/Broken base64: this line decodes/], damage: /not base64/ },
  {
    key: 'broken-qp',
    shows: [/=ZZ is not an escape, é is/],
    damage: /"=" signs that are not quoted-printable escapes/,
  },
  {
    key: 'unknown-encoding',
    shows: [/Unknown transfer encoding: shown as it is/],
    damage: /unknown transfer encoding "x-made-up"/,
  },
  // IMAP cannot carry NUL in a BODY[] literal: Dovecot sends each as 0x80, not valid us-ascii.
  {
    key: 'nul-bytes',
    shows: [/NUL\ufffdbytes in the HTML part/],
    damage: /part 2 has bytes that are not valid us-ascii/,
  },
  {
    key: 'multipart-without-boundary',
    shows: [/Multipart without a boundary: the body is still text/],
    damage: /no MIME part could be found/,
  },
  { key: 'empty-multipart', shows: [/Only a preamble, no part at all/], damage: /no MIME part could be found/ },
];

for (const { key, shows, damage } of CORPUS) {
  test(`malformed corpus, ${key}: what can be decoded is shown${damage ? ', and the damage is said' : ', with no false alarm'}`, async () => {
    const { view } = await open(key);
    const shown = view.body.map((b) => (b.kind === 'text' ? b.text : b.html)).join('\n');
    let at = -1;
    for (const re of shows) {
      const m = re.exec(shown);
      assert.ok(m, `${re} is shown: ${JSON.stringify(shown).slice(0, 600)}`);
      assert.ok(m.index > at, `${re} comes after the text before it`);
      at = m.index;
    }
    assert.ok(!shown.includes('\u0000'));
    if (damage) assert.match(view.warnings.join('\n'), damage);
    else assert.deepEqual(view.warnings, []);
    if (damage) assert.match(view.warnings.join('\n'), /This message is damaged/);
  });
}

/** A message with `count` parts made by `part(i)` under one multipart of `type`. */
function manyParts(subject: string, type: string, first: string, part: (i: number) => string, count: number): Buffer {
  const boundary = `many-${count}`;
  let body =
    `From: many@example.test\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: ${type}; boundary="${boundary}"\r\n\r\n--${boundary}\r\n${first}\r\n`;
  for (let i = 0; i < count; i++) body += `--${boundary}\r\n${part(i)}\r\n`;
  return Buffer.from(`${body}--${boundary}--\r\n`, 'latin1');
}

async function appendAndList(raw: Buffer): Promise<MessageRef> {
  const other = await ctx.otherClient('alice');
  const appended = await other.append('INBOX', raw, ['\\Seen']);
  assert.ok(appended && appended.uid);
  await ref('plain');
  await account!.listMessages('INBOX', { pageSize: 1 }); // this session learns of the new message
  return { mailbox: 'INBOX', uidValidity, uid: appended.uid };
}

/** A one-part message whose body is `body` (bytes as written) under the given headers. */
function onePart(subject: string, contentType: string, encoding: string, body: Buffer): Buffer {
  const head =
    `From: parts@example.test\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: ${contentType}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
// "こんにちは" in ISO-2022-JP, "안녕" in ks_c_5601-1987 (CP949): charsets iconv-lite lacks or names otherwise.
const JIS = Buffer.from([
  0x1b, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x24, 0x4b, 0x24, 0x41, 0x24, 0x4f, 0x1b, 0x28, 0x42,
]);
const CP949 = Buffer.from([0xbe, 0xc8, 0xb3, 0xe7]);
/**
 * `shows`: what the reader must show. Each case is also compared with mailparser's reading of the
 * whole message, except where `rfc3676` gives the text: the libmime inside mailparser's splitter
 * is older and keeps the "> " of a flowed quoted line it joins, which RFC 3676 (4.5) removes.
 */
const DECODING_CASES: Array<{
  name: string;
  type: string;
  encoding: string;
  body: Buffer;
  shows: RegExp;
  rfc3676?: string;
}> = [
  {
    name: 'ISO-8859-1, quoted-printable',
    type: 'text/plain; charset=iso-8859-1',
    encoding: 'quoted-printable',
    body: latin1('Caf=E9 cr=E8me=\r\n br=FBl=E9e\r\n'),
    shows: /Café crème brûlée/,
  },
  {
    name: 'ISO-2022-JP, 7bit',
    type: 'text/plain; charset=ISO-2022-JP',
    encoding: '7bit',
    body: Buffer.concat([JIS, latin1('\r\n')]),
    shows: /こんにちは/,
  },
  {
    name: 'ks_c_5601-1987, base64',
    type: 'text/plain; charset=ks_c_5601-1987',
    encoding: 'base64',
    body: latin1(`${CP949.toString('base64')}\r\n`),
    shows: /안녕/,
  },
  {
    name: 'UTF-7 is not decoded into markup',
    type: 'text/html; charset=utf-7',
    encoding: '7bit',
    body: latin1('+ADw-b+AD4-hi+ADw-/b+AD4-\r\n'),
    shows: /\+ADw-b\+AD4-/,
  },
  {
    name: 'format=flowed; delsp=yes',
    type: 'text/plain; charset=utf-8; format=flowed; delsp=yes',
    encoding: '7bit',
    body: latin1('One long para \r\ngraph that flows.\r\n> quo \r\n> ted\r\nSig\r\n'),
    shows: /One long paragraph that flows\./,
    rfc3676: 'One long paragraph that flows.\n> quoted\nSig',
  },
  {
    // Quoted-printable drops trailing spaces (RFC 2045), so flowed text encodes them as =20.
    name: 'format=flowed without delsp, quoted-printable',
    type: 'text/plain; charset=utf-8; format=flowed',
    encoding: 'quoted-printable',
    body: latin1('A line that =\r\nis soft-broken=20\r\nand flowed.\r\n--=20\r\nSig\r\n'),
    shows: /A line that is soft-broken and flowed\./,
    rfc3676: 'A line that is soft-broken and flowed.\n-- \nSig',
  },
  {
    name: 'windows-1252 HTML, base64',
    type: 'text/html; charset=windows-1252',
    encoding: 'base64',
    body: latin1(`${latin1('<p>\x93Quoted\x94 \x80 5</p>\r\n').toString('base64')}\r\n`),
    shows: /“Quoted” € 5/,
  },
  {
    name: 'an unknown transfer encoding is read as 8bit',
    type: 'text/plain; charset=utf-8',
    encoding: 'x-uuencode',
    body: Buffer.from('raw bytes é\r\n', 'utf8'),
    shows: /raw bytes é/,
  },
];

test('text parts decode as mailparser decodes the whole message: charsets by alias, Japanese and Korean, no UTF-7, base64 and quoted-printable; format=flowed with and without delsp as RFC 3676 says', async () => {
  const { simpleParser } = await import('mailparser');
  for (const c of DECODING_CASES) {
    const raw = onePart(`Decoding: ${c.name}`, c.type, c.encoding, c.body);
    const r = await appendAndList(raw);
    const content = await account!.readMessage(r);
    const part = content.body[0];
    assert.ok(part, c.name);
    const shown = part.kind === 'html' ? part.unsafeHtml : part.text;
    assert.match(shown, c.shows, c.name);
    if (c.rfc3676 !== undefined) {
      assert.equal(shown, c.rfc3676, c.name);
      continue;
    }
    const whole = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
    assert.equal(shown, part.kind === 'html' ? whole.html : whole.text, c.name);
  }
});

test('4,500 inline images: the first 100 shown, the rest listed, the bound said, in FETCHes the server accepts', async () => {
  const count = 4500;
  const png = base64Lines(PNG_1X1);
  const html = `Content-Type: text/html; charset=us-ascii\r\n\r\n<p>Many images</p>${Array.from({ length: count }, (_, i) => `<img src="cid:img${i}@many">`).join('')}`;
  const r = await appendAndList(
    manyParts(
      'Many inline images',
      'multipart/related',
      html,
      (i) => `Content-Type: image/png\r\nContent-ID: <img${i}@many>\r\nContent-Transfer-Encoding: base64\r\n\r\n${png}`,
      count,
    ),
  );
  const logger = new MemoryLogger();
  const reader = ctx.mailAccount('alice', {}, { logger, traceProtocol: true });
  const content = await reader.readMessage(r);
  const view = renderContent(content, { allowRemote: false });
  assert.equal(content.cid.size, MAX_INLINE_PARTS);
  assert.equal((htmlOf(view).match(/src="data:image\/png/g) ?? []).length, MAX_INLINE_PARTS);
  assert.equal((htmlOf(view).match(/data-cid-missing/g) ?? []).length, count - MAX_INLINE_PARTS);
  assert.equal(view.attachments.length, count - MAX_INLINE_PARTS, 'the images not shown can still be saved');
  assert.match(view.warnings.join(' '), /4501 inline images|4500 inline images/);
  const fetches = logger.lines.filter((l) => /^trace .*\bUID FETCH\b/.test(l));
  assert.ok(
    fetches.every((l) => (l.match(/BODY\.PEEK\[/g) ?? []).length <= MAX_SECTIONS_PER_FETCH),
    'no FETCH names more than the bound',
  );
});

test('3,000 inline text parts: the first 50 shown in order, the rest listed as attachments, the bound said', async () => {
  const count = 3000;
  const r = await appendAndList(
    manyParts(
      'Many text parts',
      'multipart/mixed',
      'Content-Type: text/plain\r\n\r\nText part 0',
      (i) => `Content-Type: text/plain\r\n\r\nText part ${i + 1}`,
      count - 1,
    ),
  );
  const view = renderContent(await account!.readMessage(r), { allowRemote: false });
  assert.deepEqual(
    view.body.map((b) => (b.kind === 'text' ? b.text.trim() : '')),
    Array.from({ length: MAX_BODY_PARTS }, (_, i) => `Text part ${i}`),
  );
  assert.equal(view.attachments.length, count - MAX_BODY_PARTS);
  assert.match(view.warnings.join(' '), new RegExp(`${count} text parts; the first ${MAX_BODY_PARTS} are shown`));
});

test('HTML nested deeper than the reader renders is shown as plain text, with a note', async () => {
  const html = `${'<div>'.repeat(5000)}Deeply nested words${'</div>'.repeat(5000)}`;
  const r = await appendAndList(
    buildMessage({ from: 'deep@example.test', to: 'alice@example.test', subject: 'Deep HTML', text: 'plain', html }),
  );
  const view = renderContent(await account!.readMessage(r), { allowRemote: false });
  assert.deepEqual(
    view.body.map((b) => b.kind),
    ['text'],
  );
  assert.match(textOf(view), /Deeply nested words/);
  assert.match(view.warnings.join(' '), /nested more than 256 levels deep; it is shown as plain text/);
});

test('a part that did not decode is marked so, and "Show as…" reads its bytes again in the chosen charset', async () => {
  const { view } = await open('invalid-utf8');
  const part = view.body[0]!;
  assert.equal(part.undecodable, true);
  assert.equal(part.part, '1');
  const fine = (await open('plain')).view.body[0]!;
  assert.equal(fine.undecodable, undefined, 'a part that decoded offers nothing');
  const again = await account!.readPartAs(await ref('invalid-utf8'), '1', 'windows-1252');
  assert.equal(again.text, 'Invalid UTF-8: café ÿþ end.\r\n');
  assert.equal(again.truncated, false);
});
