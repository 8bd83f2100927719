// Conversation threading of a loaded message list, from Message-ID and In-Reply-To (JWZ-style
// parent links, without subject guessing). It works on what is already loaded or cached, so it
// never costs a round trip and never delays the first page.
import { bareId } from './ids';
import type { MessageSummary } from './messages';

export interface ThreadNode {
  message: MessageSummary;
  replies: ThreadNode[];
  /** Newest date in the thread (threads sort by latest activity). */
  latest: string;
}

const norm = (id: string | undefined) => (id === undefined ? undefined : bareId(id).toLowerCase());

export function buildThreads(messages: MessageSummary[]): ThreadNode[] {
  const nodes = new Map<MessageSummary, ThreadNode>();
  const byId = new Map<string, ThreadNode>();
  for (const m of messages) {
    const node: ThreadNode = { message: m, replies: [], latest: m.date };
    nodes.set(m, node);
    const id = norm(m.messageId);
    if (id && !byId.has(id)) byId.set(id, node);
  }
  const roots: ThreadNode[] = [];
  for (const node of nodes.values()) {
    const parent = byId.get(norm(node.message.inReplyTo) ?? '');
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
