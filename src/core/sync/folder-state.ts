// What the account store knows of one folder, as immutable snapshots, and the one way its message
// list changes: an edit (add, remove, new flags) applied to a list gives the new list and the
// change it made, and every change can be turned back into the edit that undoes it. The store
// applies server truth this way today; an optimistic mode applies first and reverts on failure.
import type { MailboxInfo } from '../mailbox/mailboxes';
import { type MessageRef, type MessageSummary, type ReadonlySummary, refKey } from '../mailbox/messages';
import type { ThreadParents } from '../mailbox/threads';
import type { CachedMailbox } from './cache';

/** Where the last full look at the folder left off. Older is always safe for a resync (it only re-reads more). */
export interface SyncPoint {
  readonly uidNext: number;
  readonly exists: number;
  readonly highestModseq?: string;
}

export interface FolderSnapshot {
  readonly path: string;
  readonly uidValidity?: string;
  readonly sync?: SyncPoint;
  /** The loaded pages, newest first: every message of the folder from the newest down to the oldest shown. */
  readonly messages: readonly ReadonlySummary[];
  /** Older messages exist on the server ("Load more"). */
  readonly hasMore: boolean;
  readonly loading: boolean;
  /** Why the last server round on the folder failed, until one succeeds. */
  readonly error?: string;
  /** The server's conversation links for the loaded messages, and which loaded set they describe. */
  readonly threads?: { readonly key: string; readonly parents: ThreadParents };
}

export function syncPointOf(m: { uidNext: number; exists: number; highestModseq?: string }): SyncPoint {
  return Object.freeze({
    uidNext: m.uidNext,
    exists: m.exists,
    ...(m.highestModseq !== undefined ? { highestModseq: m.highestModseq } : {}),
  });
}

export function freezeSummary(m: MessageSummary | ReadonlySummary): ReadonlySummary {
  if (Object.isFrozen(m)) return m;
  const addresses = (list: readonly { name?: string; address?: string }[]) =>
    Object.freeze(list.map((a) => Object.freeze({ ...a })));
  return Object.freeze({
    ...m,
    flags: Object.freeze([...m.flags]),
    from: addresses(m.from),
    to: addresses(m.to),
    cc: addresses(m.cc),
  });
}

export function freezeFolders(list: readonly MailboxInfo[]): readonly MailboxInfo[] {
  return Object.freeze(
    list.map((f) =>
      Object.isFrozen(f) ? f : Object.freeze({ ...f, ...(f.counts ? { counts: Object.freeze({ ...f.counts }) } : {}) }),
    ),
  );
}

/** A new snapshot: `base` with `patch` (undefined values remove a field). */
export function snapshot(base: FolderSnapshot | { path: string }, patch: Partial<FolderSnapshot>): FolderSnapshot {
  const next: Record<string, unknown> = { messages: [], hasMore: false, loading: false, ...base, ...patch };
  for (const [k, v] of Object.entries(next)) if (v === undefined) delete next[k];
  if (!Object.isFrozen(next.messages)) next.messages = Object.freeze([...(next.messages as ReadonlySummary[])]);
  return Object.freeze(next) as unknown as FolderSnapshot;
}

/** The cache entry of a snapshot, when it has what a resync needs. */
export function toCached(s: FolderSnapshot): CachedMailbox | undefined {
  if (s.uidValidity === undefined || !s.sync) return undefined;
  return {
    path: s.path,
    uidValidity: s.uidValidity,
    ...s.sync,
    messages: s.messages as MessageSummary[],
    hasMore: s.hasMore,
  };
}

/** What to do to a message list. Flags are whole sets, not differences. */
export interface ListEdit {
  readonly add?: readonly ReadonlySummary[];
  readonly remove?: readonly MessageRef[];
  readonly flags?: ReadonlyArray<{ readonly ref: MessageRef; readonly flags: readonly string[] }>;
}

/** What an edit did (only what really changed: removing what is not there is no change). */
export interface ListChange {
  readonly added: readonly ReadonlySummary[];
  readonly removed: readonly ReadonlySummary[];
  readonly changed: ReadonlyArray<{ readonly before: ReadonlySummary; readonly after: ReadonlySummary }>;
}

export const NO_CHANGE: ListChange = Object.freeze({ added: [], removed: [], changed: [] });

const sameFlags = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((f) => b.includes(f));

/** Applies `edit` to `list` (newest first); the result is newest first again. */
export function applyEdit(
  list: readonly ReadonlySummary[],
  edit: ListEdit,
): { list: readonly ReadonlySummary[]; change: ListChange } {
  const byKey = new Map(list.map((m) => [refKey(m), m]));
  const removed: ReadonlySummary[] = [];
  for (const ref of edit.remove ?? []) {
    const key = refKey(ref);
    const m = byKey.get(key);
    if (!m) continue;
    byKey.delete(key);
    removed.push(m);
  }
  const changed: Array<{ before: ReadonlySummary; after: ReadonlySummary }> = [];
  for (const { ref, flags } of edit.flags ?? []) {
    const key = refKey(ref);
    const m = byKey.get(key);
    if (!m || sameFlags(m.flags, flags)) continue;
    const after = freezeSummary({ ...m, flags: [...flags] } as MessageSummary);
    byKey.set(key, after);
    changed.push({ before: m, after });
  }
  const added: ReadonlySummary[] = [];
  for (const m of edit.add ?? []) {
    const key = refKey(m);
    if (byKey.has(key)) continue;
    const frozen = freezeSummary(m);
    byKey.set(key, frozen);
    added.push(frozen);
  }
  if (!removed.length && !changed.length && !added.length) return { list, change: NO_CHANGE };
  const next = [...byKey.values()];
  if (added.length) next.sort((a, b) => b.uid - a.uid);
  return { list: Object.freeze(next), change: Object.freeze({ added, removed, changed }) };
}

/** The edit that takes a list back to where it was before `change`. */
export function inverse(change: ListChange): ListEdit {
  return {
    add: change.removed,
    remove: change.added,
    flags: change.changed.map((c) => ({ ref: c.before, flags: c.before.flags })),
  };
}

/** Flags after adding and removing some. */
export function withFlags(
  flags: readonly string[],
  change: { add?: readonly string[]; remove?: readonly string[] },
): string[] {
  const out = flags.filter((f) => !change.remove?.includes(f));
  for (const f of change.add ?? []) if (!out.includes(f)) out.push(f);
  return out;
}
