// Reading one message: BODYSTRUCTURE first, then one FETCH of only the parts to show (size-capped),
// decoded by mailparser. Attachments are listed from the structure and downloaded on demand, one
// part streamed to a file: opening a mail with a 5 MB attachment never downloads the attachment.
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { access, copyFile, link, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FetchMessageObject } from 'imapflow';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { ImapConnection } from './connection';
import { MailError } from './errors';
import { safeFilename, uniqueName } from './filename';
import { type Address, assertUidValidity, type MessageRef, uidValidityOf } from './messages';
import { sanitizeHtml } from './sanitize';
import { type PartInfo, planMessage } from './structure';

export interface AttachmentInfo {
  part: string;
  /** Safe to use as a file name on any OS. */
  filename: string;
  type: string;
  /** Approximate decoded size in bytes. */
  size: number;
  contentId?: string;
}

/** Everything needed to show a message, before HTML sanitizing (which depends on a user choice). */
export interface MessageContent {
  ref: MessageRef;
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  date?: string;
  flags: string[];
  size: number;
  text?: string;
  /** Unsanitized HTML: never hand this to a webview, pass it through renderContent. */
  unsafeHtml?: string;
  /** Inline images as data: URLs, by Content-ID. */
  cid: Map<string, string>;
  attachments: AttachmentInfo[];
  truncated: boolean;
  warnings: string[];
}

export interface RenderedMessage extends Omit<MessageContent, 'unsafeHtml' | 'cid'> {
  /** Sanitized HTML, safe to display. */
  html?: string;
  /** Remote resources that were blocked (0 when allowed or none). */
  remoteBlocked: number;
}

export interface ReadOptions {
  readOnly?: boolean;
  /** Cap on the encoded bytes fetched per text part. */
  maxTextBytes?: number;
  /** Cap on the encoded bytes of all inline images together. */
  maxInlineBytes?: number;
}

// Only the headers the reader shows or links need: Received chains and DKIM signatures often
// outweigh a short mail's text.
const SHOWN_HEADERS = ['from', 'sender', 'reply-to', 'to', 'cc', 'date', 'subject', 'message-id', 'in-reply-to', 'references'];
const HEAD_QUERY = { uid: true, flags: true, size: true, internalDate: true, headers: SHOWN_HEADERS } as const;

const DEFAULT_MAX_TEXT = 2 * 1024 * 1024;
const DEFAULT_MAX_INLINE = 4 * 1024 * 1024;
const INLINE_IMAGE = /^image\/(png|jpe?g|gif|webp|bmp)$/;

function decodedSize(p: PartInfo): number {
  return p.encoding === 'base64' ? Math.floor((p.size * 3) / 4) : p.size;
}

/** imapflow keys partial fetches as "1]<0>"-like strings; find the buffer for a section. */
function partBuffer(msg: FetchMessageObject, part: string): Buffer | undefined {
  for (const [key, value] of msg.bodyParts ?? []) {
    if (key.toLowerCase().replace(/\]?<\d+>$/, '') === part.toLowerCase()) return value;
  }
  return undefined;
}

function toAddresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  const out: Address[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const a of entries) {
      if (a.group) visit(a.group);
      else out.push({ ...(a.name ? { name: a.name } : {}), ...(a.address ? { address: a.address } : {}) });
    }
  };
  for (const f of list) visit(f.value);
  return out;
}

/** Decodes one text part with mailparser, by wrapping it in the headers its structure describes. */
async function decodeTextPart(p: PartInfo, bytes: Buffer, truncated: boolean): Promise<string> {
  let body = bytes;
  if (truncated && p.encoding === 'base64') {
    // A cut inside a base64 quantum would decode to garbage at the end: stop at the last line.
    const end = body.lastIndexOf('\n');
    if (end > 0) body = body.subarray(0, end + 1);
  }
  const params = Object.entries({ charset: p.charset, ...(p.params ?? {}) })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `; ${k}="${String(v).replace(/["\\\r\n]/g, '')}"`)
    .join('');
  const header = `Content-Type: ${p.type}${params}\r\nContent-Transfer-Encoding: ${p.encoding ?? '7bit'}\r\n\r\n`;
  const parsed = await simpleParser(Buffer.concat([Buffer.from(header, 'latin1'), body]), {
    skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true,
  });
  return p.type === 'text/html' ? (typeof parsed.html === 'string' ? parsed.html : '') : (parsed.text ?? '');
}

