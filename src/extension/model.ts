// The extension's view of all accounts: which are configured, their connection state, folders,
// the loaded pages of each folder, and live updates. The tree, status bar and commands read it;
// nothing here draws anything (the model/tree split of vscode-pull-request-github).
import * as vscode from 'vscode';
import { MailAccount } from '../core/session/mail-account';
import { MailCache } from '../core/sync/cache';
import { toCachedMailbox } from '../core/sync/resync';
import type { ConnectionState } from '../core/session/connection';
import { isMailError, MailError } from '../core/errors';
import type { Logger } from '../core/log';
import type { MailboxCounts, MailboxInfo } from '../core/mailbox/mailboxes';
import type { MessageRef, MessageSummary } from '../core/mailbox/messages';
import type { ThreadParents } from '../core/mailbox/threads';
import { LiveUpdates } from '../core/sync/live';
import type { WatchState } from '../core/sync/watcher';
import { Disposable } from './disposable';
import type { PasswordStore } from './secrets';
import { type AccountEntry, readAccounts, settings } from './settings';

export interface FolderState {
  path: string;
  uidValidity?: string;
  /** Sync point of the last full look at the folder. Older is always safe for a resync (it only re-reads more). */
  sync?: { uidNext: number; exists: number; highestModseq?: string };
  messages: MessageSummary[];
  hasMore: boolean;
  loading: boolean;
  error?: string;
  /** The server's conversation links for the loaded messages, and which loaded set they describe. */
  threads?: { key: string; parents: ThreadParents };
}

export type ModelChange =
  | { kind: 'accounts' }
  | { kind: 'account'; account: AccountModel }
  | { kind: 'folder'; account: AccountModel; path: string }
  | { kind: 'newMail'; account: AccountModel; path: string; messages: MessageSummary[] };

export type AccountStatus =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'error'; error: MailError };

function syncOf(m: { uidNext: number; exists: number; highestModseq?: string }): NonNullable<FolderState['sync']> {
  return { uidNext: m.uidNext, exists: m.exists, ...(m.highestModseq !== undefined ? { highestModseq: m.highestModseq } : {}) };
}

export class AccountModel extends Disposable {
  readonly mail?: MailAccount;
  status: AccountStatus;
  folders: MailboxInfo[] | undefined;
  private readonly states = new Map<string, FolderState>();
  /** INBOX and the folder opened last, each on its own IDLE connection (owned by the core). */
  private readonly live: LiveUpdates | undefined;
  private liveStarted = false;
  private foldersLoading: Promise<MailboxInfo[]> | undefined;
  private readonly saveTimers = new Map<string, NodeJS.Timeout>();
  /** First loads under way, so that asking again waits for them instead of seeing an empty folder. */
  private readonly firstLoads = new Map<string, Promise<FolderState>>();
  /** Folder → the loaded set a THREAD request is under way for. */
  private readonly threadRequests = new Map<string, string>();
  readonly cache: MailCache | undefined;

  constructor(
    readonly entry: AccountEntry,
    private readonly passwords: PasswordStore,
    private readonly logger: Logger,
    private readonly changed: (change: ModelChange) => void,
    traceProtocol: boolean,
    cacheDir: string | undefined,
  ) {
    super();
    if (cacheDir && entry.config) this.cache = new MailCache(cacheDir, `${entry.config.name}\u0000${entry.config.user}@${entry.config.host}:${entry.config.port}`, settings.cacheSizeMB() * 1024 * 1024);
    if (entry.config) {
      const config = entry.config;
      this.mail = new MailAccount({
        account: config,
        passwords: () => passwords.getOrAsk(config),
        logger,
        traceProtocol,
      });
      this._register(this.mail.onDidChangeState((s) => this.onState(s)));
      this._register(this.mail.onDidChangeCounts((counts) => this.onCounts(counts)));
      this._register(this.mail.onDidInvalidateMailbox(({ path }) => { this.states.delete(path); this.changed({ kind: 'folder', account: this, path }); }));
      const live = this.live = this._register(new LiveUpdates(this.mail, logger));
      this._register(live.onDidAddMessages(({ path, messages }) => this.onAdded(path, messages)));
      this._register(live.onDidChangeFlags(({ path, uid, flags }) => this.onFlags(path, uid, flags)));
      this._register(live.onDidExpunge(({ path, uids }) => this.removeLocal(path, uids)));
      this._register(live.onDidRequestResync(({ path }) => { if (this.states.has(path)) void this.loadMessages(path); void this.refreshCounts([path]); }));
      this._register(live.onDidChangeState(({ path, state }) => this.onLiveState(path, state)));
      this.status = { kind: 'idle' };
    } else {
      this.status = { kind: 'error', error: new MailError('config', entry.problem ?? 'This account is not configured correctly.') };
    }
  }

