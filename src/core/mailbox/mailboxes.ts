// Folder listing: hierarchy, special-use roles (with name fallbacks for servers without
// SPECIAL-USE), counts (LIST-STATUS when offered, STATUS otherwise) and folder management.
import type { ImapFlow, ListResponse, StatusObject } from 'imapflow';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';

export type SpecialUse = 'inbox' | 'drafts' | 'sent' | 'archive' | 'all' | 'flagged' | 'junk' | 'trash';

export interface MailboxCounts {
  messages: number;
  unseen: number;
  uidNext?: number;
  uidValidity?: string;
  highestModseq?: string;
}

export interface MailboxInfo {
  path: string;
  name: string;
  delimiter: string;
  parentPath: string;
  specialUse?: SpecialUse;
  subscribed: boolean;
  /** \Noselect / \NonExistent folders only hold children. */
  selectable: boolean;
  counts?: MailboxCounts;
}

export interface MailboxNode extends MailboxInfo {
  children: MailboxNode[];
}

export const SPECIAL_USE_ATTRIBUTES: Record<SpecialUse, string> = {
  inbox: '\\Inbox',
  drafts: '\\Drafts',
  sent: '\\Sent',
  archive: '\\Archive',
  all: '\\All',
  flagged: '\\Flagged',
  junk: '\\Junk',
  trash: '\\Trash',
};

const ATTRIBUTE_ROLES: Record<string, SpecialUse> = {
  '\\Inbox': 'inbox',
  '\\Drafts': 'drafts',
  '\\Sent': 'sent',
  '\\Archive': 'archive',
  '\\All': 'all',
  '\\Flagged': 'flagged',
  '\\Junk': 'junk',
  '\\Trash': 'trash',
};

// Names real servers and clients use when they do not announce roles (lower-cased leaf names).
const NAME_ROLES: Record<string, SpecialUse> = {
  drafts: 'drafts',
  draft: 'drafts',
  entwürfe: 'drafts',
  brouillons: 'drafts',
  sent: 'sent',
  'sent items': 'sent',
  'sent mail': 'sent',
  'sent messages': 'sent',
  gesendet: 'sent',
  'éléments envoyés': 'sent',
  archive: 'archive',
  archives: 'archive',
  archiv: 'archive',
  'all mail': 'all',
  junk: 'junk',
  spam: 'junk',
  'junk e-mail': 'junk',
  'junk email': 'junk',
  'bulk mail': 'junk',
  trash: 'trash',
  'deleted items': 'trash',
  'deleted messages': 'trash',
  bin: 'trash',
  papierkorb: 'trash',
  corbeille: 'trash',
  starred: 'flagged',
  flagged: 'flagged',
};

export function specialUseFromName(name: string): SpecialUse | undefined {
  return NAME_ROLES[name.trim().toLowerCase()];
}

const ROLE_ORDER: SpecialUse[] = ['inbox', 'drafts', 'sent', 'archive', 'all', 'flagged', 'junk', 'trash'];

function toCounts(status: StatusObject | undefined): MailboxCounts | undefined {
  if (!status || status.messages === undefined) return undefined;
  return {
    messages: status.messages,
    unseen: status.unseen ?? 0,
    ...(status.uidNext !== undefined ? { uidNext: status.uidNext } : {}),
    ...(status.uidValidity !== undefined ? { uidValidity: status.uidValidity.toString() } : {}),
    ...(status.highestModseq !== undefined ? { highestModseq: status.highestModseq.toString() } : {}),
  };
}

export function toMailboxInfo(entry: ListResponse): MailboxInfo {
  let specialUse: SpecialUse | undefined;
  if (entry.path.toUpperCase() === 'INBOX') specialUse = 'inbox';
  else if (entry.specialUse && entry.specialUseSource !== 'name') specialUse = ATTRIBUTE_ROLES[entry.specialUse];
  // Only top-level (or INBOX-child) folders get a role by name: "Projects/Archive" is just a folder.
  const topLevel =
    entry.parent.length === 0 || (entry.parent.length === 1 && entry.parent[0]!.toUpperCase() === 'INBOX');
  specialUse ??= topLevel ? specialUseFromName(entry.name) : undefined;
  const flags = entry.flags;
  const info: MailboxInfo = {
    path: entry.path,
    name: entry.path.toUpperCase() === 'INBOX' ? 'Inbox' : entry.name,
    delimiter: entry.delimiter,
    parentPath: entry.parentPath,
    // imapflow leaves `subscribed` out (not false) for a folder that is not subscribed.
    subscribed: entry.subscribed === true,
    selectable: !flags.has('\\Noselect') && !flags.has('\\NonExistent'),
  };
  if (specialUse) info.specialUse = specialUse;
  const counts = toCounts(entry.status);
  if (counts) info.counts = counts;
  return info;
}

/** Folders with INBOX first, then the special folders in their usual order, then by name. */
export function sortMailboxes<T extends MailboxInfo>(list: T[]): T[] {
  const rank = (m: MailboxInfo) => (m.specialUse ? ROLE_ORDER.indexOf(m.specialUse) : ROLE_ORDER.length);
  return [...list].sort(
    (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }),
  );
}

