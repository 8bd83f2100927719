// The Mailboxes tree: accounts → folders (real hierarchy, unread counts) → messages, newest first,
// paged with "Load more…". It only draws the stores' state, and redraws precisely what their
// events name: a message row whose flags changed, a folder whose messages or counts did, an
// account whose status or live state did.
import * as vscode from 'vscode';
import {
  buildTree,
  type MailboxInfo,
  type MailboxNode,
  type SpecialUse,
  visibleFolders,
} from '../core/mailbox/mailboxes';
import { type MessageRef, type ReadonlySummary, refKey, refOf, sameRef } from '../core/mailbox/messages';
import { buildThreads, type ThreadNode } from '../core/mailbox/threads';
import type { StoreEvent } from '../core/sync/store-events';
import type { WatchState } from '../core/sync/watcher';
import { Flag, Keyword } from '../shared/flags';
import { Command } from './commands/ids';
import { Disposable } from './disposable';
import { formatAddresses, formatSize, prepareDateFormats, senderName, shortDate, subjectOf } from './format';
import { type Account, accountLine, type MailModel } from './model';
import { rowUri } from './rowDecorations';
import { type SavedSearch, SavedSearches } from './savedSearches';
import { markdown, markdownString, plain, type PlainText } from './ui';

export type TreeNode =
  | { kind: 'account'; account: Account }
  | { kind: 'folder'; account: Account; folder: MailboxNode }
  | {
      kind: 'message';
      account: Account;
      message: ReadonlySummary;
      replies?: ThreadNode[];
      /** A result row of this saved search (its id and parent differ from the folder's row). */
      via?: string;
    }
  | { kind: 'loadMore'; account: Account; path: string }
  | { kind: 'saved'; search: SavedSearch }
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

export function messageNodeId(account: string, m: MessageRef, via?: string): string {
  return via === undefined
    ? `msg\u0000${account}\u0000${refKey(m)}`
    : `saved\u0000${via}\u0000${account}\u0000${refKey(m)}`;
}

/** Message keywords that mean something to people (not the bookkeeping ones mail programs set). */
const QUIET_KEYWORDS = new Set([
  '$forwarded',
  '$mdnsent',
  '$notjunk',
  'nonjunk',
  '$submitted',
  '$hasattachment',
  '$hasnoattachment',
]);

/** The keywords of a message worth showing (`$Junk` reads "junk"). */
export function visibleKeywords(flags: readonly string[]): string[] {
  return flags
    .filter((f) => !f.startsWith('\\') && !QUIET_KEYWORDS.has(f.toLowerCase()))
    .map((f) => (f === Keyword.Junk ? 'junk' : f));
}

/** What a screen reader says for a message row or triage item: its state, then who and when. */
export function accessibleMessage(m: ReadonlySummary): string {
  const state = [
    m.flags.includes(Flag.Seen) ? 'Read' : 'Unread',
    m.flags.includes(Flag.Flagged) && 'flagged',
    m.flags.includes(Flag.Answered) && 'answered',
    m.hasAttachments && 'with attachment',
    m.flags.includes(Flag.Deleted) && 'marked deleted',
  ].filter(Boolean);
  const keywords = visibleKeywords(m.flags);
  const when = [shortDate(m.date), keywords.length && `tagged ${keywords.join(', ')}`].filter(Boolean).join(', ');
  return plain`${state.join(', ')}: ${subjectOf(m.subject)} from ${senderName(m.from)}, ${when}`;
}

/** Newest first by date; an undone move (a new, higher UID) goes back to where its date puts it. */
const byDate = (a: ReadonlySummary, b: ReadonlySummary) => b.date.localeCompare(a.date) || b.uid - a.uid;

const folderKey = (account: Account, path: string) => `${account.name}\u0000${path}`;

/** Everything, or these nodes. */
type Refresh = 'all' | Set<TreeNode>;

