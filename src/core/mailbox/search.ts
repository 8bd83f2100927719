// Server-side search (UID SEARCH): the server holds the whole mailbox, we hold one page of it.
import type { SearchObject } from 'imapflow';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { fetchSummaries, type MessageSummary, uidValidityOf } from './messages';

export interface SearchQuery {
  from?: string;
  to?: string;
  subject?: string;
  /** In the body only. */
  body?: string;
  /** Anywhere: headers or body. */
  text?: string;
  since?: Date | string;
  before?: Date | string;
  unseen?: boolean;
  flagged?: boolean;
  /** An IMAP keyword the messages carry (`$Junk`, `work`). */
  keyword?: string;
  /** Every message (a saved search such as "Unified Inbox" that lists a folder as it is). */
  all?: boolean;
}

export interface SearchResult {
  mailbox: string;
  uidValidity: string;
  /** All matches, newest first. */
  uids: number[];
  /** Summaries of the first `limit` matches. */
  messages: MessageSummary[];
}

function toDate(value: Date | string, field: string): Date {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new MailError('config', `"${field}" is not a date: ${String(value)}`);
  return d;
}

/** An IMAP keyword (an atom; `\\` would make it a system flag). */
export const KEYWORD = /^[^\s()\]{%*"\\]+$/;

export function toSearchObject(q: SearchQuery): SearchObject {
  const s: SearchObject = {};
  for (const key of ['from', 'to', 'subject', 'body', 'text'] as const) {
    const v = q[key]?.trim();
    if (v) s[key] = v;
  }
  if (q.since) s.since = toDate(q.since, 'since');
  if (q.before) s.before = toDate(q.before, 'before');
  if (q.unseen) s.seen = false;
  if (q.flagged) s.flagged = true;
  const keyword = q.keyword?.trim();
  if (keyword) {
    if (!KEYWORD.test(keyword)) throw new MailError('config', `"${keyword}" is not an IMAP keyword.`);
    s.keyword = keyword;
  }
  if (Object.keys(s).length === 0) {
    if (q.all) return { all: true };
    throw new MailError(
      'config',
      'Say what to search for (sender, subject, text, date, unread, flagged or a keyword).',
    );
  }
  return s;
}

/** Parses "from:ann subject:report since:2026-01-01 is:unread is:flagged tag:work free words" into a query. */
export function parseSearchText(input: string): SearchQuery {
  const q: SearchQuery = {};
  const words: string[] = [];
  const re = /(\w+):("([^"]*)"|\S+)|"([^"]*)"|(\S+)/g;
  for (const m of input.matchAll(re)) {
    const key = m[1]?.toLowerCase();
    const value = m[3] ?? m[2] ?? m[4] ?? m[5] ?? '';
    if (key === 'from' || key === 'to' || key === 'subject' || key === 'body' || key === 'since' || key === 'before')
      q[key] = value;
    else if (key === 'is' && value.toLowerCase() === 'unread') q.unseen = true;
    else if (key === 'is' && value.toLowerCase() === 'flagged') q.flagged = true;
    else if (key === 'is' && value.toLowerCase() === 'junk') q.keyword = '$Junk';
    else if ((key === 'keyword' || key === 'tag') && value) q.keyword = value;
    else words.push(m[0]!.replace(/^"|"$/g, ''));
  }
  if (words.length) q.text = words.join(' ');
  return q;
}

export async function searchMailbox(
  conn: ImapConnection,
  path: string,
  query: SearchQuery,
  opts: { limit?: number; readOnly?: boolean } = {},
): Promise<SearchResult> {
  const criteria = toSearchObject(query);
  return conn.withMailbox(
    path,
    { readOnly: opts.readOnly ?? false, idempotent: true, sync: true },
    async (client, mailbox) => {
      const found = await client.search(criteria, { uid: true });
      if (found === false || found === undefined) {
        throw new MailError(
          'server',
          `The server refused the search: ${conn.takeLastCommandError() ?? 'no reason given'}`,
        );
      }
      const uids = [...found].sort((a, b) => b - a);
      const messages = await fetchSummaries(client, mailbox, uids.slice(0, opts.limit ?? 50), conn.structures);
      return { mailbox: path, uidValidity: uidValidityOf(mailbox), uids, messages };
    },
  );
}

/** One search over several folders: the matches of each, then all of them newest first. */
export interface MultiSearchResult {
  /** Per folder, in the order asked (folders that could not be searched carry `error`). */
  folders: Array<{ mailbox: string; total: number; error?: string }>;
  /** Summaries of the newest `limit` matches across the folders. */
  messages: MessageSummary[];
  /** Matches in all the folders together. */
  total: number;
}

/**
 * Searches `paths` one after the other on one connection (a SELECT each: IMAP searches one
 * folder at a time). A folder that refuses (gone, no rights) is reported, not fatal.
 */
export async function searchFolders(
  conn: ImapConnection,
  paths: readonly string[],
  query: SearchQuery,
  opts: { limit?: number } = {},
): Promise<MultiSearchResult> {
  toSearchObject(query); // a query that says nothing fails before any folder is opened
  const limit = opts.limit ?? 50;
  const folders: MultiSearchResult['folders'] = [];
  let messages: MessageSummary[] = [];
  for (const path of paths) {
    try {
      const r = await searchMailbox(conn, path, query, { limit });
      folders.push({ mailbox: path, total: r.uids.length });
      messages = messages.concat(r.messages);
    } catch (err) {
      if (err instanceof MailError && (err.kind === 'mailboxNotFound' || err.kind === 'server'))
        folders.push({ mailbox: path, total: 0, error: err.message });
      else throw err;
    }
  }
  messages.sort((a, b) => b.date.localeCompare(a.date));
  return { folders, messages: messages.slice(0, limit), total: folders.reduce((n, f) => n + f.total, 0) };
}
