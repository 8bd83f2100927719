// What a composer knows beyond its text: which message it answers or forwards (threading headers,
// the flag to set after sending), the attachments it refers to as `#n` (parts of a message on the
// server, fetched only when the message is built), and the draft on the server it continues.
// Plain data (JSON-safe), so the UI can keep it beside the text in its crash copy.
import type { MessageRef } from '../mailbox/messages';

export type ComposeKind = 'new' | 'reply' | 'replyAll' | 'forward';

/** An attachment that lives on the server until the message is built. */
export type PartSource =
  /** One MIME part (an attachment of the forwarded message or of a resumed draft). */
  | { id: number; kind: 'part'; ref: MessageRef; part: string; filename: string; contentType: string; size: number }
  /** A whole message, attached as message/rfc822 (forward as attachment). */
  | { id: number; kind: 'message'; ref: MessageRef; filename: string; size: number };

export interface ComposeContext {
  kind: ComposeKind;
  /** The message answered or forwarded: it gets \Answered or $Forwarded once the reply is sent. */
  original?: MessageRef;
  inReplyTo?: string;
  references?: string[];
  /** Parts the document names as `Attach: #id …`. */
  parts: PartSource[];
  /** The draft on the server this composer continues: replaced on save, removed after sending. */
  draft?: MessageRef;
}

export const newContext = (): ComposeContext => ({ kind: 'new', parts: [] });
