// Reading one message: BODYSTRUCTURE first, then FETCHes of only the parts to show (size-capped,
// at most MAX_SECTIONS_PER_FETCH sections each), decoded by mailparser. Attachments are listed from
// the structure and downloaded on demand, one part streamed to a file: opening a mail with a 5 MB
// attachment never downloads the attachment. Damage (broken encodings, bytes not valid in their
// charset, NUL bytes, a structure with no part) is shown as far as it decodes, and said.
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { access, copyFile, link, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FetchMessageObject, FetchQueryObject, ImapFlow, MessageStructureObject } from 'imapflow';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { safeFilename, uniqueName } from './filename';
import { htmlToText } from './html-text';
import { libmime, libmimeCharset, libqp, mailparser } from '../libraries';
import { type Address, assertUidValidity, type MessageRef, uidValidityOf } from '../mailbox/messages';
import { HtmlTooComplex, MAX_STYLESHEET_CHARS, referencedCids, sanitizeHtml } from './sanitize';
import { authenticationResultsOf } from './sender-auth';
import { type MailingList, parseListHeaders } from '../lists/list-headers';
import { type MessagePlan, type PartInfo, planMessage } from './structure';

export interface AttachmentInfo {
  part: string;
  /** Safe to use as a file name on any OS. */
  filename: string;
  type: string;
  /** Approximate decoded size in bytes. */
  size: number;
  contentId?: string;
}

/** One part of the body, in reading order. */
export type BodyContent =
  | { kind: 'text'; part: string; text: string }
  /** Unsanitized HTML: never hand this to a webview, pass it through renderContent. */
  | { kind: 'html'; part: string; unsafeHtml: string };

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
  /** The text and HTML parts to show one after the other (RFC 2046). */
  body: BodyContent[];
  /** Inline images as data: URLs, by Content-ID. */
  cid: Map<string, string>;
  attachments: AttachmentInfo[];
  truncated: boolean;
  warnings: string[];
  /** Authentication-Results header values, topmost (the receiving server's) first. */
  authenticationResults?: string[];
  /** The mailing list it came through (List-* headers), when it did. */
  list?: MailingList;
}

export type RenderedBody =
  | { kind: 'text'; text: string; part?: string; undecodable?: true }
  /** Sanitized HTML, safe to display. */
  | { kind: 'html'; html: string; part?: string; undecodable?: true };

export interface RenderedMessage extends Omit<MessageContent, 'body' | 'cid'> {
  body: RenderedBody[];
  /** Remote resources that were blocked (0 when allowed or none). */
  remoteBlocked: number;
}

export interface ReadOptions {
  readOnly?: boolean;
  /** Which alternative of a multipart/alternative to read (default: the richest). */
  prefer?: 'rich' | 'plain';
  /** Cap on the encoded bytes fetched of all text parts together. */
  maxTextBytes?: number;
  /** Cap on the encoded bytes of all inline images together. */
  maxInlineBytes?: number;
}

// Only the headers the reader shows or links need: Received chains and DKIM signatures often
// outweigh a short mail's text.
const SHOWN_HEADERS = [
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'date',
  'subject',
  'message-id',
  'in-reply-to',
  'references',
  'authentication-results',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-post',
  'list-archive',
  'list-help',
];
const HEAD_QUERY = { uid: true, flags: true, size: true, internalDate: true, headers: SHOWN_HEADERS } as const;

const DEFAULT_MAX_TEXT = 2 * 1024 * 1024;
const DEFAULT_MAX_INLINE = 4 * 1024 * 1024;
const INLINE_IMAGE = /^image\/(png|jpe?g|gif|webp|bmp)$/;
/**
 * A FETCH names at most this many sections: servers refuse long command lines (Dovecot near
 * 4,000 sections), and the plan's bounds keep a message to a few such FETCHes.
 */
export const MAX_SECTIONS_PER_FETCH = 50;
const KNOWN_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

const damaged = (what: string) => `This message is damaged: ${what}`;

function decodedSize(p: PartInfo): number {
  return p.encoding === 'base64' ? Math.floor((p.size * 3) / 4) : p.size;
}