export function buildTree(list: readonly MailboxInfo[]): MailboxNode[] {
  const nodes = new Map<string, MailboxNode>();
  for (const m of list) nodes.set(m.path, { ...m, children: [] });
  const roots: MailboxNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentPath ? nodes.get(node.parentPath) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const sortDeep = (level: MailboxNode[]): MailboxNode[] => {
    const sorted = sortMailboxes(level);
    for (const n of sorted) n.children = sortDeep(n.children);
    return sorted;
  };
  return sortDeep(roots);
}

export async function listMailboxes(conn: ImapConnection, opts: { counts?: boolean } = {}): Promise<MailboxInfo[]> {
  return conn.run(
    async (client) => {
      const entries = await client.list(
        opts.counts
          ? {
              statusQuery: {
                messages: true,
                unseen: true,
                uidNext: true,
                uidValidity: true,
                highestModseq: client.capabilities.has('CONDSTORE'),
              },
            }
          : {},
      );
      return sortMailboxes(entries.map(toMailboxInfo));
    },
    { idempotent: true },
  );
}

export function findSpecialUse(list: readonly MailboxInfo[], role: SpecialUse): MailboxInfo | undefined {
  return list.find((m) => m.specialUse === role && m.selectable);
}

export async function mailboxCounts(conn: ImapConnection, path: string): Promise<MailboxCounts> {
  return conn.run(
    async (client) => {
      const status = await client.status(path, {
        messages: true,
        unseen: true,
        uidNext: true,
        uidValidity: true,
        highestModseq: client.capabilities.has('CONDSTORE'),
      });
      const counts = toCounts(status || undefined);
      if (!counts)
        throw new MailError('mailboxNotFound', `The folder "${path}" does not exist or cannot be read.`, { path });
      return counts;
    },
    { idempotent: true },
  );
}

async function manage<T>(conn: ImapConnection, what: string, op: (client: ImapFlow) => Promise<T>): Promise<T> {
  try {
    return await conn.run(op, {
      uncertain: `the request to ${what} may or may not have been carried out — check the folder list`,
    });
  } catch (err) {
    if (err instanceof MailError && err.kind === 'server') {
      throw new MailError(
        'server',
        `Could not ${what}: ${(err.cause as { responseText?: string })?.responseText ?? err.message}`,
      );
    }
    throw err;
  }
}

export function createMailbox(conn: ImapConnection, path: string): Promise<string> {
  return manage(conn, `create the folder "${path}"`, async (c) => {
    const r = await c.mailboxCreate(path);
    if (!r.created)
      throw new MailError('server', `Could not create the folder "${path}": it already exists.`, { path });
    return r.path;
  });
}

export function renameMailbox(conn: ImapConnection, path: string, newPath: string): Promise<string> {
  if (path.toUpperCase() === 'INBOX') return Promise.reject(new MailError('unsupported', 'INBOX cannot be renamed.'));
  return manage(conn, `rename "${path}" to "${newPath}"`, async (c) => (await c.mailboxRename(path, newPath)).newPath);
}

export function deleteMailbox(conn: ImapConnection, path: string): Promise<void> {
  if (path.toUpperCase() === 'INBOX') return Promise.reject(new MailError('unsupported', 'INBOX cannot be deleted.'));
  return manage(conn, `delete the folder "${path}"`, async (c) => {
    await c.mailboxDelete(path);
  });
}

export function setSubscribed(conn: ImapConnection, path: string, subscribed: boolean): Promise<void> {
  return manage(conn, `${subscribed ? 'subscribe to' : 'unsubscribe from'} "${path}"`, async (c) => {
    const ok = subscribed ? await c.mailboxSubscribe(path) : await c.mailboxUnsubscribe(path);
    if (!ok)
      throw new MailError(
        'server',
        `The server refused to ${subscribed ? 'subscribe to' : 'unsubscribe from'} "${path}": ${conn.takeLastCommandError() ?? 'no reason given'}`,
      );
  });
}

/** Unsubscribed folders are hidden unless asked for, or unless the server uses no subscriptions at all. */
export function visibleFolders(list: readonly MailboxInfo[], showUnsubscribed: boolean): MailboxInfo[] {
  const usesSubscriptions = list.some((f) => f.subscribed && f.specialUse !== 'inbox');
  if (showUnsubscribed || !usesSubscriptions) return [...list];
  const byPath = new Map(list.map((f) => [f.path, f]));
  const keep = new Set<string>();
  for (const f of list) {
    if (!f.subscribed && !f.specialUse) continue;
    keep.add(f.path);
    // Its parents stay too, or it would have nowhere to hang (a parent kept already has its own).
    for (let p = f.parentPath; p && !keep.has(p); p = byPath.get(p)?.parentPath ?? '') keep.add(p);
  }
  return list.filter((f) => keep.has(f.path));
}
