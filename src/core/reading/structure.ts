// Reads a BODYSTRUCTURE and decides what to show: which text/html and text/plain parts are the
// body (all of them, in order: RFC 2046 §5.1.3 shows the parts of a multipart/mixed one after the
// other), which images are inline (cid:) resources of the HTML, and what is an attachment. This
// happens before any body byte is fetched, so only the parts to show ever cross the wire. Every
// count is bounded: a message of 10,000 parts plans in one pass and shows a readable first part.
import type { MessageStructureObject } from 'imapflow';
import { bareId } from '../ids';

export interface PartInfo {
  /** IMAP section number ("1", "2.1"). */
  part: string;
  /** Lower-cased "type/subtype". */
  type: string;
  charset?: string;
  encoding?: string;
  /** Encoded size on the server, in bytes. */
  size: number;
  disposition?: string;
  filename?: string;
  /** Content-ID without angle brackets. */
  contentId?: string;
  /** Parameters needed to decode text (format=flowed, delsp). */
  params?: Record<string, string>;
}

export interface MessagePlan {
  /** The text/plain and text/html parts to show, in reading order. */
  body: PartInfo[];
  /** Resources of the HTML that carry a Content-ID (candidates for cid: URLs). */
  inline: PartInfo[];
  attachments: PartInfo[];
  /** What the reader must say about parts it does not show as the sender meant. */
  notes: string[];
}

/** Dovecot itself stops parsing MIME at 100 levels (message_parser max_nested_mime_parts). */
export const MAX_DEPTH = 100;
/** Text parts shown one after another; further ones are listed as attachments. */
export const MAX_BODY_PARTS = 50;
/** Inline images fetched with the message; further ones are listed as attachments. */
export const MAX_INLINE_PARTS = 100;

function leafInfo(node: MessageStructureObject, part: string): PartInfo {
  const params = node.parameters ?? {};
  const dparams = node.dispositionParameters ?? {};
  const info: PartInfo = { part, type: (node.type || 'application/octet-stream').toLowerCase(), size: node.size ?? 0 };
  if (params.charset) info.charset = params.charset;
  if (node.encoding) info.encoding = node.encoding.toLowerCase();
  if (node.disposition) info.disposition = node.disposition.toLowerCase();
  const filename = dparams.filename ?? params.name;
  if (filename) info.filename = filename;
  else if (info.type === 'message/rfc822') info.filename = `${node.envelope?.subject || 'message'}.eml`;
  if (node.id) info.contentId = bareId(node.id);
  const flowed: Record<string, string> = {};
  if (params.format) flowed.format = params.format;
  if (params.delsp) flowed.delsp = params.delsp;
  if (Object.keys(flowed).length) info.params = flowed;
  return info;
}

const typeOf = (node: MessageStructureObject) => (node.type || '').toLowerCase();
const isMultipart = (node: MessageStructureObject) => typeOf(node).startsWith('multipart/');

export const isBodyText = (p: PartInfo) =>
  (p.type === 'text/plain' || p.type === 'text/html') && p.disposition !== 'attachment' && !p.filename;

/**
 * `prefer: 'plain'` picks the text/plain alternative where there is one: what a reply quotes, and
 * where a draft keeps the Markdown it was written in (its HTML is a rendering of that text).
 */
export function planMessage(root: MessageStructureObject, opts: { prefer?: 'rich' | 'plain' } = {}): MessagePlan {
  const order = opts.prefer === 'plain' ? ['text/plain', 'text/html'] : ['text/html', 'text/plain'];
  const plan: MessagePlan = { body: [], inline: [], attachments: [], notes: [] };
  let tooDeep = false;
  let extraBody = 0;
  let extraInline = 0;

  const leaf = (node: MessageStructureObject, part: string, role: 'body' | 'related-resource'): void => {
    const info = leafInfo(node, part);
    if (role === 'related-resource' && info.contentId && info.type.startsWith('image/')) {
      if (plan.inline.length < MAX_INLINE_PARTS) return void plan.inline.push(info);
      extraInline++;
    } else if (role === 'body' && isBodyText(info)) {
      if (plan.body.length < MAX_BODY_PARTS) return void plan.body.push(info);
      extraBody++;
    }
    plan.attachments.push(info);
  };

  const walk = (node: MessageStructureObject, depth: number, role: 'body' | 'related-resource'): void => {
    const part = node.part ?? '1';
    if (!isMultipart(node)) return leaf(node, part, role);
    if (depth >= MAX_DEPTH) {
      tooDeep = true;
      return;
    }
    const children = node.childNodes ?? [];
    const type = typeOf(node);
    if (type === 'multipart/alternative') {
      // The last alternative is the richest (RFC 2046 §5.1.4); the richest we can show is the
      // body (unless plain is preferred), the other text ones say the same. Others (a calendar invitation) stay attachments.
      const shown =
        [...children].reverse().find((c) => containsType(c, order[0]!, depth + 1)) ??
        [...children].reverse().find((c) => containsType(c, order[1]!, depth + 1)) ??
        children[0];
      for (const c of children) {
        if (c === shown) walk(c, depth + 1, role);
        else if (!isMultipart(c) && typeOf(c) !== 'text/plain' && typeOf(c) !== 'text/html')
          leaf(c, c.part ?? part, 'body');
      }
      return;
    }
    if (type === 'multipart/related') {
      const startId = node.parameters?.start ? bareId(node.parameters.start) : undefined;
      const rootIndex = Math.max(
        0,
        startId ? children.findIndex((c) => c.id !== undefined && bareId(c.id) === startId) : 0,
      );
      children.forEach((c, i) => walk(c, depth + 1, i === rootIndex ? role : 'related-resource'));
      return;
    }
    for (const c of children) walk(c, depth + 1, role);
  };

  walk(root, 0, 'body');
  if (tooDeep) plan.notes.push(`Parts nested more than ${MAX_DEPTH} levels deep are not shown.`);
  if (extraBody)
    plan.notes.push(
      `This message has ${MAX_BODY_PARTS + extraBody} text parts; the first ${MAX_BODY_PARTS} are shown, the other ${extraBody} are listed as attachments.`,
    );
  if (extraInline)
    plan.notes.push(
      `This message has ${MAX_INLINE_PARTS + extraInline} inline images; the first ${MAX_INLINE_PARTS} are shown, the other ${extraInline} are listed as attachments.`,
    );
  return plan;
}

function containsType(node: MessageStructureObject, type: string, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (typeOf(node) === type) return node.disposition?.toLowerCase() !== 'attachment';
  if (!isMultipart(node)) return false;
  return (node.childNodes ?? []).some((c) => containsType(c, type, depth + 1));
}

export function hasAttachments(root: MessageStructureObject | undefined): boolean {
  return root ? planMessage(root).attachments.length > 0 : false;
}
