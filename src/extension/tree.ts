// The Mailboxes tree: accounts → folders (real hierarchy, unread counts) → messages, newest first,
// paged with "Load more…". It only draws the model; every change arrives as a model event.
import * as vscode from 'vscode';
import { buildTree, type MailboxNode, type SpecialUse } from '../core/mailbox/mailboxes';
import type { MessageSummary } from '../core/mailbox/messages';
import { buildThreads, type ThreadNode } from '../core/mailbox/threads';
import type { WatchState } from '../core/sync/watcher';
import { Disposable } from './disposable';
import { formatAddresses, formatSize, senderName, shortDate, subjectOf } from './format';
import type { AccountModel, MailModel } from './model';
import { markdown, markdownString, plain, type PlainText } from './ui';

export type TreeNode =
  | { kind: 'account'; account: AccountModel }
  | { kind: 'folder'; account: AccountModel; folder: MailboxNode }
  | { kind: 'message'; account: AccountModel; message: MessageSummary; replies?: ThreadNode[] }
  | { kind: 'loadMore'; account: AccountModel; path: string }
  | { kind: 'info'; id: string; label: PlainText; icon: string; tooltip?: PlainText };

const FOLDER_ICONS: Record<SpecialUse, string> = {
  inbox: 'inbox', drafts: 'notebook', sent: 'send', archive: 'archive', all: 'mail', flagged: 'star-full', junk: 'circle-slash', trash: 'trash',
};

export function messageNodeId(account: string, m: Pick<MessageSummary, 'mailbox' | 'uidValidity' | 'uid'>): string {
  return `msg\u0000${account}\u0000${m.mailbox}\u0000${m.uidValidity}\u0000${m.uid}`;
}

const folderKey = (account: AccountModel, path: string) => `${account.name}\u0000${path}`;

