// Message lists: newest first, one page at a time, so the first screen of a 100k folder costs
// one small FETCH. Every summary carries its mailbox's UIDVALIDITY: a UID means nothing without it.
import type { FetchMessageObject, FetchQueryObject, ImapFlow, MailboxObject, MessageAddressObject } from 'imapflow';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { hasAttachments } from '../reading/structure';
import type { StructureMemo } from '../reading/structure-memo';
import type { PageMark } from './page-marks';
import { Flag } from '../../shared/flags';

export interface Address {
  name?: string;
  address?: string;
}

/** Names one message for as long as the mailbox keeps its UIDVALIDITY. */
export interface MessageRef {
  mailbox: string;
  uidValidity: string;
  uid: number;
}

/** The one comparison of refs: a UID names a message only together with its mailbox and UIDVALIDITY. */
export function sameRef(a: Readonly<MessageRef>, b: Readonly<MessageRef>): boolean {
  return a.uid === b.uid && a.mailbox === b.mailbox && a.uidValidity === b.uidValidity;
}

/** A string that is equal for two refs exactly when sameRef says they are (for maps and sets). */
export function refKey(ref: Readonly<MessageRef>): string {
  return `${ref.mailbox}\u0000${ref.uidValidity}\u0000${ref.uid}`;
}

/** Only the ref of a summary (or of anything that carries one). */
export function refOf(ref: Readonly<MessageRef>): MessageRef {
  return { mailbox: ref.mailbox, uidValidity: ref.uidValidity, uid: ref.uid };
}

export interface MessageSummary extends MessageRef {
  messageId?: string;
  inReplyTo?: string;
  flags: string[];
  /** ISO date from the Date header, else the server's arrival time. */
  date: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  subject: string;
  size: number;
  hasAttachments: boolean;
}

/**
 * A summary as the account store hands it out: frozen, one object shared by every surface, so
 * nothing outside the store can change what another surface shows.
 */
export type ReadonlySummary = Readonly<Omit<MessageSummary, 'flags' | 'from' | 'to' | 'cc'>> & {
  readonly flags: readonly string[];
  readonly from: readonly Readonly<Address>[];
  readonly to: readonly Readonly<Address>[];
  readonly cc: readonly Readonly<Address>[];
};

export interface MessagePage {
  mailbox: string;
  uidValidity: string;
  /** Messages in the folder. */
  exists: number;
  /** Newest first. */
  messages: MessageSummary[];
  /** More, older messages exist: ask with `before` = the last summary's UID. */
  hasMore: boolean;
  /** Sync state of the folder when the page was read (for the cache / QRESYNC). */
  uidNext: number;
  highestModseq?: string;
}

export const SUMMARY_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  envelope: true,
  internalDate: true,
  size: true,
  bodyStructure: true,
};

export const DEFAULT_PAGE_SIZE = 50;

const addresses = (list: MessageAddressObject[] | undefined): Address[] =>
  (list ?? []).map((a) => ({ ...(a.name ? { name: a.name } : {}), ...(a.address ? { address: a.address } : {}) }));

function isoDate(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** \Recent belongs to one session, not to the message: never shown, cached or compared. */
export function withoutRecent(flags: Iterable<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => f !== Flag.Recent);
}

export function toSummary(msg: FetchMessageObject, mailbox: string, uidValidity: string): MessageSummary {
  const env = msg.envelope ?? {};
  const summary: MessageSummary = {
    mailbox,
    uidValidity,
    uid: msg.uid,
    flags: withoutRecent(msg.flags),
    date: isoDate(env.date) ?? isoDate(msg.internalDate) ?? new Date(0).toISOString(),
    from: addresses(env.from),
    to: addresses(env.to),
    cc: addresses(env.cc),
    subject: env.subject ?? '',
    size: msg.size ?? 0,
    hasAttachments: hasAttachments(msg.bodyStructure),
  };
  if (env.messageId) summary.messageId = env.messageId;
  if (env.inReplyTo) summary.inReplyTo = env.inReplyTo;
  return summary;
}

export function uidValidityOf(mailbox: MailboxObject): string {
  return mailbox.uidValidity.toString();
}

/** Refuses to act on a UID from another incarnation of the mailbox. */
export function assertUidValidity(mailbox: MailboxObject, ref: { mailbox: string; uidValidity: string }): void {
  if (uidValidityOf(mailbox) !== ref.uidValidity) {
    throw new MailError(
      'uidValidityChanged',
      `The folder "${ref.mailbox}" was rebuilt on the server (UIDVALIDITY ${ref.uidValidity} → ${uidValidityOf(mailbox)}); reload it.`,
      { mailbox: ref.mailbox },
    );
  }
}

/**
 * What a server reports, inside the answer to one of our FETCHes, about a message another
 * session changed (RFC 3501 7.4.2: untagged FETCH responses may come at any time). imapflow hands
 * such responses to the FETCH under way, so they have to be told apart there.
 */
export type StrayFetch = (update: { uid: number; flags: string[] }) => void;

/**
 * Summaries of the messages a FETCH of SUMMARY_QUERY returns, newest first; their structures are
 * kept for the reader. A response without the ENVELOPE asked for is no summary but a report
 * about another message: it goes to `stray` (when it says flags), never into the list.
 */