  get name(): string { return this.entry.name; }

  private onState(s: ConnectionState): void {
    const before = this.status.kind;
    if (s.status === 'connecting') this.status = { kind: 'connecting' };
    else if (s.status === 'connected') this.status = { kind: 'connected' };
    else if (s.status === 'failed') this.status = { kind: 'error', error: s.error };
    else if (s.status === 'disconnected' && this.status.kind !== 'error') this.status = { kind: 'idle' };
    if (before !== this.status.kind || this.status.kind === 'error') this.changed({ kind: 'account', account: this });
  }

  private fail(err: unknown): MailError {
    const error = isMailError(err) ? err : new MailError('server', (err as Error)?.message ?? String(err));
    if (error.kind === 'auth' && this.entry.config) void this.passwords.delete(this.entry.config);
    if (!error.transient || this.status.kind !== 'connected') this.status = { kind: 'error', error };
    this.changed({ kind: 'account', account: this });
    return error;
  }

  /** The account's MailAccount, or a precise error why there is none. */
  requireMail(): MailAccount {
    if (!this.mail) throw new MailError('config', this.entry.problem ?? 'This account is not configured correctly.');
    return this.mail;
  }

  /** Clears an error and tries again (after a wrong password: asks for it again). */
  async retry(): Promise<void> {
    this.status = { kind: 'idle' };
    this.folders = undefined;
    this.changed({ kind: 'account', account: this });
    await this.loadFolders().catch(() => undefined);
  }

  /** Folders: from the cache at once when there is one (refreshed from the server behind it). */
  async loadFolders(force = false): Promise<MailboxInfo[]> {
    if (this.folders && !force) return this.folders;
    if (!this.folders && !force && this.cache) {
      const cached = await this.cache.loadFolders();
      if (cached?.length) {
        this.folders = cached;
        this.mail?.useKnownFolders(cached);
        void this.fetchFolders().catch(() => undefined);
        return cached;
      }
    }
    return this.fetchFolders();
  }

  private fetchFolders(): Promise<MailboxInfo[]> {
    if (!this.foldersLoading) {
      this.foldersLoading = (async () => {
        try {
          const list = await this.requireMail().listMailboxes({ counts: true });
          this.folders = list;
          void this.cache?.saveFolders(list).catch(() => undefined);
          this.startLive();
          return list;
        } catch (err) {
          throw this.fail(err);
        } finally {
          this.foldersLoading = undefined;
          this.changed({ kind: 'account', account: this });
        }
      })();
    }
    return this.foldersLoading;
  }

  folder(path: string): MailboxInfo | undefined {
    return this.folders?.find((f) => f.path === path);
  }

  get inboxUnread(): number {
    return this.folder('INBOX')?.counts?.unseen ?? 0;
  }

  state(path: string): FolderState | undefined {
    return this.states.get(path);
  }

