// A draft on the server back into the composer: headers, body and attachments (as `#n` parts of
// the draft, fetched only when the message is built) — our own drafts and other clients' alike.
import { mailparser } from '../libraries';
import type { ImapConnection } from '../session/connection';
import { bareId } from '../ids';
import { assertUidValidity, type Address, type MessageRef } from '../mailbox/messages';
import { readMessage } from '../reading/reader';
import { isMailbox, type MailAddress } from './addresses';
import type { ComposeContext, ComposeKind, PartSource } from './context';
import { attachRef, formatComposer } from './document';
import { quotableText } from './reply';

/** Mailroom's own header in drafts: what the composer answered or forwarded (never in sent mail). */
export const COMPOSE_HEADER = 'X-Mailroom-Compose';

interface ComposeHeader {
  kind: ComposeKind;
  original?: MessageRef;
}

export function encodeComposeHeader(context: ComposeContext): string {
  const value: ComposeHeader = { kind: context.kind, ...(context.original ? { original: context.original } : {}) };
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

const KINDS: readonly ComposeKind[] = ['new', 'reply', 'replyAll', 'forward'];

/** Strictly typed or nothing: the header may have been written by anyone. */
export function decodeComposeHeader(text: string | undefined): ComposeHeader | undefined {
  if (!text || text.length > 4096) return undefined;
  try {
    const v = JSON.parse(Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8')) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || !KINDS.includes(v.kind as ComposeKind)) return undefined;
    const out: ComposeHeader = { kind: v.kind as ComposeKind };
    const o = v.original as Record<string, unknown> | undefined;
    if (
      o &&
      typeof o.mailbox === 'string' &&
      typeof o.uidValidity === 'string' &&
      /^\d+$/.test(o.uidValidity) &&
      Number.isInteger(o.uid) &&
      (o.uid as number) > 0
    ) {
      out.original = { mailbox: o.mailbox, uidValidity: o.uidValidity, uid: o.uid as number };
    }
    return out;
  } catch {
    return undefined;
  }
}

const mailboxes = (list: readonly Address[]): MailAddress[] =>
  list
    .filter((a): a is Address & { address: string } => !!a.address && isMailbox(a.address))
    .map((a) => (a.name ? { name: a.name, address: a.address } : { address: a.address }));

export interface OpenedDraft {
  text: string;
  context: ComposeContext;
}

/** Reads draft `ref` into composer text and context (`context.draft` = ref, replaced on the next save). */
export async function openDraft(
  conn: ImapConnection,
  ref: MessageRef,
  fallbackFrom: MailAddress,
): Promise<OpenedDraft> {
  const content = await readMessage(conn, ref, { readOnly: true, prefer: 'plain' });
  // Bcc and our context header are not among the headers the reader fetches.
  const extra = await conn.withMailbox(ref.mailbox, { readOnly: true, idempotent: true }, async (client, mailbox) => {
    assertUidValidity(mailbox, ref);
    const msg = await client.fetchOne(
      String(ref.uid),
      { uid: true, headers: ['bcc', COMPOSE_HEADER.toLowerCase()] },
      { uid: true },
    );
    return msg && msg.headers
      ? mailparser().simpleParser(msg.headers, { skipHtmlToText: true, skipTextToHtml: true })
      : undefined;
  });
  const bccField = extra?.bcc;
  const bcc: Address[] = (Array.isArray(bccField) ? bccField : bccField ? [bccField] : [])
    .flatMap((f) => f.value)
    .map((a) => ({ ...(a.name ? { name: a.name } : {}), ...(a.address ? { address: a.address } : {}) }));
  const rawHeader = extra?.headers.get(COMPOSE_HEADER.toLowerCase());
  const compose = decodeComposeHeader(typeof rawHeader === 'string' ? rawHeader : undefined);

  const parts: PartSource[] = content.attachments.map((a, i) => ({
    id: i + 1,
    kind: 'part',
    ref: content.ref,
    part: a.part,
    filename: a.filename,
    contentType: a.type,
    size: a.size,
  }));
  const context: ComposeContext = {
    kind: compose?.kind ?? (content.inReplyTo ? 'reply' : 'new'),
    parts,
    draft: content.ref,
    ...(compose?.original ? { original: compose.original } : {}),
    ...(content.inReplyTo ? { inReplyTo: `<${bareId(content.inReplyTo)}>` } : {}),
    ...(content.references.length ? { references: content.references.map((r) => `<${bareId(r)}>`) } : {}),
  };
  const from = mailboxes(content.from)[0] ?? fallbackFrom;
  const text = formatComposer({
    from,
    to: mailboxes(content.to),
    cc: mailboxes(content.cc),
    bcc: mailboxes(bcc),
    replyTo: mailboxes(content.replyTo),
    subject: content.subject,
    attach: parts.map((p) => attachRef(p.id, p.filename)),
    body: quotableText(content).replace(/\r\n?/g, '\n'),
  });
  return { text, context };
}
