// Warm start: bring a cached folder up to date with only what changed crossing the wire.
// With QRESYNC the folder is SELECTed with (UIDVALIDITY HIGHESTMODSEQ): the server answers with
// VANISHED (EARLIER) and the FETCHes of changed flags. On a connection that already has the folder
// open, UID FETCH … (CHANGEDSINCE modseq VANISHED) does the same. Without CONDSTORE the cheapest
// correct fallback is UID + FLAGS of the cached range. A changed UIDVALIDITY voids the cache.
import type { ExpungeEvent, FlagsEvent, MailboxObject } from 'imapflow';
import type { CachedMailbox } from './cache';
import type { ImapConnection } from '../session/connection';
import {
  fetchSummaries,
  type MessagePage,
  type MessageSummary,
  modseqOf,
  newestPage,
  uidValidityOf,
  withoutRecent,
} from '../mailbox/messages';

export type ResyncMethod = 'qresync' | 'changedsince' | 'flags' | 'reset';

export interface ResyncResult {
  mailbox: CachedMailbox;
  method: ResyncMethod;
  vanished: number[];
  changedFlags: number;
  added: MessageSummary[];
}

function compactRange(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? `${start}` : `${start}:${end}`);
  }
  return parts.join(',');
}

export interface ResyncOptions {
  pageSize?: number;
  /**
   * Whether to fetch the mail that arrived since (default true). A live watcher that reconnected
   * delivers that mail itself: asking here too would fetch it twice.
   */
  arrivals?: boolean;
}

/**
 * Brings `cached` up to date. `method: 'reset'` means the cached list was thrown away: the folder
 * was rebuilt (UIDVALIDITY), or more mail arrived than one page, so the cached messages no longer
 * join up with the newest ones; `mailbox.messages` is then the newest page.
 */
export async function resyncMailbox(
  conn: ImapConnection,
  cached: CachedMailbox,
  opts: ResyncOptions = {},
): Promise<ResyncResult> {
  const pageSize = opts.pageSize ?? 50;
  const arrivals = opts.arrivals ?? true;
  return conn.run(
    async (client) => {
      const vanished = new Set<number>();
      const flags = new Map<number, string[]>();
      const onExpunge = (e: ExpungeEvent) => {
        if (e.path === cached.path && e.uid !== undefined) vanished.add(e.uid);
      };
      const onFlags = (e: FlagsEvent) => {
        if (e.path === cached.path && e.uid !== undefined) flags.set(e.uid, withoutRecent(e.flags));
      };
      client.on('expunge', onExpunge);
      client.on('flags', onFlags);
      const wasOpen = !!client.mailbox && client.mailbox.path === cached.path && !client.mailbox.readOnly;
      const qresync = client.enabled.has('QRESYNC') && cached.highestModseq !== undefined;
      const lock = await client.getMailboxLock(
        cached.path,
        qresync && !wasOpen
          ? { changedSince: BigInt(cached.highestModseq!), uidValidity: BigInt(cached.uidValidity) }
          : {},
      );
      try {
        // An already open folder first hears what other sessions did (flags, VANISHED, EXISTS).
        if (wasOpen) await client.noop();
        const mailbox = client.mailbox as MailboxObject;
        const uidValidity = uidValidityOf(mailbox);
        const base = {
          path: cached.path,
          uidValidity,
          uidNext: mailbox.uidNext,
          exists: mailbox.exists,
          ...modseqOf(client, mailbox),
        };
        const reset = async (): Promise<ResyncResult> => {
          const page = await newestPage(client, mailbox, mailbox.exists, pageSize, conn.structures);
          return {
            mailbox: { ...base, ...page },
            method: 'reset',
            vanished: [],
            changedFlags: 0,
            added: page.messages,
          };
        };
        if (uidValidity !== cached.uidValidity) return reset();

        let method: ResyncMethod;
        const cachedUids = cached.messages.map((m) => m.uid);
        if (qresync && !wasOpen) {
          method = 'qresync'; // the SELECT itself delivered VANISHED and the changed FETCHes
        } else if (
          client.enabled.has('CONDSTORE') &&
          cached.highestModseq !== undefined &&
          base.highestModseq !== undefined
        ) {
          method = 'changedsince';
          if (base.highestModseq !== cached.highestModseq && cachedUids.length) {
            for await (const m of client.fetch(
              compactRange(cachedUids),
              { uid: true, flags: true },
              { uid: true, changedSince: BigInt(cached.highestModseq) },
            )) {
              flags.set(m.uid, withoutRecent(m.flags));
            }
          }
        } else {
          method = 'flags';
          if (cachedUids.length) {
            const seen = new Set<number>();
            for await (const m of client.fetch(compactRange(cachedUids), { uid: true, flags: true }, { uid: true })) {
              seen.add(m.uid);
              flags.set(m.uid, withoutRecent(m.flags));
            }
            for (const uid of cachedUids) if (!seen.has(uid)) vanished.add(uid);
          }
        }

        // Mail that arrived since. More than a page of it, and the cached messages would be
        // separated from the newest by mail never listed ("Load more" starts below the oldest
        // shown): then the newest page replaces the cached one.
        let added: MessageSummary[] = [];
        // (uidNext is only refreshed by SELECT: on an open folder, ask.)
        if (arrivals && (mailbox.uidNext > cached.uidNext || wasOpen)) {
          const fresh = await client.search({ uid: `${cached.uidNext}:*` }, { uid: true });
          const uids = Array.isArray(fresh) ? fresh.filter((u) => u >= cached.uidNext) : [];
          if (uids.length > pageSize) return reset();
          added = await fetchSummaries(client, mailbox, uids, conn.structures);
        }
        // Without the arrivals, the sync point stays where it was: the next resync looks for them again.
        if (!arrivals) base.uidNext = cached.uidNext;

        let changedFlags = 0;
        const messages = cached.messages
          .filter((m) => !vanished.has(m.uid))
          .map((m) => {
            const f = flags.get(m.uid);
            if (!f || (f.length === m.flags.length && f.every((x) => m.flags.includes(x)))) return m;
            changedFlags++;
            return { ...m, flags: f };
          });
        const known = new Set(messages.map((m) => m.uid));
        const merged = [...added.filter((m) => !known.has(m.uid)), ...messages].sort((a, b) => b.uid - a.uid);
        return {
          mailbox: { ...base, messages: merged, hasMore: cached.hasMore || merged.length < mailbox.exists },
          method,
          vanished: [...vanished].filter((u) => cachedUids.includes(u)),
          changedFlags,
          added,
        };
      } finally {
        lock.release();
        client.off('expunge', onExpunge);
        client.off('flags', onFlags);
      }
    },
    { idempotent: true },
  );
}

/** The cache entry for a freshly listed first page. */
export function toCachedMailbox(page: MessagePage): CachedMailbox {
  return {
    path: page.mailbox,
    uidValidity: page.uidValidity,
    exists: page.exists,
    messages: page.messages,
    hasMore: page.hasMore,
    uidNext: page.uidNext,
    ...(page.highestModseq !== undefined ? { highestModseq: page.highestModseq } : {}),
  };
}