  /**
   * First page (or the next one with `more`). A folder seen before shows its cached messages at
   * once and is then reconciled with the server (QRESYNC), so only changes cross the wire.
   */
  async loadMessages(path: string, more = false): Promise<FolderState> {
    const first = this.firstLoads.get(path);
    if (first) return first;
    if (more || this.states.has(path)) return this.loadPage(path, more);
    const load = this.loadPage(path, false).finally(() => this.firstLoads.delete(path));
    this.firstLoads.set(path, load);
    return load;
  }

  /** What the tree shows: the folder as loaded, after its first load if one is under way (a prefetch, say). */
  folderState(path: string): Promise<FolderState> {
    const state = this.states.get(path);
    return state && !this.firstLoads.has(path) ? Promise.resolve(state) : this.loadMessages(path);
  }

  private async loadPage(path: string, more: boolean): Promise<FolderState> {
    const mail = this.requireMail();
    let state = this.states.get(path);
    if (!more && !state && this.cache) {
      const cached = await this.cache.loadMailbox(path);
      if (cached) {
        state = { path, uidValidity: cached.uidValidity, messages: cached.messages, hasMore: cached.hasMore, loading: false, sync: syncOf(cached) };
        this.states.set(path, state);
        void this.reconcile(path, cached);
        return state;
      }
    }
    if (!state || !more) {
      state = { path, messages: [], hasMore: false, loading: false };
      this.states.set(path, state);
    }
    if (state.loading) return state;
    const before = more ? state.messages.at(-1)?.uid : undefined;
    await this.updateFolder(state, async () => {
      const page = await mail.listMessages(path, { pageSize: settings.pageSize(), ...(before ? { before } : {}) });
      if (state.uidValidity && state.uidValidity !== page.uidValidity) state.messages = [];
      state.uidValidity = page.uidValidity;
      const known = new Set(state.messages.map((m) => m.uid));
      state.messages.push(...page.messages.filter((m) => !known.has(m.uid)));
      state.hasMore = page.hasMore;
      if (!more) {
        state.sync = syncOf(page);
        void this.cache?.saveMailbox(toCachedMailbox(page)).catch(() => undefined);
      } else this.scheduleSave(path);
    });
    return state;
  }

  /**
   * The server's conversation links for a folder's loaded messages (THREAD=REFERENCES), when it
   * has them. Asking after the loaded set changed starts a refresh in the background and answers
   * with the links known so far: they stay right for the messages they cover.
   */
  threadParents(path: string): ThreadParents | undefined {
    const state = this.states.get(path);
    const oldest = state?.messages.at(-1);
    if (!state || !oldest || !this.mail) return undefined;
    const key = `${state.uidValidity}/${oldest.uid}/${state.messages[0]!.uid}/${state.messages.length}`;
    if (state.threads?.key !== key && this.threadRequests.get(path) !== key) {
      this.threadRequests.set(path, key);
      this.mail.threadParents(path, oldest.uid).then((parents) => {
        if (!parents || this.states.get(path) !== state) return;
        state.threads = { key, parents };
        this.changed({ kind: 'folder', account: this, path });
      }, (err: unknown) => {
        this.logger.debug(`[${this.name}] ${path}: no server threads (${(err as Error).message}); threading by In-Reply-To`);
      }).finally(() => {
        if (this.threadRequests.get(path) === key) this.threadRequests.delete(path);
      });
    }
    return state.threads?.parents;
  }

  /** Runs a server round on a folder: loading flag, error shown in the folder, then a redraw. */
  private async updateFolder(state: FolderState, work: () => Promise<void>): Promise<void> {
    state.loading = true;
    try {
      await work();
      delete state.error;
      if (state.path !== 'INBOX') this.watch(state.path);
    } catch (err) {
      state.error = this.fail(err).message;
    } finally {
      state.loading = false;
      this.changed({ kind: 'folder', account: this, path: state.path });
    }
  }

