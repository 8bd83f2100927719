// The Mailboxes tree: accounts → folders (real hierarchy, unread counts) → messages, newest first,
// paged with "Load more…". It only draws the stores' state, and redraws precisely what their
// events name: a message row whose flags changed, a folder whose messages or counts did, an
// account whose status or live state did.
import * as vscode from 'vscode';
import { buildTree, type MailboxNode, type SpecialUse } from '../core/mailbox/mailboxes';
import { type MessageRef, type ReadonlySummary, refKey } from '../core/mailbox/messages';
import { buildThreads, type ThreadNode } from '../core/mailbox/threads';
import type { StoreEvent } from '../core/sync/store-events';
import type { WatchState } from '../core/sync/watcher';
import { Flag } from '../shared/flags';
import { Command } from './commands/ids';
import { Disposable } from './disposable';
import { formatAddresses, formatSize, senderName, shortDate, subjectOf } from './format';
import type { Account, MailModel } from './model';
import { markdown, markdownString, plain, type PlainText } from './ui';

export type TreeNode =
  | { kind: 'account'; account: Account }
  | { kind: 'folder'; account: Account; folder: MailboxNode }
  | { kind: 'message'; account: Account; message: ReadonlySummary; replies?: ThreadNode[] }
  | { kind: 'loadMore'; account: Account; path: string }
  | { kind: 'info'; id: string; label: PlainText; icon: string; tooltip?: PlainText };

const FOLDER_ICONS: Record<SpecialUse, string> = {
  inbox: 'inbox',
  drafts: 'notebook',
  sent: 'send',
  archive: 'archive',
  all: 'mail',
  flagged: 'star-full',
  junk: 'circle-slash',
  trash: 'trash',
};

export function messageNodeId(account: string, m: MessageRef): string {
  return `msg\u0000${account}\u0000${refKey(m)}`;
}

const folderKey = (account: Account, path: string) => `${account.name}\u0000${path}`;

/** Everything, or these nodes. */
type Refresh = 'all' | Set<TreeNode>;