function imageDataUrl(p: PartInfo, bytes: Buffer): string | undefined {
  if (!INLINE_IMAGE.test(p.type)) return undefined;
  let data: Buffer;
  if (p.encoding === 'base64') data = Buffer.from(bytes.toString('latin1'), 'base64');
  else if (!p.encoding || p.encoding === 'binary' || p.encoding === '8bit' || p.encoding === '7bit') data = bytes;
  else return undefined;
  return `data:${p.type};base64,${data.toString('base64')}`;
}

function attachmentInfo(p: PartInfo): AttachmentInfo {
  const info: AttachmentInfo = { part: p.part, filename: safeFilename(p.filename, p.type), type: p.type, size: decodedSize(p) };
  if (p.contentId) info.contentId = p.contentId;
  return info;
}

export async function readMessage(conn: ImapConnection, ref: MessageRef, opts: ReadOptions = {}): Promise<MessageContent> {
  const maxText = opts.maxTextBytes ?? DEFAULT_MAX_TEXT;
  const maxInline = opts.maxInlineBytes ?? DEFAULT_MAX_INLINE;
  return conn.withMailbox(ref.mailbox, { readOnly: opts.readOnly ?? false, idempotent: true }, async (client, mailbox) => {
    assertUidValidity(mailbox, ref);
    const gone = () => new MailError('messageNotFound', `The message is no longer in "${ref.mailbox}" (it was moved or deleted elsewhere).`, { ...ref });
    // A structure the message list already fetched saves a round trip: headers and parts in one FETCH.
    let structure = conn.structures.recall(ref);
    let head: FetchMessageObject | undefined;
    if (!structure) {
      head = await client.fetchOne(String(ref.uid), { ...HEAD_QUERY, bodyStructure: true }, { uid: true }) || undefined;
      if (!head || head.uid !== ref.uid) throw gone();
      structure = head.bodyStructure;
      conn.structures.remember(ref, structure);
    }
    const warnings: string[] = [];
    const plan = structure ? planMessage(structure) : { inline: [], attachments: [] };
    const textParts = [plan.html, plan.text].filter((p): p is PartInfo => p !== undefined);
    let inlineBudget = maxInline;
    const inlineParts = plan.html ? plan.inline.filter((p) => {
      if (!INLINE_IMAGE.test(p.type) || p.size > inlineBudget) return false;
      inlineBudget -= p.size;
      return true;
    }) : [];

    const wanted = [
      ...textParts.map((p) => (p.size > maxText ? { key: p.part, maxLength: maxText } : { key: p.part })),
      ...inlineParts.map((p) => ({ key: p.part })),
    ];
    let body: FetchMessageObject | undefined;
    if (wanted.length || !head) {
      const query = { ...(head ? { uid: true } : HEAD_QUERY), ...(wanted.length ? { bodyParts: wanted } : {}) };
      body = await client.fetchOne(String(ref.uid), query, { uid: true }) || undefined;
      if (!body || body.uid !== ref.uid) throw gone();
      head ??= body;
    }

    // Headers: mailparser decodes RFC 2047 words, raw UTF-8 and odd charsets better than ENVELOPE.
    let headers: ParsedMail | undefined;
    try {
      headers = await simpleParser(head.headers ?? Buffer.alloc(0), { skipHtmlToText: true, skipTextToHtml: true });
    } catch (err) {
      warnings.push(`The message headers could not be parsed: ${(err as Error).message}`);
    }

    let truncated = false;
    const decode = async (p: PartInfo | undefined): Promise<string | undefined> => {
      if (!p || !body) return undefined;
      const bytes = partBuffer(body, p.part) ?? Buffer.alloc(0);
      const cut = p.size > maxText;
      if (cut) {
        truncated = true;
        warnings.push(`Only the first ${Math.round(maxText / 1024)} KB of the ${p.type === 'text/html' ? 'HTML' : 'text'} body were loaded (it has ${Math.round(p.size / 1024)} KB).`);
      }
      try {
        return await decodeTextPart(p, bytes, cut);
      } catch (err) {
        warnings.push(`Part ${p.part} could not be decoded (${(err as Error).message}); it is shown as raw text.`);
        return bytes.toString('latin1');
      }
    };
    const unsafeHtml = await decode(plan.html);
    const text = await decode(plan.text);
    if (unsafeHtml === undefined && text === undefined && plan.attachments.length === 0) {
      warnings.push('This message has no text that can be shown.');
    }

    const cid = new Map<string, string>();
    for (const p of inlineParts) {
      const bytes = body && partBuffer(body, p.part);
      const url = bytes && imageDataUrl(p, bytes);
      if (url && p.contentId) cid.set(p.contentId, url);
    }
    // Inline resources the HTML never uses would otherwise be invisible: list them as attachments.
    const used = (id: string) => unsafeHtml !== undefined && unsafeHtml.toLowerCase().includes(`cid:${id.toLowerCase()}`);
    const attachments = [
      ...plan.attachments.map(attachmentInfo),
      ...plan.inline.filter((p) => !p.contentId || !used(p.contentId)).map(attachmentInfo),
    ];

    const content: MessageContent = {
      ref: { mailbox: ref.mailbox, uidValidity: uidValidityOf(mailbox), uid: ref.uid },
      references: headers?.references ? (Array.isArray(headers.references) ? headers.references : [headers.references]) : [],
      subject: headers?.subject ?? '',
      from: toAddresses(headers?.from),
      to: toAddresses(headers?.to),
      cc: toAddresses(headers?.cc),
      replyTo: toAddresses(headers?.replyTo),
      flags: [...(head.flags ?? [])],
      size: head.size ?? 0,
      cid,
      attachments,
      truncated,
      warnings,
    };
    const date = headers?.date ?? (head.internalDate ? new Date(head.internalDate) : undefined);
    if (date && !Number.isNaN(date.getTime())) content.date = date.toISOString();
    if (headers?.messageId) content.messageId = headers.messageId;
    if (headers?.inReplyTo) content.inReplyTo = headers.inReplyTo;
    if (text !== undefined) content.text = text;
    if (unsafeHtml !== undefined) content.unsafeHtml = unsafeHtml;
    return content;
  });
}

