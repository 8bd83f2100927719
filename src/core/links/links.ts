// Message links that survive moves. A link names a message by its Message-ID (an RFC 2392 `mid:`
// URL) and its account; an RFC 5092 IMAP URL (mailbox, UIDVALIDITY, UID) rides along as a hint
// that makes the common case one FETCH. The text form is one URL, clickable in Markdown, plain
// text, terminals and browsers (VS Code's URI handler opens it):
//
//   vscode://mailroom.mailroom/message?account=Work&mid=mid%3Aabc%2540example.com&imap=imap%3A%2F%2F…
import type { ImapFlow } from 'imapflow';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { bareId } from '../ids';
import type { MailboxInfo } from '../mailbox/mailboxes';
import { type MessageRef, uidValidityOf } from '../mailbox/messages';

export const LINK_BASE = 'vscode://mailroom.mailroom/message';

export interface ImapUrlParts {
  user?: string;
  host: string;
  port?: number;
  mailbox: string;
  uidValidity: string;
  uid: number;
}

export interface MessageLink {
  account: string;
  /** Without angle brackets. */
  messageId: string;
  hint?: ImapUrlParts;
}

const bad = (why: string): never => {
  throw new MailError('malformed', `Not a Mailroom message link: ${why}.`);
};

/** Message-ID with or without <>, → the bare addr-spec. */
export const bareMessageId = bareId;

/** encodeURIComponent that also escapes the sub-delims it leaves alone (!'()*). */
const encodeSegment = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
// RFC 2392: mid URLs percent-encode everything but unreserved characters and the addr-spec's "@".
const encodeMid = (s: string) => encodeSegment(s).replace(/%40/g, '@');

/**
 * Why `id` cannot name one message (undefined when it can). A Message-ID is "left@right" (RFC 5322
 * msg-id; RFC 2392 mid: URLs hold one). Links are resolved with HEADER searches, which match
 * substrings: a degenerate ID ("@", "a@", " @ ") would match every message of every folder.
 */
export function messageIdProblem(id: string): string | undefined {
  if (!id) return 'it is empty';
  if (id.length > 998) return 'it is longer than a header line may be';
  if (/[\p{Cc}<>]/u.test(id)) return 'it contains control characters or angle brackets';
  const at = id.lastIndexOf('@');
  if (at < 0) return 'it has no "@"';
  const alnum = /[\p{L}\p{N}]/u;
  if (!alnum.test(id.slice(0, at)) || !alnum.test(id.slice(at + 1)))
    return 'it needs letters or digits on both sides of its "@"';
  return undefined;
}

export function midUrl(messageId: string): string {
  const id = bareMessageId(messageId);
  const problem = messageIdProblem(id);
  if (problem)
    throw new MailError('malformed', `<${id.slice(0, 200)}> is not a Message-ID that names one message (${problem}).`);
  return `mid:${encodeMid(id)}`;
}

export function parseMidUrl(url: string): string {
  const m = /^mid:([^/?#\s]+)(?:\/[^?#\s]*)?$/i.exec(url.trim());
  if (!m) return bad(`"${url}" is not an RFC 2392 mid: URL`);
  let id: string;
  try {
    id = decodeURIComponent(m[1]!);
  } catch {
    return bad(`"${url}" has broken percent-encoding`);
  }
  const problem = messageIdProblem(id);
  if (problem)
    bad(
      `"${url.slice(0, 200)}" is not a Message-ID that names one message (${problem}); Mailroom does not search for it`,
    );
  return id;
}

/** RFC 5092 `imap://user@host/mailbox;UIDVALIDITY=n/;UID=m` (mailbox levels percent-encoded UTF-8). */
export function imapUrl(p: ImapUrlParts): string {
  const auth = p.user ? `${encodeSegment(p.user)}@` : '';
  const port = p.port && p.port !== 143 ? `:${p.port}` : '';
  const mailbox = p.mailbox.split('/').map(encodeSegment).join('/');
  return `imap://${auth}${p.host}${port}/${mailbox};UIDVALIDITY=${p.uidValidity}/;UID=${p.uid}`;
}

export function parseImapUrl(url: string): ImapUrlParts {
  const m = /^imap:\/\/(?:([^@/]+)@)?([^/:]+|\[[^\]]+\])(?::(\d+))?\/(.+?);UIDVALIDITY=(\d+)\/;UID=(\d+)$/i.exec(
    url.trim(),
  );
  if (!m) return bad(`"${url}" is not an RFC 5092 IMAP URL with UIDVALIDITY and UID`);
  try {
    const parts: ImapUrlParts = {
      host: m[2]!,
      mailbox: m[4]!.split('/').map(decodeURIComponent).join('/'),
      uidValidity: m[5]!,
      uid: Number(m[6]),
    };
    if (m[1]) parts.user = decodeURIComponent(m[1]);
    if (m[3]) parts.port = Number(m[3]);
    return parts;
  } catch {
    return bad(`"${url}" has broken percent-encoding`);
  }
}

export function formatMessageLink(link: MessageLink): string {
  const q = new URLSearchParams({ account: link.account, mid: midUrl(link.messageId) });
  if (link.hint) q.set('imap', imapUrl(link.hint));
  return `${LINK_BASE}?${q.toString()}`;
}

export function parseMessageLink(text: string): MessageLink {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return bad(`"${text.slice(0, 80)}" is not a URL`);
  }
  if (url.protocol === 'mid:') return bad('a bare mid: URL does not say which account it belongs to');
  if (`${url.protocol}//${url.host}${url.pathname}`.toLowerCase() !== LINK_BASE) bad(`it must start with ${LINK_BASE}`);
  const account = url.searchParams.get('account');
  const mid = url.searchParams.get('mid');
  if (!account) bad('the account is missing');
  if (!mid) bad('the Message-ID (mid) is missing');
  const link: MessageLink = { account: account!, messageId: parseMidUrl(mid!) };
  const imap = url.searchParams.get('imap');
  if (imap) link.hint = parseImapUrl(imap);
  return link;
}

