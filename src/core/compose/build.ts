// One outgoing message, built once by nodemailer's MailComposer: these exact bytes go to SMTP and
// to the Sent folder (or, for a draft, to Drafts).
//
//   markdown (default)  multipart/alternative: text/plain; format=flowed (the Markdown as written)
//                       + text/html (rendered, sanitized)
//   plain               text/plain; format=flowed only
//   attachments         the above inside multipart/mixed
import { randomUUID } from 'node:crypto';
import { mailComposer } from '../libraries';
import { bareId } from '../ids';
import type { MailAddress } from './addresses';
import type { ResolvedAttachment } from './attachments';
import { encodeFlowed } from './flowed';
import { renderMarkdown } from './markdown';

export type BodyFormat = 'markdown' | 'plain';

export interface OutgoingMessage {
  from: MailAddress;
  to: MailAddress[];
  cc?: MailAddress[];
  bcc?: MailAddress[];
  replyTo?: MailAddress[];
  subject: string;
  /** Markdown (or plain text), "\n" line ends. */
  body: string;
  format?: BodyFormat;
  /** Plain text appended after a "-- " line (not for drafts: a resumed draft would get it twice). */
  signature?: string;
  inReplyTo?: string;
  references?: string[];
  attachments?: ResolvedAttachment[];
  /** Kept for a resend of the same message; new ones are generated from the From domain. */
  messageId?: string;
  date?: Date;
  /** A draft keeps Bcc in its headers (so it survives a resume); sent mail never does. */
  draft?: boolean;
  /** More header fields (a draft's compose context). */
  headers?: Record<string, string>;
}

export interface BuiltMessage {
  raw: Buffer;
  messageId: string;
  /** SMTP envelope: MAIL FROM and every RCPT TO (To, Cc and Bcc, once each). */
  envelope: { from: string; to: string[] };
}

export function newMessageId(from: string): string {
  const domain = /@([^@>\s]+)$/.exec(from.trim())?.[1]?.toLowerCase() ?? 'mailroom.invalid';
  return `<${randomUUID()}@${domain}>`;
}

const angle = (id: string) => `<${bareId(id)}>`;

/** The body text with the signature after its "-- " separator line. */
export function withSignature(body: string, signature?: string): string {
  if (!signature) return body;
  return `${body.replace(/\n+$/, '')}\n\n-- \n${signature.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}\n`;
}

export async function buildMessage(msg: OutgoingMessage): Promise<BuiltMessage> {
  const format = msg.format ?? 'markdown';
  const signature = msg.draft ? undefined : msg.signature;
  const body = msg.body.replace(/\r\n?/g, '\n');
  const text = encodeFlowed(withSignature(body, signature));
  const alternatives = [{ contentType: 'text/plain; charset=utf-8; format=flowed', content: text }];
  if (format === 'markdown') {
    alternatives.push({ contentType: 'text/html; charset=utf-8', content: renderMarkdown(body, signature) });
  }
  const messageId = msg.messageId ? angle(msg.messageId) : newMessageId(msg.from.address);
  const composer = new (mailComposer())({
    from: msg.from,
    to: msg.to,
    ...(msg.cc?.length ? { cc: msg.cc } : {}),
    ...(msg.bcc?.length ? { bcc: msg.bcc } : {}),
    ...(msg.replyTo?.length ? { replyTo: msg.replyTo } : {}),
    subject: msg.subject,
    messageId,
    date: msg.date ?? new Date(),
    ...(msg.inReplyTo ? { inReplyTo: angle(msg.inReplyTo) } : {}),
    ...(msg.references?.length ? { references: msg.references.map(angle).join(' ') } : {}),
    ...(msg.headers ? { headers: msg.headers } : {}),
    alternatives,
    // Attachments as base64 (never 7bit text, whose line ends CRLF conversion would rewrite);
    // a message/rfc822 as it is (RFC 2046 allows it no other encoding).
    attachments: (msg.attachments ?? []).map((a) =>
      a.message
        ? { filename: a.filename, contentType: 'message/rfc822', content: a.content, contentDisposition: 'attachment' }
        : {
            filename: a.filename,
            content: a.content,
            contentTransferEncoding: 'base64',
            ...(a.contentType ? { contentType: a.contentType } : {}),
          },
    ),
    // CRLF everywhere: the bytes SMTP sends and APPEND stores must be the same bytes (SMTP would
    // turn a bare LF into CRLF on the wire, and IMAP servers differ in what they do with one).
    newline: 'windows',
    // Everything comes from memory: no path or URL in a message may make nodemailer read a file or fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const root = composer.compile();
  if (msg.draft) root.keepBcc = true;
  const raw = await root.build();
  const envelope = root.getEnvelope();
  return { raw, messageId, envelope: { from: envelope.from || msg.from.address, to: envelope.to } };
}
