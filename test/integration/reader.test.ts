import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { MailAccount } from '../../src/core/account-session';
import type { MessageRef } from '../../src/core/messages';
import { renderContent } from '../../src/core/reader';
import { BIG_ATTACHMENT_SHA256, buildMessage, ENCODED_EXPECT, FIXTURES, fixture, uidOf } from '../harness/fixtures';
import { MemoryLogger, useServer } from './setup';

const ctx = useServer();
let account: MailAccount | undefined;
let uidValidity = '';
const downloads: string[] = [];
after(async () => { for (const d of downloads) await rm(d, { recursive: true, force: true }); });

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

test('plain text: headers and body', async () => {
  const { view } = await open('plain');
  assert.match(view.text ?? '', /Hello from the plain fixture/);
  assert.equal(view.html, undefined);
  assert.equal(view.messageId, '<plain-1@mailroom.test>');
  assert.equal(view.from[0]?.address, 'alice@example.test');
  assert.equal(view.subject, fixture('plain').subject);
  assert.equal(view.date, fixture('plain').date.toISOString());
  assert.deepEqual(view.attachments, []);
  assert.deepEqual(view.warnings, []);
});

test('HTML + text alternative: both decoded (quoted-printable, UTF-8), HTML sanitized', async () => {
  const { view } = await open('html');
  assert.match(view.html ?? '', /Hello <b>HTML<\/b>/);
  assert.ok(view.text && view.text.length > 0);
  assert.deepEqual(view.attachments, []);
});

test('a 5 MB attachment is listed, not downloaded, until saved — then streamed intact', async () => {
  await account?.connect();
  await ref('big-attachment');
  account!.ops.client!.stats(true);
  const { view } = await open('big-attachment');
  const wire = account!.ops.client!.stats().received;
  assert.ok(wire < 64 * 1024, `opening the message read ${wire} bytes`);
  assert.match(view.text ?? '', /See the big file/);
  const big = view.attachments.find((a) => a.filename === 'big.bin');
  assert.ok(big, JSON.stringify(view.attachments));
  assert.ok(big.size > 5_000_000);

  const dir = await mkdtemp(join(tmpdir(), 'mailroom-dl-'));
  downloads.push(dir);
  const saved = await account!.saveAttachment(view.ref, big, dir);
  assert.equal(saved.path, join(dir, 'big.bin'));
  assert.equal(createHash('sha256').update(await readFile(saved.path)).digest('hex'), BIG_ATTACHMENT_SHA256);
  const again = await account!.saveAttachment(view.ref, big, dir);
  assert.equal(again.path, join(dir, 'big (1).bin'), 'never overwrites an existing file');
  assert.deepEqual((await readdir(dir)).sort(), ['big (1).bin', 'big.bin'], 'no temp files left behind');
});

test('attachments: listed with type and size; a small one saved', async () => {
  const { view } = await open('attachment');
  assert.deepEqual(view.attachments.map((a) => [a.filename, a.type]), [['report.pdf', 'application/pdf']]);
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-dl-'));
  downloads.push(dir);
  const saved = await account!.saveAttachment(view.ref, view.attachments[0]!, dir);
  assert.ok((await stat(saved.path)).size > 0);
  assert.equal((await readFile(saved.path)).subarray(0, 4).toString('latin1'), '%PDF');
});