  private async reconcile(path: string, cached: import('../core/sync/cache').CachedMailbox): Promise<void> {
    const state = this.states.get(path);
    if (!state) return;
    await this.updateFolder(state, async () => {
      const result = await this.requireMail().resync(cached, { pageSize: settings.pageSize() });
      state.uidValidity = result.mailbox.uidValidity;
      state.messages = result.mailbox.messages;
      state.hasMore = result.mailbox.hasMore;
      state.sync = syncOf(result.mailbox);
      await this.cache?.saveMailbox(result.mailbox).catch(() => undefined);
      this.logger.debug(`[${this.name}] ${path}: resync by ${result.method}: ${result.vanished.length} gone, ${result.changedFlags} flag changes, ${result.added.length} new`);
    });
  }

  /** Live changes reach the cache too (debounced: IDLE can be chatty). */
  private scheduleSave(path: string): void {
    const cache = this.cache;
    if (!cache || this.saveTimers.has(path)) return;
    this.saveTimers.set(path, setTimeout(() => {
      this.saveTimers.delete(path);
      const state = this.states.get(path);
      if (!state?.uidValidity || !state.sync) return;
      void cache.saveMailbox({ path, uidValidity: state.uidValidity, ...state.sync, messages: state.messages, hasMore: state.hasMore }).catch(() => undefined);
    }, 2000));
  }

  /**
   * Live updates: INBOX always, plus the folder most recently opened. INBOX's first page is loaded
   * now too, as desktop clients do: it is the folder people open first. Called after every
   * listing that worked, so live updates that stopped start again once the account recovered.
   */
  private startLive(): void {
    const live = this.live;
    if (!live) return;
    if (!this.liveStarted) {
      this.liveStarted = true;
      if (this.folder('INBOX')) void this.loadMessages('INBOX');
      live.pollCounts(settings.pollIntervalSeconds() * 1000);
    }
    live.watch(['INBOX', ...live.paths.filter((p) => p !== 'INBOX')]);
    live.restartFailed();
  }

  /** `path` becomes the live folder next to INBOX. */
  private watch(path: string): void {
    if (!this.isDisposed) this.live?.watch(['INBOX', path]);
  }

  /** Whether changes of `path` arrive live right now (undefined: not watched). */
  liveState(path: string): WatchState | undefined {
    return this.live?.state(path);
  }

  private onLiveState(path: string, state: WatchState): void {
    if (state.status === 'failed') {
      this.logger.warn(`[${this.name}] live updates of ${path} stopped: ${state.error.message}`);
      // A live connection that logs in again is told the truth about the password first.
      if (state.error.kind === 'auth') this.fail(state.error);
    }
    this.changed({ kind: 'account', account: this });
  }

  private onAdded(path: string, added: MessageSummary[]): void {
    const state = this.states.get(path);
    if (state && state.uidValidity === added[0]?.uidValidity) {
      const known = new Set(state.messages.map((m) => m.uid));
      state.messages.unshift(...added.filter((m) => !known.has(m.uid)));
      state.messages.sort((a, b) => b.uid - a.uid);
    }
    void this.refreshCounts([path]);
    this.scheduleSave(path);
    this.changed({ kind: 'folder', account: this, path });
    this.changed({ kind: 'newMail', account: this, path, messages: added.filter((m) => !m.flags.includes('\\Seen')) });
  }

  private onFlags(path: string, uid: number, flags: string[]): void {
    const m = this.states.get(path)?.messages.find((x) => x.uid === uid);
    if (m) m.flags = flags;
    this.scheduleSave(path);
    void this.refreshCounts([path]);
    this.changed({ kind: 'folder', account: this, path });
  }

  private onCounts(counts: Map<string, MailboxCounts>): void {
    if (!this.folders) return;
    for (const f of this.folders) {
      const c = counts.get(f.path);
      if (c) f.counts = c;
    }
    this.changed({ kind: 'account', account: this });
  }

