// Conversation threading of a loaded message list. The server's THREAD=REFERENCES answer, when
// there is one, gives the parent links (it knows every message's References); otherwise, and for
// messages it has not covered yet, Message-ID and In-Reply-To of the loaded summaries do. Either
// way the list is grouped after the first page is shown, never before.
import { bareId } from '../ids';
import type { ReadonlySummary } from './messages';

export interface ThreadNode {
  message: ReadonlySummary;
  replies: ThreadNode[];
  /** Newest date in the thread (threads sort by latest activity). */
  latest: string;
}

const norm = (id: string | undefined) => (id === undefined ? undefined : bareId(id).toLowerCase());

/** UID → parent UID, from the server's thread tree (see parentsFromThreadResponse). */
export type ThreadParents = ReadonlyMap<number, number>;

export function buildThreads(messages: readonly ReadonlySummary[], serverParents?: ThreadParents): ThreadNode[] {
  const nodes = new Map<ReadonlySummary, ThreadNode>();
  const byId = new Map<string, ThreadNode>();
  const byUid = new Map<number, ThreadNode>();
  for (const m of messages) {
    const node: ThreadNode = { message: m, replies: [], latest: m.date };
    nodes.set(m, node);
    byUid.set(m.uid, node);
    const id = norm(m.messageId);
    if (id && !byId.has(id)) byId.set(id, node);
  }
  // The nearest loaded ancestor the server knows of (a parent may be on a page not loaded yet).
  const serverParent = (uid: number): ThreadNode | undefined => {
    let p = serverParents?.get(uid);
    for (let hops = 0; p !== undefined && hops < 1000; hops++) {
      const node = byUid.get(p);
      if (node) return node;
      p = serverParents?.get(p);
    }
    return undefined;
  };
  const roots: ThreadNode[] = [];
  for (const node of nodes.values()) {
    const parent = serverParent(node.message.uid) ?? byId.get(norm(node.message.inReplyTo) ?? '');
    // A reply to itself, or a loop through duplicates, would hide a message: keep it a root.
    if (parent && parent !== node && !isAncestor(node, parent)) parent.replies.push(node);
    else roots.push(node);
  }
  const settle = (n: ThreadNode): string => {
    n.replies.sort((a, b) => a.message.date.localeCompare(b.message.date));
    for (const r of n.replies) {
      const l = settle(r);
      if (l > n.latest) n.latest = l;
    }
    return n.latest;
  };
  for (const r of roots) settle(r);
  return roots.sort((a, b) => b.latest.localeCompare(a.latest) || b.message.uid - a.message.uid);
}

function isAncestor(candidate: ThreadNode, of: ThreadNode): boolean {
  const stack = [...candidate.replies];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === of) return true;
    stack.push(...n.replies);
  }
  return false;
}

/**
 * Parent links from the attributes of `* THREAD` responses (RFC 5256): in `(3 6 (4 23)(44 7 96))`
 * each number is the parent of the next, and each nested list branches off the number before it.
 * A thread whose root is missing starts with lists, `((3)(5))`: its first branch stands in for the
 * root, so the siblings stay together. Anything else in the answer is ignored.
 */
export function parentsFromThreadResponse(threads: unknown[]): Map<number, number> {
  const parents = new Map<number, number>();
  const walk = (list: unknown[], parent: number | undefined, depth: number): number | undefined => {
    if (depth > 500) return undefined;
    let first: number | undefined;
    let last = parent;
    for (const el of list) {
      if (Array.isArray(el)) {
        const root = walk(el, last, depth + 1);
        if (last === undefined && root !== undefined) last = first = root;
        continue;
      }
      const uid = Number((el as { value?: unknown } | null)?.value);
      if (!Number.isSafeInteger(uid) || uid <= 0) continue;
      if (last !== undefined && last !== uid) parents.set(uid, last);
      first ??= uid;
      last = uid;
    }
    return first;
  };
  for (const thread of threads) if (Array.isArray(thread)) walk(thread, undefined, 0);
  return parents;
}