/** imapflow keys partial fetches as "1]<0>"-like strings; find the buffer for a section. */
function partBuffer(parts: Map<string, Buffer>, section: string): Buffer | undefined {
  return parts.get(section.toLowerCase());
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

/** What is wrong with a part's transfer encoding, found in one pass over its bytes. */
function encodingDamage(p: PartInfo, bytes: Buffer, truncated: boolean): string | undefined {
  const encoding = p.encoding ?? '7bit';
  if (!KNOWN_ENCODINGS.has(encoding))
    return `part ${p.part} uses the unknown transfer encoding "${encoding}" and is shown undecoded.`;
  if (encoding === 'base64') {
    let chars = 0;
    for (const b of bytes) {
      const isB64 =
        (b >= 0x41 && b <= 0x5a) ||
        (b >= 0x61 && b <= 0x7a) ||
        (b >= 0x30 && b <= 0x39) ||
        b === 0x2b ||
        b === 0x2f ||
        b === 0x3d;
      if (isB64) chars++;
      else if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09)
        return `part ${p.part} has characters that are not base64; what could be decoded is shown.`;
    }
    if (!truncated && chars % 4 !== 0)
      return `part ${p.part} ends in the middle of its base64 encoding; what could be decoded is shown.`;
  }
  if (encoding === 'quoted-printable') {
    const hex = (b: number | undefined) =>
      b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
    for (let i = bytes.indexOf(0x3d); i >= 0; i = bytes.indexOf(0x3d, i + 1)) {
      const next = bytes[i + 1];
      const soft = next === 0x0a || next === 0x0d || next === 0x20 || next === 0x09 || next === undefined;
      if (!soft && !(hex(next) && hex(bytes[i + 2])))
        return `part ${p.part} has "=" signs that are not quoted-printable escapes; they are shown as they are.`;
    }
  }
  return undefined;
}

/**
 * Decodes one text part as mailparser would (its transfer encoding, format=flowed, then its
 * charset through libmime, which resolves aliases, refuses UTF-7 and decodes the Japanese
 * charsets), but in one synchronous pass over the bytes: a stream pipeline per part cost more
 * than the decoding itself.
 */
function decodeTextPart(p: PartInfo, bytes: Buffer, truncated: boolean): string {
  let body = bytes;
  const encoding = KNOWN_ENCODINGS.has(p.encoding ?? '') ? p.encoding! : '8bit';
  if (truncated && encoding === 'base64') {
    // A cut inside a base64 quantum would decode to garbage at the end: stop at the last line.
    const end = body.lastIndexOf('\n');
    if (end > 0) body = body.subarray(0, end + 1);
  }
  if (encoding === 'base64') body = Buffer.from(body.toString('latin1'), 'base64');
  else if (encoding === 'quoted-printable') body = libqp().decode(body.toString('latin1'));
  const param = (name: string) => p.params?.[name]?.toLowerCase().trim();
  if (param('format') === 'flowed')
    body = Buffer.from(libmime().decodeFlowed(body.toString('binary'), param('delsp') === 'yes'), 'binary');
  // As mailparser does, ASCII is read as UTF-8 (mail labelled ASCII often is UTF-8); libmime
  // would read it as windows-1252.
  const charset = p.charset || 'utf-8';
  const text = ['ascii', 'usascii', 'utf8'].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, ''))
    ? body.toString('utf8')
    : libmimeCharset().decode(body, charset);
  return text.replace(/\r?\n/g, '\n');
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
  const info: AttachmentInfo = {
    part: p.part,
    filename: safeFilename(p.filename, p.type),
    type: p.type,
    size: decodedSize(p),
  };
  if (p.contentId) info.contentId = p.contentId;
  return info;
}

/** A multipart whose every part is empty: the server found no part boundary in it. */
function noPartFound(structure: MessageStructureObject | undefined, plan: MessagePlan): boolean {
  return (
    !!structure?.type?.toLowerCase().startsWith('multipart/') &&
    [...plan.body, ...plan.attachments, ...plan.inline].every((p) => p.size === 0)
  );
}

type Section = { key: string; maxLength?: number };

/**
 * UID FETCH of one message. A message that arrived since this session last looked is not
 * FETCHable until the session has heard of it: only then is a NOOP spent and the FETCH repeated
 * (most reads are of mail the list already showed, and a NOOP first would cost every one of them
 * a round trip). Undefined: the message is not in the folder.
 */