export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  private pending: NodeJS.Timeout | undefined;
  private queued: Refresh | undefined;
  /** Folders whose first page a getChildren call is waiting for. */
  private readonly answering = new Set<string>();
  /** The nodes VS Code holds now, by the parts of them that events name (a refresh must pass the same objects). */
  private readonly accountNodes = new Map<Account, TreeNode>();
  private readonly folderNodes = new Map<string, TreeNode>();
  private readonly messageNodes = new Map<string, TreeNode>();

  constructor(private readonly model: MailModel) {
    super();
    this._register(
      model.onDidChange((e) => {
        if (e.kind === 'accounts') this.refresh('all');
        else this.onStore(e.account, e.event);
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mailroom.threading')) this.refresh('all');
      }),
    );
  }

  private onStore(account: Account, e: StoreEvent): void {
    const accountNode = this.accountNodes.get(account);
    const folder = (path: string) => this.folderNodes.get(folderKey(account, path));
    switch (e.kind) {
      case 'status':
      case 'folders':
        return this.refresh(accountNode);
      case 'counts':
        // The account line shows INBOX's unread count.
        return this.refresh(...e.paths.map(folder), e.paths.includes('INBOX') ? accountNode : undefined);
      case 'folder':
        // The answer to a pending getChildren is on its way: a redraw now would only ask again.
        if (!this.answering.has(folderKey(account, e.path))) this.refresh(folder(e.path));
        return;
      case 'messages':
        if (this.answering.has(folderKey(account, e.path))) return;
        if (e.added.length || e.removed.length || this.threading()) return this.refresh(folder(e.path));
        return this.refresh(...e.changed.map((r) => this.messageNodes.get(messageNodeId(account.name, r))));
      case 'live':
        return this.refresh(e.path === 'INBOX' ? accountNode : folder(e.path));
      default:
        return;
    }
  }

  private threading(): boolean {
    return vscode.workspace.getConfiguration('mailroom').get<boolean>('threading', false);
  }

  /** Bursts of IDLE events and count updates become one redraw of what they touched. */
  private refresh(...nodes: Array<TreeNode | 'all' | undefined>): void {
    if (nodes.includes('all')) this.queued = 'all';
    else if (this.queued !== 'all') {
      const set: Set<TreeNode> = this.queued ?? new Set<TreeNode>();
      for (const n of nodes) if (n && n !== 'all') set.add(n);
      if (!set.size) return;
      this.queued = set;
    }
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const queued = this.queued;
      this.queued = undefined;
      if (queued === 'all') this.emitter.fire(undefined);
      else if (queued?.size) this.emitter.fire([...queued]);
    }, 30);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      this.accountNodes.clear();
      return this.model.accounts.map((account) => {
        const n: TreeNode = { kind: 'account', account };
        this.accountNodes.set(account, n);
        return n;
      });
    }
    if (node.kind === 'account') return this.accountChildren(node.account);
    if (node.kind === 'folder') return this.folderChildren(node.account, node.folder);
    if (node.kind === 'message') return (node.replies ?? []).map((t) => this.threadNode(node.account, t));
    return [];
  }

  private async answer<T>(key: string, load: () => Promise<T>): Promise<T> {
    this.answering.add(key);
    try {
      return await load();
    } finally {
      this.answering.delete(key);
    }
  }

  private folderNode(account: Account, folder: MailboxNode): TreeNode {
    const n: TreeNode = { kind: 'folder', account, folder };
    this.folderNodes.set(folderKey(account, folder.path), n);
    return n;
  }

  private messageNode(account: Account, message: ReadonlySummary, replies?: ThreadNode[]): TreeNode {
    const n: TreeNode = { kind: 'message', account, message, ...(replies?.length ? { replies } : {}) };
    this.messageNodes.set(messageNodeId(account.name, message), n);
    return n;
  }

  private threadNode(account: Account, t: ThreadNode): TreeNode {
    return this.messageNode(account, t.message, t.replies);
  }

  private async accountChildren(account: Account): Promise<TreeNode[]> {
    const store = account.store;
    const status = account.status;
    if (!store || (status.kind === 'error' && !store.folders)) {
      return [
        {
          kind: 'info',
          id: `err\u0000${account.name}`,
          label: plain`${status.kind === 'error' ? status.error.message : ''}`,
          icon: 'error',
        },
      ];
    }
    try {
      const folders = await store.loadFolders();
      return buildTree(folders).map((folder) => this.folderNode(account, folder));
    } catch (err) {
      return [{ kind: 'info', id: `err\u0000${account.name}`, label: plain`${(err as Error).message}`, icon: 'error' }];
    }
  }

  private async folderChildren(account: Account, folder: MailboxNode): Promise<TreeNode[]> {
    const subfolders: TreeNode[] = folder.children.map((child) => this.folderNode(account, child));
    const store = account.store;
    if (!folder.selectable || !store) return subfolders;
    const state = await this.answer(folderKey(account, folder.path), () => store.open(folder.path));
    for (const [id, n] of this.messageNodes)
      if (n.kind === 'message' && n.account === account && n.message.mailbox === folder.path)
        this.messageNodes.delete(id);
    const messages: TreeNode[] = this.threading()
      ? buildThreads(state.messages, store.threadParents(folder.path)).map((t) => this.threadNode(account, t))
      : state.messages.map((message) => this.messageNode(account, message));
    const nodes: TreeNode[] = [...subfolders, ...messages];
    if (state.error)
      nodes.push({
        kind: 'info',
        id: `ferr\u0000${account.name}\u0000${folder.path}`,
        label: plain`${state.error}`,
        icon: 'error',
      });
    else if (state.hasMore) nodes.push({ kind: 'loadMore', account, path: folder.path });
    else if (state.messages.length === 0 && subfolders.length === 0) {
      nodes.push({
        kind: 'info',
        id: `empty\u0000${account.name}\u0000${folder.path}`,
        label: plain`No messages`,
        icon: 'info',
      });
    }
    return nodes;
  }

  /** The message as the store has it now (a row refreshed for a flag change shows the new flags). */
  private current(node: Extract<TreeNode, { kind: 'message' }>): ReadonlySummary {
    const fresh = node.account.store?.message(node.message);
    if (fresh && fresh !== node.message) node.message = fresh;
    return node.message;
  }

  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    if (node.kind === 'message') item.tooltip = messageTooltip(this.current(node));
    return item;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'account':
        return this.accountItem(node.account);
      case 'folder':
        return this.folderItem(node.account, node.folder);
      case 'message': {
        const item = messageItem(node, this.current(node));
        if (node.replies?.length) {
          item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
          const n = countReplies(node.replies);
          item.description = `${item.description as string} · ${n} repl${n === 1 ? 'y' : 'ies'}`;
        }
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem('Load more…');
        item.id = `more\u0000${node.account.name}\u0000${node.path}`;
        item.iconPath = new vscode.ThemeIcon('fold-down');
        item.contextValue = 'loadMore';
        item.command = { command: Command.loadMore, title: 'Load more', arguments: [node] };
        return item;
      }
      case 'info': {
        const item = new vscode.TreeItem(node.label);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip ?? node.label;
        return item;
      }
    }
  }

  private accountItem(account: Account): vscode.TreeItem {
    const item = new vscode.TreeItem(plain`${account.name}`, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `acct\u0000${account.name}`;
    const s = account.status;
    const config = account.entry.config;
    item.tooltip = config
      ? plain`${config.user} on ${config.host}:${config.port} (${config.security})`
      : plain`${account.entry.problem ?? ''}`;
    item.contextValue = s.kind === 'error' ? 'account-error' : 'account';
    if (s.kind === 'error') {
      const short =
        s.error.kind === 'auth'
          ? 'Wrong password — click to retry'
          : s.error.kind === 'config'
            ? 'Settings problem — click for details'
            : plain`${s.error.message} — click to retry`;
      item.description = short;
      item.tooltip = markdownString(markdown`**${account.name}**: ${s.error.message}`);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.command = { command: Command.retryAccount, title: 'Retry', arguments: [{ kind: 'account', account }] };
    } else {
      const unread = account.store?.folder('INBOX')?.counts?.unseen ?? 0;
      item.description = s.kind === 'connecting' ? 'connecting…' : unread ? `${unread} unread` : '';
      item.iconPath = new vscode.ThemeIcon(s.kind === 'connecting' ? 'sync~spin' : 'account');
      const live = liveProblem(account.store?.liveState('INBOX'));
      if (live) {
        // The problem first: a narrow sidebar cuts the end of the line.
        item.description = [live.short, item.description].filter(Boolean).join(' · ');
        item.tooltip = `${item.tooltip as string} — ${live.detail}`;
      }
    }
    return item;
  }

  private folderItem(account: Account, folder: MailboxNode): vscode.TreeItem {
    const item = new vscode.TreeItem(plain`${folder.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `folder\u0000${account.name}\u0000${folder.path}`;
    const counts = account.store?.folder(folder.path)?.counts ?? folder.counts;
    const unseen = counts?.unseen ?? 0;
    const total = counts?.messages;
    item.description = unseen ? String(unseen) : '';
    item.tooltip =
      total !== undefined ? plain`${folder.path} — ${total} messages, ${unseen} unread` : plain`${folder.path}`;
    const live = folder.path === 'INBOX' ? undefined : liveProblem(account.store?.liveState(folder.path));
    if (live) {
      item.description = [item.description, live.short].filter(Boolean).join(' · ');
      item.tooltip = `${item.tooltip} — ${live.detail}`;
    }
    item.iconPath = new vscode.ThemeIcon(folder.specialUse ? FOLDER_ICONS[folder.specialUse] : 'folder');
    item.contextValue = folder.selectable ? 'folder' : 'folder-noselect';
    return item;
  }
}

/** What to say when a watched folder's changes do not arrive right now (plain text: tooltips here are strings). */
function liveProblem(state: WatchState | undefined): { short: string; detail: string } | undefined {
  if (state?.status === 'reconnecting') {
    return {
      short: 'live updates paused — reconnecting…',
      detail: plain`Live updates paused: ${state.error.message} Next attempt in ${Math.max(1, Math.round(state.delayMs / 1000))} s.`,
    };
  }
  if (state?.status === 'failed') {
    return {
      short: 'live updates stopped — Refresh to retry',
      detail: plain`Live updates stopped: ${state.error.message}`,
    };
  }
  return undefined;
}

function countReplies(replies: ThreadNode[]): number {
  return replies.reduce((n, r) => n + 1 + countReplies(r.replies), 0);
}

export function messageItem(node: Extract<TreeNode, { kind: 'message' }>, m: ReadonlySummary): vscode.TreeItem {
  const unread = !m.flags.includes(Flag.Seen);
  const flagged = m.flags.includes(Flag.Flagged);
  const subject = plain`${subjectOf(m.subject)}`;
  const item = new vscode.TreeItem(unread ? { label: subject, highlights: [[0, subject.length]] } : subject);
  item.id = messageNodeId(node.account.name, m);
  item.description = plain`${senderName(m.from)} · ${shortDate(m.date)}`;
  const answered = m.flags.includes(Flag.Answered);
  // One icon per row, by what matters most for triage: flagged, unread, answered, has attachments, read.
  item.iconPath = flagged
    ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
    : unread
      ? new vscode.ThemeIcon('mail', new vscode.ThemeColor('charts.blue'))
      : answered
        ? new vscode.ThemeIcon('reply')
        : new vscode.ThemeIcon(m.hasAttachments ? 'attach' : 'mail-read');
  item.contextValue = `message${unread ? ' unread' : ' read'}${flagged ? ' flagged' : ''}`;
  // A message in Drafts (ours or another client's) continues in the composer.
  const draft = node.account.store?.folder(m.mailbox)?.specialUse === 'drafts' || m.flags.includes(Flag.Draft);
  item.command = draft
    ? { command: Command.openDraft, title: 'Open Draft', arguments: [node] }
    : { command: Command.openMessage, title: 'Open Message', arguments: [node] };
  return item;
}

/** Built on hover only (resolveTreeItem): a page of tooltips would travel to the renderer for nothing. */
export function messageTooltip(m: ReadonlySummary): vscode.MarkdownString {
  const state = [
    !m.flags.includes(Flag.Seen) && 'unread',
    m.flags.includes(Flag.Flagged) && 'flagged',
    m.flags.includes(Flag.Answered) && 'answered',
    m.hasAttachments && 'attachments',
  ].filter(Boolean);
  const date = new Date(m.date).toLocaleString();
  return markdownString(
    markdown`**${subjectOf(m.subject)}**\n\nFrom: ${formatAddresses(m.from)}  \nTo: ${formatAddresses(m.to)}  \nDate: ${date}  \nSize: ${[formatSize(m.size), ...state].join(' · ')}`,
  );
}
