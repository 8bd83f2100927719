// Reads a BODYSTRUCTURE and decides what to show: which text/html and text/plain parts are the
// body, which images are inline (cid:) resources of the HTML, and what is an attachment. This
// happens before any body byte is fetched, so only the parts to show ever cross the wire.
import type { MessageStructureObject } from 'imapflow';
import { bareId } from './ids';

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
  html?: PartInfo;
  text?: PartInfo;
  /** Resources of the HTML that carry a Content-ID (candidates for cid: URLs). */
  inline: PartInfo[];
  attachments: PartInfo[];
}

const MAX_DEPTH = 40;

function leafInfo(node: MessageStructureObject, part: string): PartInfo {
  const params = node.parameters ?? {};
  const dparams = node.dispositionParameters ?? {};
  const info: PartInfo = { part, type: node.type.toLowerCase(), size: node.size ?? 0 };
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

const isBodyText = (p: PartInfo) =>
  (p.type === 'text/plain' || p.type === 'text/html') && p.disposition !== 'attachment' && !p.filename;

export function planMessage(root: MessageStructureObject): MessagePlan {
  const plan: MessagePlan = { inline: [], attachments: [] };

  const takeBody = (p: PartInfo): boolean => {
    if (!isBodyText(p)) return false;
    if (p.type === 'text/html' && !plan.html) plan.html = p;
    else if (p.type === 'text/plain' && !plan.text) plan.text = p;
    else return false;
    return true;
  };

  const walk = (node: MessageStructureObject, depth: number, role: 'body' | 'related-resource'): void => {
    const type = node.type.toLowerCase();
    const part = node.part ?? '1';
    const children = node.childNodes ?? [];
    if (!type.startsWith('multipart/') || depth >= MAX_DEPTH) {
      const info = leafInfo(node, part);
      if (role === 'related-resource' && info.contentId && info.type.startsWith('image/')) plan.inline.push(info);
      else if (role === 'body' && takeBody(info)) return;
      else if (!type.startsWith('multipart/')) plan.attachments.push(info);
      return;
    }
    if (type === 'multipart/alternative') {
      // The richest alternative we can show is the body; its siblings are the same content.
      const htmlChild = [...children].reverse().find((c) => containsType(c, 'text/html', depth + 1));
      const textChild = children.find((c) => c.type.toLowerCase() === 'text/plain');
      if (htmlChild) walk(htmlChild, depth + 1, role);
      if (textChild && textChild !== htmlChild) walk(textChild, depth + 1, role);
      if (!htmlChild && !textChild && children[0]) walk(children[0], depth + 1, role);
      return;
    }
    if (type === 'multipart/related') {
      const startId = node.parameters?.start ? bareId(node.parameters.start) : undefined;
      const rootIndex = Math.max(0, startId ? children.findIndex((c) => c.id !== undefined && bareId(c.id) === startId) : 0);
      children.forEach((c, i) => walk(c, depth + 1, i === rootIndex ? role : 'related-resource'));
      return;
    }
    for (const c of children) walk(c, depth + 1, role);
  };

  walk(root, 0, 'body');
  return plan;
}

function containsType(node: MessageStructureObject, type: string, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (node.type.toLowerCase() === type) return node.disposition?.toLowerCase() !== 'attachment';
  if (!node.type.toLowerCase().startsWith('multipart/')) return false;
  return (node.childNodes ?? []).some((c) => containsType(c, type, depth + 1));
}

export function hasAttachments(root: MessageStructureObject | undefined): boolean {
  return root ? planMessage(root).attachments.length > 0 : false;
}