/** IDLE reports and count updates that arrive this close together become one redraw. */
const BURST_MS = 30;

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
  private readonly savedNodes = new Map<string, Extract<TreeNode, { kind: 'saved' }>>();
  /** Each folder's message rows in the order shown (what "the next message" means after an archive). */
  private readonly shown = new Map<string, TreeNode[]>();
  private readonly folderTrees = new WeakMap<
    readonly MailboxInfo[],
    { showUnsubscribed: boolean; byPath: Map<string, MailboxNode> }
  >();
  private showUnsubscribed = false;
  private datesPrepared = false;
  readonly saved: SavedSearches;

  constructor(private readonly model: MailModel) {
    super();
    this.saved = this._register(new SavedSearches(model));
    this._register(
      model.onDidChange((e) => {
        if (e.kind === 'accounts') this.refresh('all');
        else this.onStore(e.account, e.event);
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mailroom.threading') || e.affectsConfiguration('mailroom.savedSearches'))
          this.refresh('all');
      }),
    );
    this._register(this.saved.onDidChange((name) => this.refresh(this.savedNodes.get(name))));
  }

  /** "Show Unsubscribed Folders" / "Hide Unsubscribed Folders". */
  setShowUnsubscribed(on: boolean): void {
    this.showUnsubscribed = on;
    this.refresh(...this.accountNodes.values());
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
        return this.refreshIfChanged(...e.paths.map(folder), e.paths.includes('INBOX') ? accountNode : undefined);
      case 'folder':
        // The answer to a pending getChildren is on its way: a redraw now would only ask again.
        if (!this.answering.has(folderKey(account, e.path))) this.refresh(folder(e.path));
        return;
      case 'messages':
        this.onMessages(account, e);
        // A key the person pressed (S, U, Archive) or the revert of its refusal: drawn at once.
        if (e.origin === 'operation' || e.origin === 'revert') this.flushSoon();
        return;
      case 'live':
        return this.refreshIfChanged(e.path === 'INBOX' ? accountNode : folder(e.path));
      case 'connection':
        return this.refresh(accountNode);
      default:
        return;
    }
  }

  private onMessages(account: Account, e: Extract<StoreEvent, { kind: 'messages' }>): void {
    const folder = this.folderNodes.get(folderKey(account, e.path));
    // Result rows of saved searches show the same messages under other ids.
    const results = [...e.changed, ...e.removed]
      .flatMap((r) => [...this.savedNodes.keys()].map((name) => messageNodeId(account.name, r, name)))
      .map((id) => this.messageNodes.get(id));
    if (results.some(Boolean)) this.refresh(...results);
    if (this.answering.has(folderKey(account, e.path))) return;
    if (e.added.length || e.removed.length || this.threading()) return this.refresh(folder);
    return this.refresh(...e.changed.map((r) => this.messageNodes.get(messageNodeId(account.name, r))));
  }

  private threading(): boolean {
    return vscode.workspace.getConfiguration('mailroom').get<boolean>('threading', false);
  }

  /** Resolves once the redraws asked for so far went to VS Code (a reveal after a change must come after them). */
  flushed(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.afterFlush.push(resolve));
  }

  private afterFlush: Array<() => void> = [];

  /**
   * Redraws the account and folder rows among `nodes` that would now look different. VS Code
   * answers a redraw of a row by asking again for everything under it that is expanded: a count
   * or a connection state that changed nothing on screen (a watcher going live right after its
   * folder's first page) would otherwise send that folder's whole page of messages again.
   */
  private refreshIfChanged(...nodes: Array<TreeNode | undefined>): void {
    this.refresh(
      ...nodes.filter(
        (n) => n && (n.kind === 'account' || n.kind === 'folder') && this.looks.get(n) !== lookOf(this.rowItem(n)),
      ),
    );
  }

  /** What an account or folder row showed when VS Code last asked for it. */
  private readonly looks = new WeakMap<TreeNode, string>();

  private rowItem(node: Extract<TreeNode, { kind: 'account' | 'folder' }>): vscode.TreeItem {
    return node.kind === 'account' ? this.accountItem(node.account) : this.folderItem(node.account, node.folder);
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
    this.pending = setTimeout(() => this.flush(), BURST_MS);
  }

  /** What is queued goes out on the next turn instead of after the burst delay. */
  private flushSoon(): void {
    if (!this.pending) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.pending = undefined;
    const queued = this.queued;
    this.queued = undefined;
    if (queued === 'all') this.emitter.fire(undefined);
    else if (queued?.size) this.emitter.fire([...queued]);
    for (const resolve of this.afterFlush.splice(0)) resolve();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      // Once the accounts are drawn, while the person reads them rather than on their first click.
      if (!this.datesPrepared) {
        this.datesPrepared = true;
        setTimeout(prepareDateFormats, 500).unref?.();
      }
      this.accountNodes.clear();
      this.savedNodes.clear();
      const accounts = this.model.accounts.map((account) => {
        const n: TreeNode = { kind: 'account', account };
        this.accountNodes.set(account, n);
        return n;
      });
      const saved = this.model.accounts.some((a) => a.store)
        ? this.saved.list().map((search) => {
            const n = { kind: 'saved' as const, search };
            this.savedNodes.set(search.name, n);
            return n;
          })
        : [];
      return [...accounts, ...saved];
    }
    if (node.kind === 'account') return this.accountChildren(node.account);
    if (node.kind === 'folder') return this.folderChildren(node.account, node.folder);
    if (node.kind === 'message') return (node.replies ?? []).map((t) => this.threadNode(node.account, t));
    if (node.kind === 'saved') return this.savedChildren(node);
    return [];
  }

  /** The person expanded `node` (VS Code's event, not a redraw): a folder opened again is live again. */
  expanded(node: TreeNode): void {
    if (node.kind === 'folder') node.account.store?.reopened(node.folder.path);
  }

  /**
   * For `reveal`: a message row's folder, a folder's parent folder or account, a result row's
   * saved search.
   */
  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'message') {
      if (node.via !== undefined) return this.savedNodes.get(node.via);
      return this.folderFor(node.account, node.message.mailbox);
    }
    if (node.kind === 'folder') {
      const parent = node.folder.parentPath;
      return (parent && this.folderFor(node.account, parent)) || this.accountNode(node.account);
    }
    if (node.kind === 'loadMore') return this.folderFor(node.account, node.path);
    return undefined;
  }

  private accountNode(account: Account): TreeNode {
    let n = this.accountNodes.get(account);
    if (!n) this.accountNodes.set(account, (n = { kind: 'account', account }));
    return n;
  }

  /** The folder's node as VS Code holds it, or one built from the store's folder list. */
  private folderFor(account: Account, path: string): TreeNode | undefined {
    const known = this.folderNodes.get(folderKey(account, path));
    if (known) return known;
    const folder = this.freshFolder(account, path);
    return folder ? this.folderNode(account, folder) : undefined;
  }

  /** A folder as the store's folder list has it now (with its visible subfolders). */
  private freshFolder(account: Account, path: string): MailboxNode | undefined {
    const list = account.store?.folders;
    if (!list) return undefined;
    let index = this.folderTrees.get(list);
    if (!index || index.showUnsubscribed !== this.showUnsubscribed) {
      const byPath = new Map<string, MailboxNode>();
      const walk = (nodes: MailboxNode[]) => {
        for (const n of nodes) {
          byPath.set(n.path, n);
          walk(n.children);
        }
      };
      walk(buildTree(visibleFolders(list, this.showUnsubscribed)));
      index = { showUnsubscribed: this.showUnsubscribed, byPath };
      this.folderTrees.set(list, index);
    }
    return index.byPath.get(path);
  }

  /** A folder's row (for `reveal`). */
  folderRow(account: Account, path: string): TreeNode | undefined {
    return this.folderFor(account, path);
  }

  /** The row of a message in its folder (loading the folder first), for `reveal`; undefined if it is not in a loaded page. */
  async messageRow(account: Account, ref: MessageRef): Promise<TreeNode | undefined> {
    const store = account.store;
    if (!store) return undefined;
    await store.loadFolders();
    if (!store.folderState(ref.mailbox)) await store.open(ref.mailbox);
    // Only INBOX and the folder opened last are watched: another folder's loaded page may be
    // older than this message (a search or a link found it on the server).
    else if (!store.message(ref)) await store.refresh(ref.mailbox);
    const known = this.messageNodes.get(messageNodeId(account.name, ref));
    if (known) return known;
    const m = store.message(ref);
    return m ? this.messageNode(account, m) : undefined;
  }

  /** The message shown right below `ref` in its folder's list, if the list shows both. */
  messageBelow(account: Account, ref: MessageRef): MessageRef | undefined {
    const rows = this.shown.get(folderKey(account, ref.mailbox)) ?? [];
    const i = rows.findIndex((n) => n.kind === 'message' && sameRef(n.message, ref));
    const next = i >= 0 ? rows[i + 1] : undefined;
    return next?.kind === 'message' ? refOf(next.message) : undefined;
  }

  /** The row to select after `nodes` leave their folder: the next one down, else the one above. */
  nextAfter(nodes: readonly TreeNode[]): TreeNode | undefined {
    const first = nodes.find((n): n is Extract<TreeNode, { kind: 'message' }> => n.kind === 'message');
    if (!first) return undefined;
    const rows = this.shown.get(folderKey(first.account, first.message.mailbox)) ?? [];
    const ids = new Set(nodes.flatMap((n) => (n.kind === 'message' ? [messageNodeId(n.account.name, n.message)] : [])));
    const isGone = (n: TreeNode) => n.kind === 'message' && ids.has(messageNodeId(n.account.name, n.message));
    const last = rows.reduce((at, n, i) => (isGone(n) ? i : at), -1);
    if (last < 0) return undefined;
    return rows.slice(last + 1).find((n) => !isGone(n)) ?? [...rows.slice(0, last)].reverse().find((n) => !isGone(n));
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

  private messageNode(account: Account, message: ReadonlySummary, replies?: ThreadNode[], via?: string): TreeNode {
    const n: TreeNode = {
      kind: 'message',
      account,
      message,
      ...(replies?.length ? { replies } : {}),
      ...(via !== undefined ? { via } : {}),
    };
    this.messageNodes.set(messageNodeId(account.name, message, via), n);
    return n;
  }

  private threadNode(account: Account, t: ThreadNode): TreeNode {
    return this.messageNode(account, t.message, t.replies);
  }

  private async savedChildren(node: Extract<TreeNode, { kind: 'saved' }>): Promise<TreeNode[]> {
    const name = node.search.name;
    for (const [id, n] of this.messageNodes) if (n.kind === 'message' && n.via === name) this.messageNodes.delete(id);
    try {
      const results = await this.saved.results(node.search);
      const rows = results.messages.map((r) => this.messageNode(r.account, r.message, undefined, name));
      if (rows.length) return rows;
      return [{ kind: 'info', id: `saved-empty\u0000${name}`, label: plain`Nothing matches`, icon: 'info' }];
    } catch (err) {
      return [{ kind: 'info', id: `saved-err\u0000${name}`, label: plain`${(err as Error).message}`, icon: 'error' }];
    }
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
      // VS Code draws an expanded row only once its children are known: waiting here for a
      // password prompt or a slow server would leave the whole tree empty. The account shows at
      // once with "Connecting…"; the store's folders (or status) event draws the folders.
      const loading = store.loadFolders();
      const folders = store.folders ?? (await Promise.race([loading, delay(200)]));
      if (!folders) {
        loading.catch(() => undefined);
        return [
          {
            kind: 'info',
            id: `connecting\u0000${account.name}`,
            label: plain`Connecting…`,
            icon: 'sync~spin',
          },
        ];
      }
      return buildTree(visibleFolders(folders, this.showUnsubscribed)).map((folder) =>
        this.folderNode(account, folder),
      );
    } catch (err) {
      return [{ kind: 'info', id: `err\u0000${account.name}`, label: plain`${(err as Error).message}`, icon: 'error' }];
    }
  }

  private async folderChildren(account: Account, shown: MailboxNode): Promise<TreeNode[]> {
    // The subfolders as they are now: a folder created or renamed since VS Code got this node counts.
    const folder = this.freshFolder(account, shown.path) ?? shown;
    const subfolders: TreeNode[] = folder.children.map((child) => this.folderNode(account, child));
    const store = account.store;
    if (!folder.selectable || !store) return subfolders;
    const state = await this.answer(folderKey(account, folder.path), () => store.open(folder.path));
    for (const [id, n] of this.messageNodes)
      if (n.kind === 'message' && n.account === account && n.message.mailbox === folder.path && n.via === undefined)
        this.messageNodes.delete(id);
    const messages: TreeNode[] = this.threading()
      ? buildThreads(state.messages, store.threadParents(folder.path)).map((t) => this.threadNode(account, t))
      : [...state.messages].sort(byDate).map((message) => this.messageNode(account, message));
    this.shown.set(folderKey(account, folder.path), messages);
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
    const store = node.account.store;
    const fresh = store?.message(node.message);
    if (fresh && fresh !== node.message) node.message = fresh;
    else if (!fresh) {
      // A result row outside the loaded pages: the store tracks its flags.
      const flags = store?.flags(node.message);
      if (flags && flags !== node.message.flags) node.message = Object.freeze({ ...node.message, flags });
    }
    return node.message;
  }

  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    if (node.kind === 'message') item.tooltip = messageTooltip(this.current(node));
    return item;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'account':
      case 'folder': {
        const item = this.rowItem(node);
        this.looks.set(node, lookOf(item));
        return item;
      }
      case 'message': {
        const item = messageItem(node, this.current(node));
        if (node.replies?.length) {
          item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
          const n = countReplies(node.replies);
          item.description = `${item.description as string} · ${n} repl${n === 1 ? 'y' : 'ies'}`;
        }
        return item;
      }
      case 'saved': {
        const item = new vscode.TreeItem(plain`${node.search.name}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `savedsearch\u0000${node.search.name}`;
        item.iconPath = new vscode.ThemeIcon(node.search.query.trim() ? 'search' : 'inbox');
        item.description = plain`${node.search.query.trim() || 'all messages'} · ${this.saved.scopeText(node.search)}`;
        item.tooltip = plain`Saved search (setting mailroom.savedSearches): ${node.search.query || 'all messages'} in ${this.saved.scopeText(node.search)}`;
        item.contextValue = 'savedSearch';
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
    const config = account.entry.config;
    const line = accountLine(account);
    const where = config
      ? plain`${config.user} on ${config.host}:${config.port} (${config.security})`
      : plain`${account.entry.problem ?? ''}`;
    item.description = plain`${line.text}`;
    item.tooltip = line.detail ? plain`${where} — ${line.detail}` : where;
    item.contextValue = line.action ? 'account-error' : 'account';
    item.iconPath = new vscode.ThemeIcon(
      line.icon,
      line.alarming ? new vscode.ThemeColor('errorForeground') : undefined,
    );
    if (line.action) {
      const command = line.action === 'signIn' ? Command.signIn : Command.retryAccount;
      item.command = { command, title: line.text, arguments: [{ kind: 'account', account }] };
    }
    return item;
  }

  private folderItem(account: Account, folder: MailboxNode): vscode.TreeItem {
    const item = new vscode.TreeItem(plain`${folder.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `folder\u0000${account.name}\u0000${folder.path}`;
    const counts = account.store?.folder(folder.path)?.counts ?? folder.counts;
    // Unread mail another program marked deleted is on its way out: not counted (as far as it is loaded).
    const deletedUnread =
      account.store
        ?.folderState(folder.path)
        ?.messages.filter((m) => m.flags.includes(Flag.Deleted) && !m.flags.includes(Flag.Seen)).length ?? 0;
    const unseen = Math.max(0, (counts?.unseen ?? 0) - deletedUnread);
    const total = counts?.messages;
    item.description = unseen ? String(unseen) : '';
    if (!folder.subscribed && folder.specialUse !== 'inbox')
      item.description = [item.description, 'not subscribed'].filter(Boolean).join(' · ');
    item.tooltip =
      total !== undefined ? plain`${folder.path} — ${total} messages, ${unseen} unread` : plain`${folder.path}`;
    const live = folder.path === 'INBOX' ? undefined : liveProblem(account.store?.liveState(folder.path));
    if (live) {
      item.description = [item.description, live.short].filter(Boolean).join(' · ');
      item.tooltip = `${item.tooltip} — ${live.detail}`;
    }
    item.iconPath = new vscode.ThemeIcon(folder.specialUse ? FOLDER_ICONS[folder.specialUse] : 'folder');
    if (unseen) item.resourceUri = rowUri('unreadFolder', item.id);
    item.accessibilityInformation = {
      label: plain`${[folder.name, 'folder', unseen && `${unseen} unread`, total !== undefined && `${total} messages`].filter(Boolean).join(', ')}`,
    };
    // "folder" + its role + "unsubscribed": menus match on these words.
    item.contextValue = folder.selectable
      ? ['folder', folder.specialUse, folder.subscribed ? 'subscribed' : 'unsubscribed'].filter(Boolean).join(' ')
      : 'folder-noselect';
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

/** A row's visible parts, to tell whether a redraw would change anything. */
function lookOf(item: vscode.TreeItem): string {
  const icon = item.iconPath instanceof vscode.ThemeIcon ? [item.iconPath.id, item.iconPath.color?.id] : [];
  return JSON.stringify([
    item.label,
    item.description,
    item.tooltip,
    item.resourceUri?.toString(),
    icon,
    item.accessibilityInformation?.label,
    item.contextValue,
    item.command?.command,
  ]);
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

function countReplies(replies: ThreadNode[]): number {
  return replies.reduce((n, r) => n + 1 + countReplies(r.replies), 0);
}

export function messageItem(node: Extract<TreeNode, { kind: 'message' }>, m: ReadonlySummary): vscode.TreeItem {
  const unread = !m.flags.includes(Flag.Seen);
  const flagged = m.flags.includes(Flag.Flagged);
  const deleted = m.flags.includes(Flag.Deleted);
  const junk = m.flags.includes(Keyword.Junk);
  const subject = plain`${subjectOf(m.subject)}`;
  const item = new vscode.TreeItem(subject);
  item.id = messageNodeId(node.account.name, m, node.via);
  const keywords = visibleKeywords(m.flags);
  // One piece: each interpolated piece is trimmed, so the separators go inside it.
  const parts = [
    deleted && 'deleted',
    senderName(m.from),
    shortDate(m.date),
    keywords.length && keywords.map((k) => `#${k}`).join(' '),
    node.via !== undefined && `${node.account.name} / ${m.mailbox === 'INBOX' ? 'Inbox' : m.mailbox}`,
  ].filter(Boolean);
  item.description = plain`${parts.join(' · ')}`;
  const answered = m.flags.includes(Flag.Answered);
  // One icon per row, by what matters most for triage: marked deleted, flagged, unread, answered, has attachments, read.
  item.iconPath = deleted
    ? new vscode.ThemeIcon('trash', new vscode.ThemeColor('disabledForeground'))
    : flagged
      ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
      : unread
        ? new vscode.ThemeIcon('mail', new vscode.ThemeColor('mailroom.unreadForeground'))
        : answered
          ? new vscode.ThemeIcon('reply')
          : new vscode.ThemeIcon(m.hasAttachments ? 'attach' : 'mail-read');
  // Unread and deleted show the native way: a decoration colours the label (and badges unread).
  if (deleted) item.resourceUri = rowUri('deleted', item.id);
  else if (unread) item.resourceUri = rowUri('unread', item.id);
  item.accessibilityInformation = { label: accessibleMessage(m) };
  item.contextValue = [
    'message',
    unread ? 'unread' : 'read',
    flagged ? 'flagged' : 'unflagged',
    deleted && 'deleted',
    junk || m.mailbox === node.account.store?.specialPath('junk') ? 'junk' : 'notjunk',
  ]
    .filter(Boolean)
    .join(' ');
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
    m.flags.includes(Flag.Deleted) && 'marked deleted by another mail program (not yet removed)',
  ].filter(Boolean);
  const keywords = visibleKeywords(m.flags);
  const date = new Date(m.date).toLocaleString();
  return markdownString(
    markdown`**${subjectOf(m.subject)}**\n\nFrom: ${formatAddresses(m.from)}  \nTo: ${formatAddresses(m.to)}  \nDate: ${date}  \nSize: ${[formatSize(m.size), ...state].join(' · ')}  \nKeywords: ${keywords.join(', ') || 'none'}`,
  );
}