async function fetchKnown(
  conn: ImapConnection,
  client: ImapFlow,
  uid: number,
  query: FetchQueryObject,
): Promise<FetchMessageObject | undefined> {
  for (let attempt = 0; ; attempt++) {
    const got = await client.fetchOne(String(uid), query, { uid: true });
    if (got && got.uid === uid) return got;
    // imapflow answers false, not an error, when the connection dropped under the command.
    if (!client.usable) throw new MailError('connectionLost', `The connection to ${conn.account.host} was lost.`);
    if (attempt > 0) return undefined;
    await client.noop();
  }
}

export async function readMessage(
  conn: ImapConnection,
  ref: MessageRef,
  opts: ReadOptions = {},
): Promise<MessageContent> {
  const maxText = opts.maxTextBytes ?? DEFAULT_MAX_TEXT;
  const maxInline = opts.maxInlineBytes ?? DEFAULT_MAX_INLINE;
  return conn.withMailbox(
    ref.mailbox,
    { readOnly: opts.readOnly ?? false, idempotent: true },
    async (client, mailbox) => {
      assertUidValidity(mailbox, ref);
      const gone = () =>
        new MailError(
          'messageNotFound',
          `The message is no longer in "${ref.mailbox}" (it was moved or deleted elsewhere).`,
          { ...ref },
        );
      // A structure the message list already fetched saves a round trip: headers and parts in one FETCH.
      let structure = conn.structures.recall(ref);
      let head: FetchMessageObject | undefined;
      if (!structure) {
        head = await fetchKnown(conn, client, ref.uid, { ...HEAD_QUERY, bodyStructure: true });
        if (!head) throw gone();
        structure = head.bodyStructure;
        conn.structures.remember(ref, structure);
      }
      const warnings: string[] = [];
      const plan = structure
        ? planMessage(structure, { prefer: opts.prefer ?? 'rich' })
        : { body: [], inline: [], attachments: [], notes: [] };
      warnings.push(...plan.notes);

      // The text budget is shared by the parts in reading order; a part past it is listed instead.
      let textBudget = maxText;
      const shown: Array<{ p: PartInfo; cut: boolean; limit: number }> = [];
      const unread: PartInfo[] = [];
      for (const p of plan.body) {
        if (textBudget <= 0 && p.size > 0) unread.push(p);
        else shown.push({ p, cut: p.size > textBudget, limit: textBudget });
        textBudget -= p.size;
      }
      const hasHtml = plan.body.some((p) => p.type === 'text/html');
      let inlineBudget = maxInline;
      const inlineParts = hasHtml
        ? plan.inline.filter((p) => {
            if (!INLINE_IMAGE.test(p.type) || p.size > inlineBudget) return false;
            inlineBudget -= p.size;
            return true;
          })
        : [];
      const raw = noPartFound(structure, plan);
      // An empty text part of a multipart may have its text in its header block: a line that
      // repeats the boundary inside a part starts a "part" whose lines are read as headers.
      const inMultipart = !!structure?.type?.toLowerCase().startsWith('multipart/');
      const emptyParts = raw || !inMultipart ? [] : shown.filter(({ p }) => p.size === 0).map(({ p }) => p);

      const wanted: Section[] = [
        ...shown
          .filter(({ p }) => p.size > 0)
          .map(({ p, cut, limit }) => (cut ? { key: p.part, maxLength: limit } : { key: p.part })),
        ...inlineParts.map((p) => ({ key: p.part })),
        ...emptyParts.map((p) => ({ key: `${p.part}.MIME`, maxLength: 64 * 1024 })),
        ...(raw ? [{ key: 'TEXT', maxLength: maxText }] : []),
      ];
      const parts = new Map<string, Buffer>();
      const chunks: Section[][] = [];
      for (let i = 0; i < wanted.length; i += MAX_SECTIONS_PER_FETCH)
        chunks.push(wanted.slice(i, i + MAX_SECTIONS_PER_FETCH));
      if (!chunks.length && !head) chunks.push([]);
      for (const chunk of chunks) {
        const query: FetchQueryObject = {
          ...(head ? { uid: true } : HEAD_QUERY),
          ...(chunk.length ? { bodyParts: chunk } : {}),
        };
        const got = await fetchKnown(conn, client, ref.uid, query);
        if (!got) throw gone();
        head ??= got;
        for (const [key, value] of got.bodyParts ?? []) parts.set(key.toLowerCase().replace(/\]?<\d+>$/, ''), value);
      }

      // Headers: mailparser decodes RFC 2047 words, raw UTF-8 and odd charsets better than ENVELOPE.
      let headers: ParsedMail | undefined;
      try {
        headers = await mailparser().simpleParser(head!.headers ?? Buffer.alloc(0), {
          skipHtmlToText: true,
          skipTextToHtml: true,
        });
      } catch (err) {
        warnings.push(`The message headers could not be parsed: ${(err as Error).message}`);
      }

      let truncated = false;
      const body: BodyContent[] = [];
      for (const { p, cut } of shown) {
        const bytes = partBuffer(parts, p.part) ?? Buffer.alloc(0);
        if (cut) {
          truncated = true;
          warnings.push(
            `Only the first ${Math.round(maxText / 1024)} KB of the message's text were loaded (part ${p.part} has ${Math.round(p.size / 1024)} KB).`,
          );
        }
        if (!bytes.length) {
          const strayText = headerBlockText(partBuffer(parts, `${p.part}.MIME`));
          if (strayText) {
            warnings.push(
              damaged(
                `the text of part ${p.part} is where its headers should be (a boundary line inside the text?); it is shown as plain text.`,
              ),
            );
            body.push({ kind: 'text', part: p.part, text: cleanText(strayText, p.part, warnings) });
          }
          continue; // an empty part says nothing
        }
        const text = decodePart(p, bytes, cut, warnings);
        body.push(
          p.type === 'text/html'
            ? { kind: 'html', part: p.part, unsafeHtml: text }
            : { kind: 'text', part: p.part, text },
        );
      }
      if (raw) {
        const bytes = partBuffer(parts, 'TEXT') ?? Buffer.alloc(0);
        const text = cleanText(bytes.toString('utf8'), 'TEXT', warnings);
        warnings.push(damaged('no MIME part could be found in it, so its raw text is shown.'));
        if (text.trim()) body.push({ kind: 'text', part: 'TEXT', text });
      }
      if (unread.length) {
        warnings.push(
          `The message's text is longer than ${Math.round(maxText / 1024)} KB: ${unread.length} more text part${unread.length === 1 ? ' is' : 's are'} listed as attachments.`,
        );
      }
      if (!body.length && plan.attachments.length === 0 && unread.length === 0) {
        warnings.push('This message has no text that can be shown.');
      }

      const cid = new Map<string, string>();
      for (const p of inlineParts) {
        const bytes = partBuffer(parts, p.part);
        const url = bytes && imageDataUrl(p, bytes);
        if (url && p.contentId) cid.set(p.contentId, url);
      }
      // Inline resources the HTML never uses would otherwise be invisible: list them as attachments.
      const referenced = new Set<string>();
      for (const b of body) if (b.kind === 'html') for (const id of referencedCids(b.unsafeHtml)) referenced.add(id);
      const attachments = [
        ...plan.attachments.map(attachmentInfo),
        ...unread.map(attachmentInfo),
        ...plan.inline.filter((p) => !p.contentId || !referenced.has(p.contentId.toLowerCase())).map(attachmentInfo),
      ];

      const content: MessageContent = {
        ref: { mailbox: ref.mailbox, uidValidity: uidValidityOf(mailbox), uid: ref.uid },
        references: headers?.references
          ? Array.isArray(headers.references)
            ? headers.references
            : [headers.references]
          : [],
        subject: headers?.subject ?? '',
        from: toAddresses(headers?.from),
        to: toAddresses(headers?.to),
        cc: toAddresses(headers?.cc),
        replyTo: toAddresses(headers?.replyTo),
        flags: [...(head!.flags ?? [])],
        size: head!.size ?? 0,
        body,
        cid,
        attachments,
        truncated,
        warnings,
      };
      const date = headers?.date ?? (head!.internalDate ? new Date(head!.internalDate) : undefined);
      if (date && !Number.isNaN(date.getTime())) content.date = date.toISOString();
      if (headers?.messageId) content.messageId = headers.messageId;
      if (headers?.inReplyTo) content.inReplyTo = headers.inReplyTo;
      content.authenticationResults = authenticationResultsOf(headers?.headerLines);
      const list = parseListHeaders(headers?.headerLines);
      if (list) content.list = list;
      return content;
    },
  );
}

