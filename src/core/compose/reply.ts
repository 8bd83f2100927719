// Reply, reply all and forward, derived from a message as the reader read it. Pure: the result is
// the composer's fields and its context (threading headers, the original to flag after sending,
// the attachments to fetch when the message is built).
import { bareId } from '../ids';
import type { Address } from '../mailbox/messages';
import { type MessageContent, messageText } from '../reading/reader';
import { isMailbox, type MailAddress, uniqueAddresses } from './addresses';
import type { ComposeContext, PartSource } from './context';
import { attachRef, type ComposerFields } from './document';
import { type Identity, isOwnAddress, replyFrom } from './identity';

export type ReplyMode = 'reply' | 'replyAll';

export interface DeriveOptions {
  /** Quote only this text (a selection in the reader) instead of the whole body. */
  selection?: string;
  /** Time zone of the attribution line ("On Mon, 2 Mar 2026 at 10:04, …"); default the system's. */
  timeZone?: string;
}

export interface ComposeSeed {
  fields: ComposerFields;
  context: ComposeContext;
}

/** At most this many Message-IDs in References: the first (the thread's root) and the newest. */
export const MAX_REFERENCES = 20;

const mailboxes = (list: readonly Address[]): MailAddress[] =>
  list
    .filter((a): a is Address & { address: string } => !!a.address && isMailbox(a.address))
    .map((a) => (a.name ? { name: a.name, address: a.address } : { address: a.address }));

// Reply prefixes of common clients: Re, RE, AW (German), SV (Nordic), Antw (Dutch), Re[2], Re^2.
const REPLY_PREFIX = /^\s*(?:(?:re|aw|sv|antw|odp|vs)(?:\s*[[(^]\s*\d+\s*[\])]?)?\s*:\s*)+/i;
const FORWARD_PREFIX = /^\s*(?:(?:fwd?|wg|tr|rv|vs)\s*:\s*)+/i;

export function replySubject(subject: string): string {
  return `Re: ${subject.replace(REPLY_PREFIX, '').trim()}`;
}

export function forwardSubject(subject: string): string {
  return `Fwd: ${subject.replace(FORWARD_PREFIX, '').trim()}`;
}

/** RFC 5322 §3.6.4: the parent's References (or its In-Reply-To) followed by its Message-ID. */
export function replyReferences(parent: Pick<MessageContent, 'messageId' | 'inReplyTo' | 'references'>): string[] {
  const chain = parent.references.length
    ? [...parent.references]
    : parent.inReplyTo && /^\s*<?[^<>\s]+>?\s*$/.test(parent.inReplyTo)
      ? [parent.inReplyTo]
      : [];
  if (parent.messageId) chain.push(parent.messageId);
  const ids = chain.map((id) => `<${bareId(id)}>`).filter((id) => id !== '<>');
  const unique = ids.filter((id, i) => ids.indexOf(id) === i);
  return unique.length > MAX_REFERENCES ? [unique[0]!, ...unique.slice(-(MAX_REFERENCES - 1))] : unique;
}

/** The text to quote: the body parts as text, HTML converted (linear: htmlparser2's tokenizer). */
export function quotableText(content: Pick<MessageContent, 'body'>): string {
  return messageText(content);
}

export function quote(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  return lines.map((l) => (l === '' ? '>' : l.startsWith('>') ? `>${l}` : `> ${l}`)).join('\n');
}