async function collectSummaries(
  fetched: AsyncIterable<FetchMessageObject>,
  mailbox: MailboxObject,
  structures: StructureMemo | undefined,
  stray?: StrayFetch,
): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  const uidValidity = uidValidityOf(mailbox);
  for await (const msg of fetched) {
    if (!msg.envelope) {
      if (msg.flags && msg.uid) stray?.({ uid: msg.uid, flags: withoutRecent(msg.flags) });
      continue;
    }
    const summary = toSummary(msg, mailbox.path, uidValidity);
    structures?.remember(summary, msg.bodyStructure);
    out.push(summary);
  }
  return out.sort((a, b) => b.uid - a.uid);
}

/** Summaries of `uids` (any order in, newest first out). The caller holds the mailbox lock. */
export async function fetchSummaries(
  client: ImapFlow,
  mailbox: MailboxObject,
  uids: number[],
  structures?: StructureMemo,
  stray?: StrayFetch,
): Promise<MessageSummary[]> {
  if (uids.length === 0) return [];
  return collectSummaries(client.fetch(uids, SUMMARY_QUERY, { uid: true }), mailbox, structures, stray);
}

/**
 * Sequence number of the newest message whose UID is below `uid` (0 if none): the number of
 * messages with a smaller UID. Asked as a UID SEARCH because during a UID command the server may
 * report other sessions' expunges first, so the count matches the sequence numbers we FETCH next.
 */
async function seqBelow(client: ImapFlow, uid: number): Promise<number> {
  if (uid <= 1) return 0;
  const range = `1:${uid - 1}`;
  if (client.capabilities.has('ESEARCH')) {
    const r = await client.search({ uid: range }, { uid: true, returnOptions: ['COUNT'] });
    if (r && !Array.isArray(r)) return r.count ?? 0;
  }
  const uids = await client.search({ uid: range }, { uid: true });
  return Array.isArray(uids) ? uids.length : 0;
}

/** HIGHESTMODSEQ, only when CONDSTORE is really in use on this connection. */
export function modseqOf(client: ImapFlow, mailbox: MailboxObject): { highestModseq?: string } {
  return client.enabled.has('CONDSTORE') && mailbox.highestModseq !== undefined && !mailbox.noModseq
    ? { highestModseq: mailbox.highestModseq.toString() }
    : {};
}

/** The `pageSize` newest messages at or below sequence number `end`, newest first. The caller holds the lock. */
export async function newestPage(
  client: ImapFlow,
  mailbox: MailboxObject,
  end: number,
  pageSize: number,
  structures?: StructureMemo,
): Promise<{ messages: MessageSummary[]; hasMore: boolean; oldestSeq?: number }> {
  if (end <= 0) return { messages: [], hasMore: false };
  const start = Math.max(1, end - pageSize + 1);
  const messages = await collectSummaries(client.fetch(`${start}:${end}`, SUMMARY_QUERY), mailbox, structures);
  // Every number of the range answered: the oldest message is the one at `start`.
  const complete = messages.length === end - start + 1;
  return { messages, hasMore: start > 1, ...(complete ? { oldestSeq: start } : {}) };
}

/**
 * The page below UID `before` found from where the previous page ended, or undefined when the
 * mark does not fit (another page, a rebuilt folder, expunges that shifted the numbers). One FETCH
 * that also takes the marked message: only if it still has that UID do the numbers below it name
 * exactly the older messages (sequence numbers follow UID order).
 */
async function pageBelowMark(
  client: ImapFlow,
  mailbox: MailboxObject,
  mark: PageMark | undefined,
  before: number,
  pageSize: number,
  structures?: StructureMemo,
): Promise<{ messages: MessageSummary[]; hasMore: boolean; oldestSeq?: number } | undefined> {
  if (!mark || mark.uid !== before || mark.uidValidity !== uidValidityOf(mailbox) || mark.seq > mailbox.exists)
    return undefined;
  const page = await newestPage(client, mailbox, mark.seq, pageSize + 1, structures);
  const [marked, ...older] = page.messages;
  if (marked?.uid !== before) return undefined;
  return { ...page, messages: older };
}

export async function listPage(
  conn: ImapConnection,
  path: string,
  opts: { before?: number; pageSize?: number; readOnly?: boolean } = {},
): Promise<MessagePage> {
  const pageSize = Math.max(1, Math.min(opts.pageSize ?? DEFAULT_PAGE_SIZE, 1000));
  return conn.withMailbox(
    path,
    { readOnly: opts.readOnly ?? false, idempotent: true, sync: true },
    async (client, mailbox) => {
      const { before } = opts;
      const page =
        before === undefined
          ? await newestPage(client, mailbox, mailbox.exists, pageSize, conn.structures)
          : ((await pageBelowMark(client, mailbox, conn.pageMarks.get(path), before, pageSize, conn.structures)) ??
            (await newestPage(client, mailbox, await seqBelow(client, before), pageSize, conn.structures)));
      const uidValidity = uidValidityOf(mailbox);
      const oldest = page.messages.at(-1);
      conn.pageMarks.set(
        path,
        oldest && page.oldestSeq !== undefined ? { uidValidity, uid: oldest.uid, seq: page.oldestSeq } : undefined,
      );
      return {
        mailbox: path,
        uidValidity,
        exists: mailbox.exists,
        messages: page.messages,
        hasMore: page.hasMore,
        uidNext: mailbox.uidNext,
        ...modseqOf(client, mailbox),
      };
    },
  );
}