  async refreshCounts(paths: string[]): Promise<void> {
    const mail = this.mail;
    if (!mail || !this.folders) return;
    for (const path of new Set(paths)) {
      const f = this.folder(path);
      if (!f) continue;
      try {
        f.counts = await mail.counts(path);
      } catch {
        // counts are cosmetic; the next poll retries
      }
    }
    this.changed({ kind: 'account', account: this });
  }

  /** Applies a local change right away (the server has already confirmed it). */
  updateLocal(refs: MessageRef[], update: (m: MessageSummary) => void): void {
    for (const path of new Set(refs.map((r) => r.mailbox))) {
      const uids = new Set(refs.filter((r) => r.mailbox === path).map((r) => r.uid));
      for (const m of this.states.get(path)?.messages ?? []) if (uids.has(m.uid)) update(m);
      this.scheduleSave(path);
      this.changed({ kind: 'folder', account: this, path });
    }
  }

  removeLocal(path: string, uids: number[]): void {
    const state = this.states.get(path);
    if (state) {
      const gone = new Set(uids);
      state.messages = state.messages.filter((m) => !gone.has(m.uid));
      this.scheduleSave(path);
    }
    this.changed({ kind: 'folder', account: this, path });
  }

  /** A message's content: from the body cache when it was read before (bodies never change). */
  async readMessage(ref: MessageRef, opts: import('../core/reading/reader').ReadOptions = {}): Promise<import('../core/reading/reader').MessageContent> {
    const cached = await this.cache?.loadBody(ref).catch(() => undefined);
    if (cached) {
      const flags = this.findSummary(ref)?.flags;
      return flags ? { ...cached, flags: [...flags] } : cached;
    }
    const content = await this.requireMail().readMessage(ref, opts);
    if (!content.truncated) void this.cache?.saveBody(content).catch(() => undefined);
    return content;
  }

  findSummary(ref: MessageRef): MessageSummary | undefined {
    return this.states.get(ref.mailbox)?.messages.find((m) => m.uid === ref.uid && m.uidValidity === ref.uidValidity);
  }

  override dispose(): void {
    for (const t of this.saveTimers.values()) clearTimeout(t);
    super.dispose();
    void this.mail?.dispose();
  }
}

export class MailModel extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<ModelChange>());
  readonly onDidChange = this.emitter.event;
  private models: AccountModel[] = [];

  constructor(
    private readonly passwords: PasswordStore,
    private readonly logger: Logger,
    private readonly traceProtocol: () => boolean,
    private readonly cacheDir?: string,
  ) {
    super();
    this.reload();
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mailroom.accounts')) this.reload();
    }));
  }

  get accounts(): readonly AccountModel[] { return this.models; }

  account(name: string): AccountModel | undefined {
    return this.models.find((a) => a.name === name);
  }

  /** Rebuilds accounts whose settings changed; keeps the others (and their connections). */
  reload(): void {
    const entries = readAccounts();
    const next: AccountModel[] = [];
    const keep = new Map(this.models.map((m) => [JSON.stringify(m.entry.raw), m]));
    for (const entry of entries) {
      const key = JSON.stringify(entry.raw);
      const existing = keep.get(key);
      if (existing) {
        keep.delete(key);
        next.push(existing);
      } else {
        next.push(new AccountModel(entry, this.passwords, this.logger, (c) => this.emitter.fire(c), this.traceProtocol(), this.cacheDir));
      }
    }
    for (const old of keep.values()) old.dispose();
    this.models = next;
    void vscode.commands.executeCommand('setContext', 'mailroom.hasAccounts', next.length > 0);
    this.emitter.fire({ kind: 'accounts' });
  }

  /** "Clear Cache": forgets cached folders, messages and bodies of every account. */
  async clearCache(): Promise<void> {
    for (const m of this.models) await m.cache?.clear();
  }

  override dispose(): void {
    for (const m of this.models) m.dispose();
    super.dispose();
  }
}