// Markdown would turn "[x](y)", "*x*" or "<x>" in a sender's name into links, emphasis or tags
// (only the characters that do so inside a line: "(" or "#" alone do nothing).
const escapeMarkdown = (s: string) => s.replace(/[\\`*_[\]<>~]/g, '\\$&');

function describeSender(from: readonly Address[]): string {
  const a = from[0];
  if (!a) return 'someone';
  const name = (a.name ?? '').replace(/[\r\n]+/g, ' ').trim();
  if (name && a.address) return `${escapeMarkdown(name)} <${a.address}>`;
  return escapeMarkdown(name || a.address || 'someone');
}

export function formatAttributionDate(iso: string | undefined, timeZone?: string): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      ...(timeZone ? { timeZone } : {}),
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday}, ${parts.day} ${parts.month} ${parts.year} at ${parts.hour}:${parts.minute}`;
}

export function attribution(content: Pick<MessageContent, 'from' | 'date'>, timeZone?: string): string {
  const when = formatAttributionDate(content.date, timeZone);
  return `On ${when ? `${when}, ` : ''}${describeSender(content.from)} wrote:`;
}

export function deriveReply(
  content: MessageContent,
  identity: Identity,
  mode: ReplyMode,
  opts: DeriveOptions = {},
): ComposeSeed {
  const own = (a: MailAddress) => isOwnAddress(identity, a.address);
  const from = mailboxes(content.from);
  const replyTo = mailboxes(content.replyTo);
  const originalTo = mailboxes(content.to);
  const originalCc = mailboxes(content.cc);
  // Answering one's own message (from Sent) continues the conversation with its recipients.
  let to = from.length && from.every(own) && !replyTo.length ? originalTo : replyTo.length ? replyTo : from;
  to = uniqueAddresses(to.filter((a) => !own(a) || to.every(own)));
  let cc: MailAddress[] = [];
  if (mode === 'replyAll') {
    const taken = new Set(to.map((a) => a.address.toLowerCase()));
    cc = uniqueAddresses([...originalTo, ...originalCc]).filter((a) => !own(a) && !taken.has(a.address.toLowerCase()));
  }
  const quoted = quote(opts.selection ?? quotableText(content));
  const body = `\n\n${attribution(content, opts.timeZone)}\n${quoted}\n`;
  const references = replyReferences(content);
  const context: ComposeContext = {
    kind: mode,
    original: content.ref,
    parts: [],
    ...(references.length ? { references } : {}),
  };
  if (content.messageId) context.inReplyTo = `<${bareId(content.messageId)}>`;
  return {
    fields: {
      from: replyFrom(identity, [...content.to, ...content.cc]),
      to,
      cc,
      subject: replySubject(content.subject),
      attach: [],
      body,
    },
    context,
  };
}

export type ForwardAs = 'inline' | 'attachment';

function forwardedHeaderBlock(content: MessageContent, timeZone?: string): string {
  const line = (name: string, value: string) => (value ? `${name}: ${value}` : undefined);
  // Names escaped for Markdown; "<address>" stays, as a mail link in the HTML part.
  const list = (l: readonly Address[]) =>
    mailboxes(l)
      .map((a) => (a.name ? `${escapeMarkdown(a.name.replace(/[\r\n]+/g, ' '))} <${a.address}>` : a.address))
      .join(', ');
  return [
    '---------- Forwarded message ----------',
    line('From', list(content.from)),
    line('Date', formatAttributionDate(content.date, timeZone) ?? ''),
    line('Subject', escapeMarkdown(content.subject.replace(/[\r\n]+/g, ' '))),
    line('To', list(content.to)),
    line('Cc', list(content.cc)),
  ]
    .filter((l): l is string => l !== undefined)
    .join('\n');
}

export function deriveForward(
  content: MessageContent,
  identity: Identity,
  as: ForwardAs = 'inline',
  opts: DeriveOptions = {},
): ComposeSeed {
  const context: ComposeContext = { kind: 'forward', original: content.ref, parts: [] };
  let body: string;
  if (as === 'attachment') {
    const name = `${(content.subject || 'message').replace(/[\\/:*?"<>|\r\n]+/g, '_').slice(0, 80)}.eml`;
    context.parts.push({ id: 1, kind: 'message', ref: content.ref, filename: name, size: content.size });
    body = '\n';
  } else {
    content.attachments.forEach((a, i) => {
      const part: PartSource = {
        id: i + 1,
        kind: 'part',
        ref: content.ref,
        part: a.part,
        filename: a.filename,
        contentType: a.type,
        size: a.size,
      };
      context.parts.push(part);
    });
    body = `\n\n${forwardedHeaderBlock(content, opts.timeZone)}\n\n${opts.selection ?? quotableText(content)}\n`;
  }
  return {
    fields: {
      from: replyFrom(identity, [...content.to, ...content.cc]),
      to: [],
      cc: [],
      subject: forwardSubject(content.subject),
      attach: context.parts.map((p) => attachRef(p.id, p.filename)),
      body,
    },
    context,
  };
}