/** The text of a header block that never ended (no empty line after it): not headers at all. */
function headerBlockText(block: Buffer | undefined): string | undefined {
  if (!block?.length) return undefined;
  const s = block.toString('utf8');
  return s.endsWith('\r\n\r\n') || s.endsWith('\n\n') ? undefined : s;
}

/** Decodes a text part as far as it goes, noting what is wrong with it. */
function decodePart(p: PartInfo, bytes: Buffer, cut: boolean, warnings: string[]): string {
  const encodingNote = encodingDamage(p, bytes, cut);
  if (encodingNote) warnings.push(damaged(encodingNote));
  let text: string;
  try {
    text = decodeTextPart(p, bytes, cut);
  } catch (err) {
    warnings.push(damaged(`part ${p.part} could not be decoded (${(err as Error).message}); it is shown as raw text.`));
    text = bytes.toString('latin1');
  }
  return cleanText(text, p.part, warnings, p.charset);
}

/** NUL bytes removed and characters that did not decode pointed out. */
function cleanText(text: string, part: string, warnings: string[], charset = 'UTF-8'): string {
  if (text.includes('\u0000')) {
    text = text.replaceAll('\u0000', '');
    warnings.push(damaged(`part ${part} contains NUL bytes; they were removed.`));
  }
  if (text.includes('\ufffd'))
    warnings.push(damaged(`part ${part} has bytes that are not valid ${charset}; they are shown as \ufffd.`));
  return text;
}