/** Finds every message link in a text (Markdown or plain), with its offsets. */
export function findMessageLinks(text: string): Array<{ start: number; end: number; url: string }> {
  const out: Array<{ start: number; end: number; url: string }> = [];
  const re = /vscode:\/\/mailroom\.mailroom\/message\?[^\s)<>\]"'`]+/gi;
  for (const m of text.matchAll(re)) {
    const url = m[0].replace(/[.,;:!?]+$/, ''); // sentence punctuation after a link is not part of it
    out.push({ start: m.index!, end: m.index! + url.length, url });
  }
  return out;
}

/** The order a human would look in: Inbox, Archive, All Mail, then the rest, Junk and Trash last. */
export function searchOrder(folders: MailboxInfo[]): string[] {
  const rank = (f: MailboxInfo) => {
    if (f.specialUse === 'inbox') return 0;
    if (f.specialUse === 'archive') return 1;
    if (f.specialUse === 'all') return 2;
    if (f.specialUse === 'junk') return 8;
    if (f.specialUse === 'trash') return 9;
    return 5;
  };
  return folders
    .filter((f) => f.selectable)
    .sort((a, b) => rank(a) - rank(b))
    .map((f) => f.path);
}

export interface Resolution {
  /** Where the message is now (more than one: duplicates of the same Message-ID). */
  refs: MessageRef[];
  /** True when the hint was still right (no search needed). */
  viaHint: boolean;
}

async function messageIdAt(client: ImapFlow, uid: number): Promise<string | undefined> {
  const m = await client.fetchOne(String(uid), { uid: true, envelope: true }, { uid: true });
  return m && m.uid === uid ? m.envelope?.messageId : undefined;
}

export async function resolveMessageLink(
  conn: ImapConnection,
  folders: MailboxInfo[],
  link: MessageLink,
): Promise<Resolution> {
  const wanted = bareMessageId(link.messageId);
  // Callers may build links without parseMessageLink: the search below must never run for an ID
  // that every message contains.
  const problem = messageIdProblem(wanted);
  if (problem)
    throw new MailError(
      'malformed',
      `<${wanted.slice(0, 200)}> is not a Message-ID that names one message (${problem}); no folder was searched.`,
    );
  const hint = link.hint;
  if (hint && folders.some((f) => f.path === hint.mailbox)) {
    const hit = await conn
      .withMailbox(hint.mailbox, { readOnly: true, idempotent: true, sync: true }, async (client, mailbox) => {
        if (uidValidityOf(mailbox) !== hint.uidValidity) return undefined;
        const id = await messageIdAt(client, hint.uid);
        return id && bareMessageId(id) === wanted
          ? { mailbox: hint.mailbox, uidValidity: hint.uidValidity, uid: hint.uid }
          : undefined;
      })
      .catch(() => undefined); // a stale or broken hint only means: search
    if (hit) return { refs: [hit], viaHint: true };
  }
  const order = searchOrder(folders);
  for (const path of order) {
    const refs = await conn
      .withMailbox(path, { readOnly: true, idempotent: true, sync: true }, async (client, mailbox) => {
        if (mailbox.exists === 0) return [];
        const uids = await client.search({ header: { 'message-id': wanted } }, { uid: true });
        if (!Array.isArray(uids) || uids.length === 0) return [];
        // HEADER search is a substring match: confirm the exact Message-ID.
        const exact: MessageRef[] = [];
        for await (const m of client.fetch(uids, { uid: true, envelope: true }, { uid: true })) {
          if (m.envelope?.messageId && bareMessageId(m.envelope.messageId) === wanted) {
            exact.push({ mailbox: path, uidValidity: uidValidityOf(mailbox), uid: m.uid });
          }
        }
        return exact;
      })
      .catch((err: unknown) => {
        if (err instanceof MailError && err.kind === 'mailboxNotFound') return [];
        throw err;
      });
    if (refs.length) return { refs, viaHint: false };
  }
  throw new MailError(
    'messageNotFound',
    `No message with Message-ID <${wanted}> is in ${link.account} any more (searched ${order.length} folders); it was probably deleted.`,
    { messageId: wanted },
  );
}