/** The displayable form of a message: HTML sanitized, remote content per the user's choice. */
export function renderContent(content: MessageContent, opts: { allowRemote: boolean }): RenderedMessage {
  const { unsafeHtml, cid, ...rest } = content;
  if (unsafeHtml === undefined) return { ...rest, remoteBlocked: 0 };
  const { html, remoteBlocked } = sanitizeHtml(unsafeHtml, { allowRemote: opts.allowRemote, cid });
  return { ...rest, html, remoteBlocked };
}

/**
 * Streams one attachment part to `dir`, under its safe name made unique. The file appears only
 * when complete (written to a temp name, then published without overwriting anything), readable
 * by its owner only: it is the content of someone's mail. A folder this creates is owner-only too.
 */
export async function saveAttachment(
  conn: ImapConnection,
  ref: MessageRef,
  attachment: Pick<AttachmentInfo, 'part' | 'filename'>,
  dir: string,
  opts: { readOnly?: boolean } = {},
): Promise<{ path: string; bytes: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.mailroom-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.part`);
  try {
    const bytes = await conn.withMailbox(ref.mailbox, { readOnly: opts.readOnly ?? false }, async (client, mailbox) => {
      assertUidValidity(mailbox, ref);
      const dl = await client.download(String(ref.uid), attachment.part, { uid: true, decodeText: false });
      if (!dl.content) throw new MailError('messageNotFound', `Attachment ${attachment.filename} is no longer on the server.`, { ...ref });
      let n = 0;
      dl.content.on('data', (chunk: Buffer) => { n += chunk.length; });
      await pipeline(dl.content, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      return n;
    });
    return { path: await publishExclusive(tmp, dir, safeFilename(attachment.filename)), bytes };
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Gives the finished file `tmp` its final name in `dir` (the first free variant of `name`), never
 * replacing a file that is there. A hard link does it atomically; FAT/exFAT, many network shares
 * and some platforms refuse hard links (EPERM, ENOTSUP, EXDEV, EISDIR on Windows' FAT…), and then
 * an exclusive copy does it (COPYFILE_EXCL: a name taken meanwhile fails instead of being
 * overwritten; a failed copy removes what it wrote). `tmp` stays for the caller to remove.
 */
export async function publishExclusive(tmp: string, dir: string, name: string): Promise<string> {
  let hardLink = true;
  for (;;) {
    const target = join(dir, await uniqueName(name, (c) => access(join(dir, c)).then(() => true, () => false)));
    try {
      if (hardLink) await link(tmp, target);
      else await copyFile(tmp, target, fsConstants.COPYFILE_EXCL);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // taken meanwhile: the next free name
      if (!hardLink) throw err;
      hardLink = false; // refused here: the same name again, by copy
    }
  }
}