export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  private pending: NodeJS.Timeout | undefined;
  /** Folders whose first page a getChildren call is waiting for. */
  private readonly answering = new Set<string>();

  constructor(private readonly model: MailModel) {
    super();
    this._register(model.onDidChange((c) => {
      // The answer to a pending getChildren is on its way: a redraw now would only ask again.
      if (c.kind === 'folder' && this.answering.has(folderKey(c.account, c.path))) return;
      this.scheduleRefresh();
    }));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('mailroom.threading')) this.scheduleRefresh(); }));
  }

  private scheduleRefresh(): void {
    // Bursts of IDLE events and count updates become one redraw.
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.emitter.fire(undefined);
    }, 30);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.model.accounts.map((account) => ({ kind: 'account', account }));
    if (node.kind === 'account') return this.accountChildren(node.account);
    if (node.kind === 'folder') return this.folderChildren(node.account, node.folder);
    if (node.kind === 'message') return (node.replies ?? []).map((t) => threadNode(node.account, t));
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

  private async accountChildren(account: AccountModel): Promise<TreeNode[]> {
    if (account.status.kind === 'error' && !account.folders) {
      return [{ kind: 'info', id: `err\u0000${account.name}`, label: plain`${account.status.error.message}`, icon: 'error' }];
    }
    try {
      const folders = await account.loadFolders();
      return buildTree(folders).map((folder) => ({ kind: 'folder', account, folder }));
    } catch (err) {
      return [{ kind: 'info', id: `err\u0000${account.name}`, label: plain`${(err as Error).message}`, icon: 'error' }];
    }
  }

  private async folderChildren(account: AccountModel, folder: MailboxNode): Promise<TreeNode[]> {
    const subfolders: TreeNode[] = folder.children.map((child) => ({ kind: 'folder', account, folder: child }));
    if (!folder.selectable) return subfolders;
    const state = await this.answer(folderKey(account, folder.path), () => account.folderState(folder.path));
    const messages: TreeNode[] = vscode.workspace.getConfiguration('mailroom').get<boolean>('threading', false)
      ? buildThreads(state.messages, account.threadParents(folder.path)).map((t) => threadNode(account, t))
      : state.messages.map((message) => ({ kind: 'message', account, message }));
    const nodes: TreeNode[] = [...subfolders, ...messages];
    if (state.error) nodes.push({ kind: 'info', id: `ferr\u0000${account.name}\u0000${folder.path}`, label: plain`${state.error}`, icon: 'error' });
    else if (state.hasMore) nodes.push({ kind: 'loadMore', account, path: folder.path });
    else if (state.messages.length === 0 && subfolders.length === 0) {
      nodes.push({ kind: 'info', id: `empty\u0000${account.name}\u0000${folder.path}`, label: plain`No messages`, icon: 'info' });
    }
    return nodes;
  }

  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    if (node.kind === 'message') item.tooltip = messageTooltip(node.message);
    return item;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'account': return this.accountItem(node.account);
      case 'folder': return this.folderItem(node.account, node.folder);
      case 'message': {
        const item = messageItem(node.account, node.message);
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
        item.command = { command: 'mailroom.loadMore', title: 'Load more', arguments: [node] };
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

  private accountItem(account: AccountModel): vscode.TreeItem {
    const item = new vscode.TreeItem(plain`${account.name}`, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `acct\u0000${account.name}`;
    const s = account.status;
    const config = account.entry.config;
    item.tooltip = config ? plain`${config.user} on ${config.host}:${config.port} (${config.security})` : plain`${account.entry.problem ?? ''}`;
    item.contextValue = s.kind === 'error' ? 'account-error' : 'account';
    if (s.kind === 'error') {
      const short = s.error.kind === 'auth' ? 'Wrong password — click to retry'
        : s.error.kind === 'config' ? 'Settings problem — click for details'
          : plain`${s.error.message} — click to retry`;
      item.description = short;
      item.tooltip = markdownString(markdown`**${account.name}**: ${s.error.message}`);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.command = { command: 'mailroom.retryAccount', title: 'Retry', arguments: [{ kind: 'account', account }] };
    } else {
      item.description = s.kind === 'connecting' ? 'connecting…' : account.inboxUnread ? `${account.inboxUnread} unread` : '';
      item.iconPath = new vscode.ThemeIcon(s.kind === 'connecting' ? 'sync~spin' : 'account');
      const live = liveProblem(account.liveState('INBOX'));
      if (live) {
        // The problem first: a narrow sidebar cuts the end of the line.
        item.description = [live.short, item.description].filter(Boolean).join(' · ');
        item.tooltip = `${item.tooltip as string} — ${live.detail}`;
      }
    }
    return item;
  }

  private folderItem(account: AccountModel, folder: MailboxNode): vscode.TreeItem {
    const item = new vscode.TreeItem(plain`${folder.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `folder\u0000${account.name}\u0000${folder.path}`;
    const unseen = account.folder(folder.path)?.counts?.unseen ?? folder.counts?.unseen ?? 0;
    const total = account.folder(folder.path)?.counts?.messages ?? folder.counts?.messages;
    item.description = unseen ? String(unseen) : '';
    item.tooltip = total !== undefined ? plain`${folder.path} — ${total} messages, ${unseen} unread` : plain`${folder.path}`;
    const live = folder.path === 'INBOX' ? undefined : liveProblem(account.liveState(folder.path));
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
    return { short: 'live updates paused — reconnecting…', detail: plain`Live updates paused: ${state.error.message} Next attempt in ${Math.max(1, Math.round(state.delayMs / 1000))} s.` };
  }
  if (state?.status === 'failed') {
    return { short: 'live updates stopped — Refresh to retry', detail: plain`Live updates stopped: ${state.error.message}` };
  }
  return undefined;
}

function threadNode(account: AccountModel, t: ThreadNode): TreeNode {
  return { kind: 'message', account, message: t.message, ...(t.replies.length ? { replies: t.replies } : {}) };
}

function countReplies(replies: ThreadNode[]): number {
  return replies.reduce((n, r) => n + 1 + countReplies(r.replies), 0);
}

export function messageItem(account: AccountModel, m: MessageSummary): vscode.TreeItem {
  const unread = !m.flags.includes('\\Seen');
  const flagged = m.flags.includes('\\Flagged');
  const subject = plain`${subjectOf(m.subject)}`;
  const item = new vscode.TreeItem(unread ? { label: subject, highlights: [[0, subject.length]] } : subject);
  item.id = messageNodeId(account.name, m);
  item.description = plain`${senderName(m.from)} · ${shortDate(m.date)}`;
  // One icon per row, by what matters most for triage: flagged, unread, has attachments, read.
  item.iconPath = flagged ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
    : unread ? new vscode.ThemeIcon('mail', new vscode.ThemeColor('charts.blue'))
      : new vscode.ThemeIcon(m.hasAttachments ? 'attach' : 'mail-read');
  item.contextValue = `message${unread ? ' unread' : ' read'}${flagged ? ' flagged' : ''}`;
  item.command = { command: 'mailroom.openMessage', title: 'Open Message', arguments: [{ kind: 'message', account, message: m }] };
  return item;
}

/** Built on hover only (resolveTreeItem): a page of tooltips would travel to the renderer for nothing. */
export function messageTooltip(m: MessageSummary): vscode.MarkdownString {
  const state = [!m.flags.includes('\\Seen') && 'unread', m.flags.includes('\\Flagged') && 'flagged', m.hasAttachments && 'attachments'].filter(Boolean);
  const date = new Date(m.date).toLocaleString();
  return markdownString(markdown`**${subjectOf(m.subject)}**\n\nFrom: ${formatAddresses(m.from)}  \nTo: ${formatAddresses(m.to)}  \nDate: ${date}  \nSize: ${[formatSize(m.size), ...state].join(' · ')}`);
}