test('inline cid: image is resolved to the fetched part, not listed as attachment', async () => {
  const { view } = await open('inline-image');
  assert.match(view.html ?? '', /<img[^>]+src="data:image\/png;base64,/);
  assert.ok(!/cid:/i.test(view.html ?? ''));
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
  assert.ok(view.html || view.text, 'a body is shown');
  assert.ok(view.attachments.some((a) => a.type === 'message/rfc822' && a.filename.endsWith('.eml')), JSON.stringify(view.attachments));
});

test('a message without Message-ID still opens', async () => {
  const { view } = await open('no-message-id');
  assert.equal(view.messageId, undefined);
  assert.ok((view.text ?? '').length > 0);
});

test('hostile HTML is neutralised and remote content blocked until allowed', async () => {
  const { view, content } = await open('hostile-html');
  const html = view.html ?? '';
  assert.match(html, /safe link/);
  for (const bad of ['<script', 'onerror=', 'onclick=', 'onload=', '<svg', '<embed', '<iframe', '<form', '<object', '<meta', '<base', 'javascript:', '<link', '@import']) {
    assert.ok(!html.toLowerCase().includes(bad), `${bad} survived: ${html}`);
  }
  assert.ok(!/\ssrc="http:\/\/127\.0\.0\.1:9/.test(html), 'remote image blocked');
  assert.ok(view.remoteBlocked >= 2, `blocked ${view.remoteBlocked}`);
  assert.match(html, /href="https:\/\/example.com\/?"[^>]*data-external="true"/);
  const allowed = renderContent(content, { allowRemote: true });
  assert.match(allowed.html ?? '', /\ssrc="http:\/\/127\.0\.0\.1:9\/tracker.png"/);
  assert.ok(!(allowed.html ?? '').includes('<script'));
});

test('malformed MIME and unknown charsets render a fallback instead of failing', async () => {
  const broken = await open('malformed-boundary');
  assert.ok((broken.view.text ?? broken.view.html ?? '').length > 0 || broken.view.attachments.length > 0, 'something is shown');
  const charset = await open('bad-charset');
  assert.ok((charset.view.text ?? '').length > 0);
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
  const appended = await other.append('INBOX', buildMessage({ from: 'big@example.test', to: 'alice@example.test', subject: 'Huge text', text: line.repeat(2000) }));
  assert.ok(appended && appended.uid);
  await ref('plain');
  await account!.listMessages('INBOX', { pageSize: 1 });
  account!.ops.client!.stats(true);
  const content = await account!.readMessage({ mailbox: 'INBOX', uidValidity, uid: appended.uid }, { maxTextBytes: 64 * 1024 });
  assert.ok(account!.ops.client!.stats().received < 100 * 1024);
  assert.equal(content.truncated, true);
  assert.match(content.warnings.join(' '), /Only the first 64 KB/);
  assert.match(content.text ?? '', /^All work and no play/);
});

test('a message the list already showed opens with one FETCH, and reads exactly as a cold open', async () => {
  const logger = new MemoryLogger();
  const listed = ctx.mailAccount('alice', {}, { logger, traceProtocol: true });
  const cold = ctx.mailAccount();
  const page = await listed.listMessages('INBOX', { pageSize: 1000 });
  const fetches = () => logger.lines.filter((l) => /^trace .*\bUID FETCH\b/.test(l)).length;
  for (const f of FIXTURES) {
    const r = { mailbox: 'INBOX', uidValidity: page.uidValidity, uid: uidOf(f.key) };
    assert.ok(page.messages.some((m) => m.uid === r.uid), `${f.key} is on the page`);
    const before = fetches();
    const warm = await listed.readMessage(r);
    assert.equal(fetches() - before, 1, `${f.key}: one FETCH for headers and shown parts`);
    assert.deepEqual(warm, await cold.readMessage(r), `${f.key}: same content either way`);
  }
});

test('a listed message expunged elsewhere is a precise error, not an empty reader', async () => {
  const other = await ctx.otherClient('alice');
  const appended = await other.append('INBOX', buildMessage({ from: 'gone@example.test', to: 'alice@example.test', subject: 'Soon gone', text: 'bye' }));
  assert.ok(appended && appended.uid);
  const reader = ctx.mailAccount();
  const page = await reader.listMessages('INBOX', { pageSize: 5 });
  assert.ok(page.messages.some((m) => m.uid === appended.uid));
  await other.mailboxOpen('INBOX');
  await other.messageDelete(String(appended.uid), { uid: true });
  // Until this session hears of the expunge, the server may still serve the message; listing again tells it.
  assert.ok(!(await reader.listMessages('INBOX', { pageSize: 5 })).messages.some((m) => m.uid === appended.uid));
  await assert.rejects(reader.readMessage({ mailbox: 'INBOX', uidValidity: page.uidValidity, uid: appended.uid }), /no longer in "INBOX"/);
});