/** The text of the whole body (HTML parts as text): for finding what a mail refers to. */
export function messageText(content: Pick<MessageContent, 'body'>): string {
  return content.body.map((b) => (b.kind === 'text' ? b.text : htmlToText(b.unsafeHtml))).join('\n\n');
}

/** The displayable form of a message: HTML sanitized, remote content per the user's choice. */
export function renderContent(content: MessageContent, opts: { allowRemote: boolean }): RenderedMessage {
  const { body, cid, ...rest } = content;
  const warnings = [...rest.warnings];
  let remoteBlocked = 0;
  const rendered: RenderedBody[] = body.map((b) => {
    // Characters that did not decode (U+FFFD): the reader offers to decode the part in another charset.
    const about = {
      ...(/^\d+(\.\d+)*$/.test(b.part) ? { part: b.part } : {}),
      ...((b.kind === 'text' ? b.text : b.unsafeHtml).includes('\ufffd') ? { undecodable: true as const } : {}),
    };
    if (b.kind === 'text') return { kind: 'text', text: b.text, ...about };
    try {
      const {
        html,
        remoteBlocked: blocked,
        droppedStyleSheets,
      } = sanitizeHtml(b.unsafeHtml, { allowRemote: opts.allowRemote, cid });
      remoteBlocked += blocked;
      if (droppedStyleSheets)
        warnings.push(
          `A style sheet larger than ${MAX_STYLESHEET_CHARS / 1024} KB was ignored; the message may look plainer than intended.`,
        );
      return { kind: 'html', html, ...about };
    } catch (err) {
      if (!(err instanceof HtmlTooComplex)) throw err;
      warnings.push(`Part ${b.part} is HTML nested more than ${err.depth} levels deep; it is shown as plain text.`);
      return { kind: 'text', text: htmlToText(b.unsafeHtml), ...about };
    }
  });
  return { ...rest, warnings, body: rendered, remoteBlocked };
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
      if (!dl.content)
        throw new MailError('messageNotFound', `Attachment ${attachment.filename} is no longer on the server.`, {
          ...ref,
        });
      let n = 0;
      dl.content.on('data', (chunk: Buffer) => {
        n += chunk.length;
      });
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
    const target = join(
      dir,
      await uniqueName(name, (c) =>
        access(join(dir, c)).then(
          () => true,
          () => false,
        ),
      ),
    );
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
