// One mail account's local state and the one writer of it: status, the folder list and counts,
// each folder's loaded pages, sync point and threads, first loads shared by whoever asks, the disk
// cache (read first, written back), the body cache, live updates and count polling. Surfaces read
// frozen snapshots, change mail only through apply(op) and hear precisely what changed.
//
// Flag changes and moves (archive, delete to Trash) are shown at once, because a triage key must
// move on before the server answers, and are put back exactly as they were if the server refuses;
// every other operation changes local state only after the server did it. Each is announced in
// one event per folder. Live updates (IDLE) arrive on other connections while an
// operation or a resync is under way, and they are the newer truth: a message the live
// connection reported on after the operation started keeps what it reported, and the live stream
// also carries the echo of the operation's own change, so both end where the server is.
import type { AccessTokenSource } from '../auth/token-source';
import { MailError, isMailError } from '../errors';
import { Emitter, type Disposable, type Event } from '../events';
import type { Logger } from '../log';
import { findSpecialUse, type MailboxInfo, type SpecialUse, visibleFolders } from '../mailbox/mailboxes';
import { type MessageRef, type MessageSummary, type ReadonlySummary, refKey, refOf } from '../mailbox/messages';
import type { ThreadParents } from '../mailbox/threads';
import type { MessageContent, ReadOptions } from '../reading/reader';
import type { AccountConfig, PasswordProvider } from '../session/account';
import type { ConnectionState } from '../session/connection';
import { MailAccount, type MailAccountOptions } from '../session/mail-account';
import { Flag, Keyword } from '../../shared/flags';
import { MailCache } from './cache';
import {
  applyEdit,
  type FolderSnapshot,
  freezeFolders,
  freezeSummary,
  inverse,
  type ListChange,
  type ListEdit,
  NO_CHANGE,
  snapshot,
  syncPointOf,
  toCached,
  withFlags,
} from './folder-state';
import { LiveUpdates } from './live';
import { type Confirmation, type MoveKind, type Operation, type Outcome, sourceFolder } from './operations';
import { toCachedMailbox } from './resync';
import type { AccountStatus, ChangeOrigin, StoreEvent } from './store-events';
import { UndoLog } from './undo';
import type { ResyncReason, WatchState } from './watcher';
import { CacheWriteBack } from './write-back';
import type { MoveResult, PendingExpunge } from '../actions/actions';
import {
  type ComposeAccount,
  discardDraft,
  type DraftRemoval,
  retrySentCopy,
  saveDraft,
  sendMessage,
  type SendOutcome,
} from '../compose/send';
import type { SentCopy } from '../compose/mailstore';
import { smtpCredentialsFrom, smtpUserOf } from '../compose/smtp';
import { openDraft, type OpenedDraft } from '../compose/draft-read';
import { identityOf } from '../compose/identity';
import { assertUidValidity } from '../mailbox/messages';

/** Read again at each use: a changed setting applies without building the store again. */
export interface StoreSettings {
  pageSize: number;
  pollIntervalMs: number;
  /** Disk space for cached message bodies; 0 keeps none. */
  cacheSizeBytes: number;
  /** Whether a delete for good first comes back as a `permanentDelete` confirmation. */
  confirmPermanentDelete: boolean;
}

export interface AccountStoreOptions {
  account: AccountConfig;
  logger: Logger;
  settings: () => StoreSettings;
  /** The password when a connection needs one (the extension: SecretStorage, else it asks the person). */
  password: PasswordProvider;
  /** The server said the credentials are wrong (and only then): forget the stored password. */
  forgetPassword?: (account: AccountConfig) => void | Promise<void>;
  /** `auth: "oauth2"` accounts: where access tokens come from. */
  tokens?: AccessTokenSource;
  /** Where the disk cache lives; none without it. */
  cacheDir?: string;
  /** Shared by the stores of a window ("Undo Last Action" is the last action anywhere); a private one without it. */
  undo?: UndoLog;
  traceProtocol?: boolean;
  /** Connection knobs for tests (fast backoff, quick IDLE, short deadlines). */
  connection?: Pick<MailAccountOptions, 'backoff' | 'autoIdleDelayMs' | 'deadlines' | 'redactor'>;
  /** How long live changes wait before they are written to the cache together (default 2 s). */
  writeBackDelayMs?: number;
}

/** What surfaces may ask the server directly: reads that change no local state. */
export type MailReads = Pick<
  MailAccount,
  | 'search'
  | 'searchFolders'
  | 'permanentFlags'
  | 'resolveLink'
  | 'saveAttachment'
  | 'readSource'
  | 'readHeaderBlock'
  | 'readPartAs'
>;

interface FolderEntry {
  snap: FolderSnapshot;
  /** Server rounds on the folder run one after the other. */
  rounds: Promise<void>;
  /** A refresh is queued and not started yet: another request joins it (asking for arrivals if it needs them). */
  refreshQueued?: { arrivals: boolean; done: Promise<void> };
}

/** A message a surface shows although it is in no loaded page (a search result, the reader's). */
interface Tracked {
  readonly ref: MessageRef;
  readonly flags: readonly string[];
}

const MAX_TRACKED = 500;
/** Folders whose first page is read ahead at connect (an account with hundreds waits for the clicks). */
const PREFETCH_FOLDERS = 100;

/** The cache key of an account (unchanged since the first cache, so existing caches stay valid). */
export function cacheKeyOf(config: AccountConfig): string {
  return `${config.name}\u0000${config.user}@${config.host}:${config.port}`;
}

export class AccountStore implements Disposable {
  private readonly account: MailAccount;
  private readonly live: LiveUpdates;
  private readonly cache: MailCache | undefined;
  private readonly writeBack: CacheWriteBack | undefined;
  private readonly undoLog: UndoLog;
  private readonly emitter = new Emitter<StoreEvent>();
  private readonly subscriptions: Disposable[] = [];
  private readonly entries = new Map<string, FolderEntry>();
  private readonly firstLoads = new Map<string, Promise<FolderSnapshot>>();
  private readonly threadRequests = new Map<string, string>();
  private readonly tracked = new Map<string, Tracked>();
  /** path → UID → when the live connection last reported that message's flags (see `seq`). */
  private readonly liveMarks = new Map<string, Map<number, number>>();
  /** Counts live flag reports; operations and resyncs note it when they start. */
  private seq = 0;
  private readonly indexes = new WeakMap<readonly ReadonlySummary[], Map<string, ReadonlySummary>>();
  private _status: AccountStatus = Object.freeze({ kind: 'idle' });
  private folderList: readonly MailboxInfo[] | undefined;
  private foldersLoading: Promise<readonly MailboxInfo[]> | undefined;
  private liveStarted = false;
  private disposed = false;

  /** Everything that changes, precisely (see StoreEvent). */
  readonly onDidChange: Event<StoreEvent> = this.emitter.event;

  constructor(private readonly options: AccountStoreOptions) {
    const config = options.account;
    this.undoLog = options.undo ?? new UndoLog();
    this.account = new MailAccount({
      account: config,
      passwords: options.password,
      logger: options.logger,
      traceProtocol: options.traceProtocol ?? false,
      ...(options.tokens ? { tokens: options.tokens } : {}),
      ...options.connection,
    });
    if (options.cacheDir) {
      const cache = new MailCache(options.cacheDir, cacheKeyOf(config), () => options.settings().cacheSizeBytes);
      this.cache = cache;
      this.writeBack = new CacheWriteBack(
        cache,
        options.logger,
        config.name,
        (path) => {
          const entry = this.entries.get(path);
          return entry ? toCached(entry.snap) : undefined;
        },
        options.writeBackDelayMs,
      );
    }
    const live = (this.live = new LiveUpdates(this.account, options.logger, (path) => this.loadedUpTo(path)));
    this.subscriptions.push(
      this.account.onDidChangeState((s) => this.onConnection(s)),
      this.account.onDidChangeCounts((counts) => this.onCounts(counts)),
      this.account.onDidInvalidateMailbox(({ path, uidValidity }) => this.invalidate(path, uidValidity)),
      live.onDidAddMessages(({ path, messages }) => this.onAdded(path, messages)),
      live.onDidChangeFlags(({ path, uidValidity, uid, flags }) =>
        this.onLiveFlags(path, { mailbox: path, uidValidity, uid }, flags),
      ),
      live.onDidExpunge(({ path, uidValidity, uids }) =>
        this.onLiveExpunge(
          path,
          uids.map((uid) => ({ mailbox: path, uidValidity, uid })),
        ),
      ),
      live.onDidRequestResync(({ path, reason }) => this.onResyncRequest(path, reason)),
      live.onDidChangeState(({ path, state }) => this.onLiveState(path, state)),
    );
  }

  get name(): string {
    return this.options.account.name;
  }
  get config(): AccountConfig {
    return this.options.account;
  }
  get status(): AccountStatus {
    return this._status;
  }
  get connectionState(): ConnectionState {
    return this.account.state;
  }
  /** Reads that go straight to the server; every change goes through apply(). */
  get mail(): MailReads {
    return this.account;
  }

  private get settings(): StoreSettings {
    return this.options.settings();
  }

  private fire(event: StoreEvent): void {
    if (!this.disposed) this.emitter.fire(Object.freeze(event));
  }

  // ── Status ──────────────────────────────────────────────────────────────────────────────────

  private setStatus(status: AccountStatus): void {
    const before = this._status;
    this._status = Object.freeze(status);
    if (before.kind !== status.kind || status.kind === 'error') this.fire({ kind: 'status', status: this._status });
  }

  private onConnection(s: ConnectionState): void {
    if (s.status === 'connecting') this.setStatus({ kind: 'connecting' });
    else if (s.status === 'connected') this.setStatus({ kind: 'connected' });
    else if (s.status === 'failed') this.setStatus({ kind: 'error', error: s.error });
    else if (s.status === 'disconnected' && this._status.kind !== 'error') this.setStatus({ kind: 'idle' });
    this.fire({ kind: 'connection', state: s });
  }

  /** Makes a failure the account's status (unless a passing one on a working account) and says why. */
  private fail(err: unknown): MailError {
    const error = isMailError(err) ? err : new MailError('server', (err as Error)?.message ?? String(err));
    if (error.kind === 'auth') this.forgetPassword();
    if (!error.transient || this._status.kind !== 'connected') this.setStatus({ kind: 'error', error });
    return error;
  }

  private forgetPassword(): void {
    const forget = this.options.forgetPassword;
    if (!forget) return;
    Promise.resolve()
      .then(() => forget(this.config))
      .catch((err: Error) => this.options.logger.warn(`[${this.name}] could not forget the password: ${err.message}`));
  }

  /** An operation failed: a problem of the account itself (credentials, certificate) shows on it too. */
  private opFailed(err: unknown, op?: Operation): never {
    // What the SMTP server said, the composer's own check or a missing sending setting (no
    // "smtp", no From) is not a problem of the IMAP account.
    const writing = op?.kind === 'send' || op?.kind === 'saveDraft';
    const notTheAccount =
      isMailError(err) && (!!err.details.smtp || err.details.stage === 'check' || (writing && err.kind === 'config'));
    if (isMailError(err) && err.needsUser && !notTheAccount) this.fail(err);
    throw err;
  }

  /** Clears an error and tries again (after a wrong password, the password is asked for again). */
  async retry(): Promise<void> {
    this.setStatus({ kind: 'idle' });
    this.folderList = undefined;
    this.fire({ kind: 'folders' });
    await this.loadFolders().catch(() => undefined);
  }

  /** "Refresh": the folder list again, and every loaded folder reconciled with the server. */
  async refreshAll(): Promise<void> {
    if (this._status.kind === 'error') return this.retry();
    await this.loadFolders(true).catch(() => undefined);
    await Promise.all([...this.entries.keys()].map((path) => this.refresh(path)));
  }

  // ── Folders ─────────────────────────────────────────────────────────────────────────────────

  get folders(): readonly MailboxInfo[] | undefined {
    return this.folderList;
  }

  folder(path: string): MailboxInfo | undefined {
    return this.folderList?.find((f) => f.path === path);
  }

  /** The path of the folder with this role, as far as the folder list is loaded. */
  specialPath(role: SpecialUse): string | undefined {
    return this.folderList ? findSpecialUse(this.folderList, role)?.path : undefined;
  }

  /** Folders: from the cache at once when there is one (refreshed from the server behind it). */
  async loadFolders(force = false): Promise<readonly MailboxInfo[]> {
    if (this.folderList && !force) return this.folderList;
    if (!this.folderList && !force && this.cache) {
      const cached = await this.cache.loadFolders().catch(() => undefined);
      if (cached?.length && !this.folderList) {
        this.setFolders(cached);
        this.account.useKnownFolders(cached);
        void this.fetchFolders().catch(() => undefined);
        return this.folderList!;
      }
    }
    return this.fetchFolders();
  }

  private fetchFolders(): Promise<readonly MailboxInfo[]> {
    this.foldersLoading ??= (async () => {
      try {
        const list = await this.account.listMailboxes({ counts: true });
        this.setFolders(list);
        void this.writeBack?.folders(this.folderList!);
        this.startLive();
        return this.folderList!;
      } catch (err) {
        throw this.fail(err);
      } finally {
        this.foldersLoading = undefined;
      }
    })();
    return this.foldersLoading;
  }

  private setFolders(list: readonly MailboxInfo[]): void {
    const before = this.folderList;
    this.folderList = freezeFolders(list);
    const shape = (l: readonly MailboxInfo[]) =>
      JSON.stringify(l.map((f) => [f.path, f.name, f.delimiter, f.specialUse, f.selectable, f.subscribed]));
    if (!before || shape(before) !== shape(this.folderList)) {
      this.fire({ kind: 'folders' });
      return;
    }
    const counts = (f: MailboxInfo | undefined) => JSON.stringify([f?.counts?.messages, f?.counts?.unseen]);
    const paths = this.folderList.filter((f, i) => counts(f) !== counts(before[i])).map((f) => f.path);
    if (paths.length) this.fire({ kind: 'counts', paths });
  }

  private onCounts(counts: ReadonlyMap<string, MailboxInfo['counts']>): void {
    if (!this.folderList) return;
    this.setFolders(
      this.folderList.map((f) => {
        const c = counts.get(f.path);
        return c ? { ...f, counts: c } : f;
      }),
    );
  }

  /** Asks the server for the counts of `paths` (after a change that moves them). */
  async refreshCounts(paths: readonly string[]): Promise<void> {
    if (!this.folderList) return;
    const fresh = new Map<string, NonNullable<MailboxInfo['counts']>>();
    for (const path of new Set(paths)) {
      if (!this.folder(path)) continue;
      try {
        fresh.set(path, await this.account.counts(path));
      } catch {
        // counts are cosmetic; the next poll retries
      }
    }
    if (fresh.size) this.onCounts(fresh);
  }

  // ── Messages of a folder ────────────────────────────────────────────────────────────────────

  /** The folder as loaded now, if it was loaded. */
  folderState(path: string): FolderSnapshot | undefined {
    return this.entries.get(path)?.snap;
  }

  /**
   * The folder as loaded, after its first load (which starts if needed; a second caller waits
   * for the one under way). A folder seen before shows its cached messages at once and is then
   * reconciled with the server (QRESYNC), so only changes cross the wire.
   */
  open(path: string): Promise<FolderSnapshot> {
    const entry = this.entries.get(path);
    if (entry && !this.firstLoads.has(path)) return Promise.resolve(entry.snap);
    return this.firstLoad(path);
  }

  /**
   * The person opened again a folder that is loaded already (expanded it in the tree): it becomes
   * the live one next to INBOX. Another folder opened since took its live connection, so what is
   * loaded may be old; its new watcher delivers what arrived from there and, once live, has the
   * loaded messages looked at again. A redraw asking for the same rows must not call this: two
   * expanded folders would take the live connection from each other on every redraw.
   */
  reopened(path: string): void {
    if (this.entries.has(path) && !this.firstLoads.has(path)) this.watch(path);
  }

  private firstLoad(path: string): Promise<FolderSnapshot> {
    let load = this.firstLoads.get(path);
    if (!load) {
      load = this.showFirst(path).finally(() => this.firstLoads.delete(path));
      this.firstLoads.set(path, load);
    }
    return load;
  }

  private async showFirst(path: string): Promise<FolderSnapshot> {
    if (!this.entries.has(path) && this.cache) {
      const cached = await this.cache.loadMailbox(path).catch(() => undefined);
      if (cached && !this.entries.has(path)) {
        const entry = this.entry(path, {
          uidValidity: cached.uidValidity,
          sync: syncPointOf(cached),
          hasMore: cached.hasMore,
        });
        this.edit(path, { add: cached.messages }, 'cache');
        this.watch(path);
        void this.refresh(path);
        return entry.snap;
      }
    }
    return this.reload(path);
  }

  private entry(path: string, init: Partial<FolderSnapshot> = {}): FolderEntry {
    let entry = this.entries.get(path);
    if (!entry) {
      entry = { snap: snapshot({ path }, init), rounds: Promise.resolve() };
      this.entries.set(path, entry);
    }
    return entry;
  }

  /** The next older page. */
  async loadMore(path: string): Promise<FolderSnapshot> {
    const first = this.firstLoads.get(path);
    if (first) return first;
    const entry = this.entries.get(path);
    if (!entry) return this.firstLoad(path);
    await this.round(
      entry,
      async () => {
        const before = entry.snap.messages.at(-1)?.uid;
        const page = await this.account.listMessages(path, {
          pageSize: this.settings.pageSize,
          ...(before ? { before } : {}),
        });
        if (entry.snap.uidValidity !== undefined && entry.snap.uidValidity !== page.uidValidity) {
          this.edit(path, this.replacement(entry, page.messages, page.uidNext, page.uidValidity, this.seq), 'server', {
            uidValidity: page.uidValidity,
            hasMore: page.hasMore,
            sync: syncPointOf(page),
          });
          return;
        }
        this.edit(path, { add: page.messages }, 'server', { hasMore: page.hasMore });
      },
      true,
    );
    return entry.snap;
  }

  /** The newest page from the server, in place of what is loaded. */
  async reload(path: string): Promise<FolderSnapshot> {
    const entry = this.entry(path);
    await this.round(
      entry,
      async () => {
        const start = this.seq;
        const page = await this.account.listMessages(path, { pageSize: this.settings.pageSize });
        this.edit(path, this.replacement(entry, page.messages, page.uidNext, page.uidValidity, start), 'server', {
          uidValidity: page.uidValidity,
          hasMore: page.hasMore,
          sync: syncPointOf(page),
        });
        void this.writeBack?.mailbox(toCachedMailbox(page));
      },
      true,
    );
    return entry.snap;
  }

  /**
   * Reconciles a loaded folder with the server (QRESYNC, CHANGEDSINCE or UID+FLAGS; see
   * resync.ts) and applies what changed. `arrivals: false` when a live connection delivers the
   * new mail itself. Requests while one is queued join it.
   */
  refresh(path: string, opts: { arrivals?: boolean } = {}): Promise<void> {
    const entry = this.entries.get(path);
    if (!entry) return Promise.resolve();
    const arrivals = opts.arrivals ?? true;
    if (entry.refreshQueued) {
      entry.refreshQueued.arrivals ||= arrivals;
      return entry.refreshQueued.done;
    }
    const queued = { arrivals, done: Promise.resolve() };
    queued.done = this.round(entry, async () => {
      entry.refreshQueued = undefined;
      const cached = toCached(entry.snap);
      const start = this.seq;
      if (!cached) {
        const page = await this.account.listMessages(path, { pageSize: this.settings.pageSize });
        this.edit(path, this.replacement(entry, page.messages, page.uidNext, page.uidValidity, start), 'server', {
          uidValidity: page.uidValidity,
          hasMore: page.hasMore,
          sync: syncPointOf(page),
        });
        return;
      }
      const result = await this.account.resync(cached, { pageSize: this.settings.pageSize, arrivals: queued.arrivals });
      const m = result.mailbox;
      if (result.method === 'reset') {
        this.edit(path, this.replacement(entry, m.messages, m.uidNext, m.uidValidity, start), 'server', {
          uidValidity: m.uidValidity,
          hasMore: m.hasMore,
          sync: syncPointOf(m),
        });
      } else {
        const uidValidity = m.uidValidity;
        this.edit(
          path,
          {
            remove: result.vanished.map((uid) => ({ mailbox: path, uidValidity, uid })),
            flags: m.messages
              .filter((x) => !this.reportedSince(path, x.uid, start))
              .map((x) => ({ ref: x, flags: x.flags })),
            add: result.added,
          },
          'server',
          { hasMore: m.hasMore, sync: syncPointOf(m) },
        );
      }
      const now = toCached(entry.snap);
      if (now) void this.writeBack?.mailbox(now);
      this.options.logger.debug(
        `[${this.name}] ${path}: resync by ${result.method}: ${result.vanished.length} gone, ${result.changedFlags} flag changes, ${result.added.length} new`,
      );
    });
    entry.refreshQueued = queued;
    return queued.done;
  }

  /**
   * The edit from what is loaded to a fresh page. Mail newer than the page (a live arrival while
   * it was read) stays, and so do the flags the live connection reported after `start`.
   */
  private replacement(
    entry: FolderEntry,
    page: readonly MessageSummary[],
    pageUidNext: number,
    uidValidity: string,
    start: number,
  ): ListEdit {
    const inPage = new Set(page.map(refKey));
    const keep = (m: ReadonlySummary) =>
      inPage.has(refKey(m)) || (m.uidValidity === uidValidity && m.uid >= pageUidNext);
    const path = entry.snap.path;
    return {
      remove: entry.snap.messages.filter((m) => !keep(m)),
      add: page,
      flags: page.filter((m) => !this.reportedSince(path, m.uid, start)).map((m) => ({ ref: m, flags: m.flags })),
    };
  }

  /**
   * Runs a server round on a folder after the ones before it: loading flag, error kept in the
   * folder, one event after. `opened`: the person opened (or paged) the folder, which makes it the
   * live one next to INBOX; a look in the background (a refresh, a resync) leaves that alone.
   */
  private round(entry: FolderEntry, work: () => Promise<void>, opened = false): Promise<void> {
    const run = async () => {
      if (this.entries.get(entry.snap.path) !== entry || this.disposed) return;
      const before = entry.snap;
      entry.snap = snapshot(entry.snap, { loading: true });
      let error: string | undefined;
      try {
        await work();
        if (opened) this.watch(entry.snap.path);
      } catch (err) {
        error = this.fail(err).message;
      } finally {
        entry.snap = snapshot(entry.snap, { loading: false, error });
        // (Its messages were announced as they changed.)
        if (
          before.error !== error ||
          before.hasMore !== entry.snap.hasMore ||
          before.uidValidity !== entry.snap.uidValidity
        ) {
          this.fire({ kind: 'folder', path: entry.snap.path });
        }
      }
    };
    const next = entry.rounds.then(run, run);
    entry.rounds = next;
    return next;
  }

  /**
   * Applies `edit` to a folder's loaded pages and to the messages shown outside them, and
   * announces what really changed, once. Every change of a message list goes through here.
   */
  private edit(path: string, edit: ListEdit, origin: ChangeOrigin, patch: Partial<FolderSnapshot> = {}): ListChange {
    const entry = this.entries.get(path);
    let change = NO_CHANGE;
    if (entry) {
      const applied = applyEdit(entry.snap.messages, edit);
      change = applied.change;
      if (applied.list !== entry.snap.messages || Object.keys(patch).length)
        entry.snap = snapshot(entry.snap, { ...patch, messages: applied.list });
    }
    const removed = new Map(change.removed.map((m) => [refKey(m), refOf(m)]));
    const changed = new Map(change.changed.map((c) => [refKey(c.after), refOf(c.after)]));
    for (const ref of edit.remove ?? []) {
      const key = refKey(ref);
      if (this.tracked.delete(key)) removed.set(key, refOf(ref));
    }
    for (const { ref, flags } of edit.flags ?? []) {
      const key = refKey(ref);
      const t = this.tracked.get(key);
      if (!t || (t.flags.length === flags.length && t.flags.every((f) => flags.includes(f)))) continue;
      this.tracked.set(key, Object.freeze({ ref: t.ref, flags: Object.freeze([...flags]) }));
      changed.set(key, t.ref);
    }
    for (const key of removed.keys()) changed.delete(key);
    if (change.added.length || removed.size || changed.size) {
      this.fire({
        kind: 'messages',
        path,
        origin,
        added: change.added.map(refOf),
        removed: [...removed.values()],
        changed: [...changed.values()],
      });
      if (entry && origin !== 'cache') this.writeBack?.schedule(path);
    }
    return change;
  }

  /**
   * The server's conversation links for a folder's loaded messages (THREAD=REFERENCES), when it
   * has them. Asking after the loaded set changed starts a refresh in the background and answers
   * with the links known so far: they stay right for the messages they cover.
   */
  threadParents(path: string): ThreadParents | undefined {
    const entry = this.entries.get(path);
    const snap = entry?.snap;
    const oldest = snap?.messages.at(-1);
    if (!entry || !snap || !oldest) return undefined;
    const key = `${snap.uidValidity}/${oldest.uid}/${snap.messages[0]!.uid}/${snap.messages.length}`;
    if (snap.threads?.key !== key && this.threadRequests.get(path) !== key) {
      this.threadRequests.set(path, key);
      this.account
        .threadParents(path, oldest.uid)
        .then(
          (parents) => {
            if (!parents || this.entries.get(path) !== entry) return;
            entry.snap = snapshot(entry.snap, { threads: { key, parents } });
            this.fire({ kind: 'folder', path });
          },
          (err: unknown) => {
            this.options.logger.debug(
              `[${this.name}] ${path}: no server threads (${(err as Error).message}); threading by In-Reply-To`,
            );
          },
        )
        .finally(() => {
          if (this.threadRequests.get(path) === key) this.threadRequests.delete(path);
        });
    }
    return snap.threads?.parents;
  }

  /** A folder was rebuilt on the server (UIDVALIDITY): every UID known for it is void. */
  private invalidate(path: string, uidValidity: string): void {
    const entry = this.entries.get(path);
    this.liveMarks.delete(path);
    const staleTracked = [...this.tracked.values()]
      .filter((t) => t.ref.mailbox === path && t.ref.uidValidity !== uidValidity)
      .map((t) => t.ref);
    if (entry && entry.snap.uidValidity !== undefined && entry.snap.uidValidity !== uidValidity) {
      this.edit(path, { remove: [...entry.snap.messages, ...staleTracked] }, 'server', {
        uidValidity: undefined,
        sync: undefined,
        threads: undefined,
        hasMore: false,
      });
      void this.refresh(path);
    } else if (staleTracked.length) {
      this.edit(path, { remove: staleTracked }, 'server');
    }
  }

  // ── Single messages ─────────────────────────────────────────────────────────────────────────

  private index(path: string): Map<string, ReadonlySummary> | undefined {
    const messages = this.entries.get(path)?.snap.messages;
    if (!messages) return undefined;
    let index = this.indexes.get(messages);
    if (!index) {
      index = new Map(messages.map((m) => [refKey(m), m]));
      this.indexes.set(messages, index);
    }
    return index;
  }

  /** The message in a loaded page, if it is in one. */
  message(ref: MessageRef): ReadonlySummary | undefined {
    return this.index(ref.mailbox)?.get(refKey(ref));
  }

  /** The message's flags as far as this store knows them (loaded pages, or shown elsewhere). */
  flags(ref: MessageRef): readonly string[] | undefined {
    return this.message(ref)?.flags ?? this.tracked.get(refKey(ref))?.flags;
  }

  /**
   * Keeps the flags of messages a surface shows outside the loaded pages (search results, the
   * triage list) up to date, and announces their changes like any other (the newest few hundred).
   */
  track(messages: ReadonlyArray<MessageRef & { readonly flags: readonly string[] }>): void {
    for (const m of messages) {
      const key = refKey(m);
      const known = this.message(m)?.flags ?? m.flags;
      this.tracked.delete(key);
      this.tracked.set(key, Object.freeze({ ref: Object.freeze(refOf(m)), flags: Object.freeze([...known]) }));
    }
    for (const key of this.tracked.keys()) {
      if (this.tracked.size <= MAX_TRACKED) break;
      this.tracked.delete(key);
    }
  }

  /** Bodies being read ahead of a click, by refKey (a click meanwhile waits for that read instead of making its own). */
  private readonly readingAhead = new Map<string, Promise<MessageContent | undefined>>();

  /**
   * Reads a message's headers and shown parts into the body cache before anyone opens it: the
   * message below the one on screen, where a person reading down the list or archiving goes
   * next. Like every read it never marks the message read (BODY.PEEK). A failure is nobody's
   * business: the click, if it comes, reads again and reports. Without a cache there is nowhere
   * to keep it, and nothing is read.
   */
  readAhead(ref: MessageRef): void {
    const key = refKey(ref);
    if (!this.cache || this.readingAhead.has(key)) return;
    const cache = this.cache;
    const read = (async () => {
      if (await cache.hasBody(ref)) return undefined;
      const content = await this.account.readMessage(ref);
      if (!content.truncated) await this.writeBack?.body(content);
      return content;
    })()
      .catch((err: unknown) => {
        this.options.logger.debug(
          `[${this.name}] reading ahead ${ref.mailbox} UID ${ref.uid}: ${(err as Error).message}`,
        );
        return undefined;
      })
      .finally(() => this.readingAhead.delete(key));
    this.readingAhead.set(key, read);
  }

  /** A message's content: from the body cache when it was read before (bodies never change). */
  async readMessage(ref: MessageRef, opts: ReadOptions = {}): Promise<MessageContent> {
    const ahead = await this.readingAhead.get(refKey(ref));
    const cached = ahead ?? (await this.cache?.loadBody(ref).catch(() => undefined));
    let content: MessageContent;
    if (cached) {
      const flags = this.flags(ref);
      content = flags ? { ...cached, flags: [...flags] } : cached;
    } else {
      try {
        content = await this.account.readMessage(ref, opts);
      } catch (err) {
        this.opFailed(err);
      }
      if (!content.truncated) void this.writeBack?.body(content);
    }
    this.track([{ ...ref, flags: content.flags }]);
    return content;
  }

  // ── Operations ──────────────────────────────────────────────────────────────────────────────

  /** The one way to change mail: local state and the server as the header says, then one event per folder. */
  async apply(op: Operation): Promise<Outcome> {
    try {
      switch (op.kind) {
        case 'setFlags':
          return await this.setFlags(op);
        case 'move':
          return await this.move(op, op.to, 'move');
        case 'archive': {
          const archive = await this.account.specialFolder('archive');
          if (!archive)
            throw new MailError(
              'unsupported',
              `${this.name} has no Archive folder. Create one named "Archive" or mark one as \\Archive on the server.`,
            );
          return await this.move(op, archive.path, 'archive');
        }
        case 'delete':
          return await this.delete(op);
        case 'expunge':
          return await this.expunge(op);
        case 'undo':
          return await this.undo(op);
        case 'append':
          return await this.append(op);
        case 'junk':
          return await this.junk(op);
        case 'createFolder':
          return await this.createFolder(op);
        case 'renameFolder':
          return await this.renameFolder(op);
        case 'deleteFolder':
          return await this.deleteFolder(op);
        case 'subscribe':
          return await this.subscribe(op);
        case 'markAllRead':
          return await this.markAllRead(op);
        case 'emptyFolder':
          return await this.emptyFolder(op);
        case 'send':
          return await this.send(op);
        case 'saveDraft':
          return await this.saveDraft(op);
        case 'discardDraft': {
          const start = this.seq;
          const removed = await discardDraft(this.composeAccount(), op.context);
          if (removed && op.context.draft) this.draftRemoved(op.context.draft, removed, start);
          return { op, done: true, undoable: false, ...(removed ? { removed } : {}) };
        }
        case 'retrySentCopy': {
          const sentCopy = await retrySentCopy(this.composeAccount(), {
            raw: Buffer.from(op.raw),
            messageId: op.messageId,
          });
          await this.sentCopyStored(sentCopy);
          return { op, done: true, undoable: false, sentCopy };
        }
      }
    } catch (err) {
      this.opFailed(err, op);
    }
  }

  private async setFlags(op: Extract<Operation, { kind: 'setFlags' }>): Promise<Outcome> {
    const change = { add: [...(op.add ?? [])], remove: [...(op.remove ?? [])] };
    if (!op.refs.length || (!change.add.length && !change.remove.length)) return { op, done: true, undoable: false };
    const start = this.seq;
    // Shown at once: a key press must not wait for a round trip. The server still decides: a
    // refusal takes back exactly this change (not a later one on the same message), and what the
    // live connection reports meanwhile is the server's word and stays.
    const undo = op.refs.map((ref) => ({ ref, ...inverseOf(this.flags(ref), change) }));
    this.flagLocally(op.refs, change, start, 'operation');
    // Newer than anything a round that began before it read (a resync's flags): that round must not
    // put the old flags back.
    this.markChanged(op.refs);
    const mine = this.seq;
    try {
      await this.account.setFlags([...op.refs], change);
    } catch (err) {
      for (const { ref, add, remove } of undo) this.flagLocally([ref], { add, remove }, mine, 'revert');
      throw err;
    }
    if ([...change.add, ...change.remove].includes(Flag.Seen)) void this.refreshCounts(op.refs.map((r) => r.mailbox));
    return { op, done: true, undoable: false };
  }

  /** The local side of a flag change the server made (skipping what the live connection reported since `start`). */
  private flagLocally(
    refs: readonly MessageRef[],
    change: { add?: readonly string[]; remove?: readonly string[] },
    start: number,
    origin: ChangeOrigin,
  ): void {
    for (const [path, group] of groupBy(refs)) {
      const flags = group
        .filter((r) => !this.reportedSince(path, r.uid, start))
        .map((r) => ({ ref: r, current: this.flags(r) }))
        .filter((x): x is { ref: MessageRef; current: readonly string[] } => x.current !== undefined)
        .map(({ ref, current }) => ({ ref, flags: withFlags(current, change) }));
      if (flags.length) this.edit(path, { flags }, origin);
    }
  }

  private async move(
    op: Extract<Operation, { kind: 'move' | 'archive' | 'delete' | 'junk' }>,
    to: string,
    what: MoveKind,
    undoFlags?: { add?: readonly string[]; remove?: readonly string[] },
  ): Promise<Outcome> {
    const from = sourceFolder(op.refs, what === 'delete' ? 'Delete' : 'Move');
    const start = this.seq;
    const messageIds = op.refs.map((r) => this.message(r)?.messageId).filter((id): id is string => !!id);
    const putBack = this.leaveLocally(from, op.refs);
    let result: MoveResult;
    try {
      result = await this.account.move([...op.refs], to);
    } catch (err) {
      putBack('revert');
      throw err;
    }
    if (result.pendingExpunge) putBack('operation'); // still there, marked \Deleted (below)
    const confirm = this.afterRemoval(op.refs, result.pendingExpunge, start);
    // The Message-IDs go with the undo too: a fallback to find the copies, and what link hovers follow.
    const moved: MoveResult = result.messageIds.length ? result : { ...result, messageIds };
    this.undoLog.record({
      target: this,
      op: { kind: 'undo', move: moved, what, ...(undoFlags ? { flags: undoFlags } : {}) },
    });
    this.fire({ kind: 'moved', from, to, refs: op.refs.map(refOf), messageIds: moved.messageIds });
    this.followServer(to);
    void this.refreshCounts([from, to]);
    return { op, done: true, undoable: true, ...(confirm ? { confirm } : {}) };
  }

  /**
   * Takes messages out of a folder's list before the server answered, so the next message shows
   * without a round trip; what it returns puts them back where they were.
   */
  private leaveLocally(path: string, refs: readonly MessageRef[]): (origin: ChangeOrigin) => void {
    const tracked = refs.flatMap((r) => this.tracked.get(refKey(r)) ?? []);
    const removal = this.edit(path, { remove: refs }, 'operation');
    return (origin) => {
      for (const t of tracked) this.tracked.set(refKey(t.ref), t);
      this.edit(path, inverse(removal), origin);
    };
  }

  /**
   * The local side of messages leaving a folder: gone, or — when the server could not expunge
   * exactly them — still there marked \Deleted, with the expunge that needs a person's word.
   */
  private afterRemoval(
    refs: readonly MessageRef[],
    pending: PendingExpunge | undefined,
    start: number,
  ): Confirmation | undefined {
    if (!pending) {
      for (const [path, group] of groupBy(refs)) this.edit(path, { remove: group }, 'operation');
      return undefined;
    }
    this.flagLocally(refs, { add: [Flag.Deleted] }, start, 'operation');
    return {
      kind: 'expungeFolder',
      mailbox: pending.mailbox,
      uids: pending.uids,
      otherDeleted: pending.otherDeleted,
      reason: pending.reason,
      followUp: { kind: 'expunge', mailbox: pending.mailbox, uids: pending.uids },
    };
  }

  private async delete(op: Extract<Operation, { kind: 'delete' }>): Promise<Outcome> {
    const from = sourceFolder(op.refs, 'Delete');
    const trash = await this.account.specialFolder('trash');
    if (trash && trash.path !== from) return this.move(op, trash.path, 'delete');
    if (this.settings.confirmPermanentDelete && !op.confirmed) {
      return {
        op,
        done: false,
        undoable: false,
        confirm: {
          kind: 'permanentDelete',
          mailbox: from,
          count: op.refs.length,
          followUp: { ...op, confirmed: true },
        },
      };
    }
    const start = this.seq;
    const result = await this.account.destroy([...op.refs]);
    const confirm = this.afterRemoval(op.refs, result.permanent?.pendingExpunge, start);
    void this.refreshCounts([from]);
    return { op, done: true, undoable: false, ...(confirm ? { confirm } : {}) };
  }

  private async expunge(op: Extract<Operation, { kind: 'expunge' }>): Promise<Outcome> {
    await this.account.expunge(op.mailbox);
    // Every message marked \Deleted is gone now, not only the ones this was for.
    const entry = this.entries.get(op.mailbox);
    const deleted = entry?.snap.messages.filter((m) => m.flags.includes(Flag.Deleted) || op.uids.includes(m.uid)) ?? [];
    const uidValidity = entry?.snap.uidValidity;
    const tracked = [...this.tracked.values()]
      .filter((t) => t.ref.mailbox === op.mailbox && (t.flags.includes(Flag.Deleted) || op.uids.includes(t.ref.uid)))
      .map((t) => t.ref);
    this.edit(
      op.mailbox,
      {
        remove: [
          ...deleted,
          ...tracked,
          ...(uidValidity ? op.uids.map((uid) => ({ mailbox: op.mailbox, uidValidity, uid })) : []),
        ],
      },
      'operation',
    );
    void this.refreshCounts([op.mailbox]);
    return { op, done: true, undoable: false };
  }

  private async undo(op: Extract<Operation, { kind: 'undo' }>): Promise<Outcome> {
    const move: MoveResult = op.move;
    const start = this.seq;
    // The keywords a junk move set come off before the messages go back.
    await this.account.undo(
      move,
      op.flags ? { add: [...(op.flags.add ?? [])], remove: [...(op.flags.remove ?? [])] } : undefined,
    );
    if (move.pendingExpunge) {
      // The originals never left: they lose their \Deleted again; the copies went.
      this.flagLocally(
        move.uids.map((uid) => ({ mailbox: move.from, uidValidity: move.uidValidity, uid })),
        { remove: [Flag.Deleted] },
        start,
        'operation',
      );
    }
    const copies =
      move.uidMap && move.destUidValidity
        ? move.uidMap.map(([, uid]) => ({ mailbox: move.to, uidValidity: move.destUidValidity!, uid }))
        : [];
    if (copies.length) this.edit(move.to, { remove: copies }, 'operation');
    else this.followServer(move.to);
    this.fire({ kind: 'moved', from: move.to, to: move.from, refs: copies, messageIds: move.messageIds });
    this.followServer(move.from);
    void this.refreshCounts([move.from, move.to]);
    return { op, done: true, undoable: false };
  }

  private async junk(op: Extract<Operation, { kind: 'junk' }>): Promise<Outcome> {
    const from = sourceFolder(op.refs, op.junk ? 'Mark as Junk' : 'Mark as Not Junk');
    const change = op.junk
      ? { add: [Keyword.Junk], remove: [Keyword.NotJunk] }
      : { add: [Keyword.NotJunk], remove: [Keyword.Junk] };
    const junkFolder = await this.account.specialFolder('junk');
    let to: string | undefined;
    if (op.junk) {
      if (!junkFolder)
        throw new MailError(
          'unsupported',
          `${this.name} has no Junk folder. Create one named "Junk" or mark one as \\Junk on the server.`,
        );
      if (junkFolder.path !== from) to = junkFolder.path;
    } else if (junkFolder?.path === from) {
      to = 'INBOX';
    }
    // Undo takes off what this added and puts back what it took off, as each message had it.
    const had = (k: string) => op.refs.every((r) => this.flags(r)?.includes(k));
    const undoFlags = {
      add: change.remove.filter(had),
      remove: change.add.filter((k) => !had(k)),
    };
    // The keywords first, so that the server's filters learn from the message wherever it goes.
    const start = this.seq;
    await this.account.setFlags([...op.refs], change);
    this.flagLocally(op.refs, change, start, 'operation');
    if (!to) return { op, done: true, undoable: false };
    return this.move(op, to, op.junk ? 'junk' : 'notJunk', undoFlags);
  }

  // ── Folder management ───────────────────────────────────────────────────────────────────────

  /** The server's hierarchy delimiter (the parent's, else INBOX's). */
  private delimiter(parent?: string): string {
    const list = this.folderList ?? [];
    return (
      (parent ? this.folder(parent) : undefined)?.delimiter ||
      this.folder('INBOX')?.delimiter ||
      list[0]?.delimiter ||
      '/'
    );
  }

  private checkName(name: string, delimiter: string): string {
    const n = name.trim();
    if (!n) throw new MailError('config', 'A folder needs a name.');
    if (n.includes(delimiter))
      throw new MailError('config', `A folder name cannot contain "${delimiter}" (the server's folder separator).`);
    if (/[\u0000-\u001f*%]/.test(n))
      throw new MailError('config', 'A folder name cannot contain control characters, * or %.');
    return n;
  }

  /** A folder (and its subfolders) was deleted or renamed: what was loaded of it and its live connection go. */
  private forgetFolder(path: string, delimiter: string): void {
    const under = (p: string) => p === path || p.startsWith(path + delimiter);
    if (this.live.paths.some(under)) this.live.watch(this.live.paths.filter((p) => !under(p)));
    for (const [key, t] of this.tracked) if (under(t.ref.mailbox)) this.tracked.delete(key);
    for (const p of [...this.entries.keys()].filter(under)) {
      this.entries.delete(p);
      this.liveMarks.delete(p);
      this.fire({ kind: 'folder', path: p });
    }
  }

  private async createFolder(op: Extract<Operation, { kind: 'createFolder' }>): Promise<Outcome> {
    await this.loadFolders();
    const delimiter = this.delimiter(op.parent);
    const name = this.checkName(op.name, delimiter);
    if (op.parent && !this.folder(op.parent))
      throw new MailError('mailboxNotFound', `The folder "${op.parent}" does not exist.`, { path: op.parent });
    const path = op.parent ? `${op.parent}${delimiter}${name}` : name;
    const created = await this.account.createMailbox(path);
    // A new folder is subscribed, as every client that shows subscribed folders expects.
    await this.account.subscribe(created, true).catch(() => undefined);
    await this.loadFolders(true);
    return { op, done: true, undoable: false, folder: created };
  }

  private async renameFolder(op: Extract<Operation, { kind: 'renameFolder' }>): Promise<Outcome> {
    await this.loadFolders();
    const folder = this.folder(op.path);
    if (!folder) throw new MailError('mailboxNotFound', `The folder "${op.path}" does not exist.`, { path: op.path });
    const name = this.checkName(op.name, folder.delimiter);
    const newPath = folder.parentPath ? `${folder.parentPath}${folder.delimiter}${name}` : name;
    if (newPath === op.path) return { op, done: true, undoable: false, folder: op.path };
    this.forgetFolder(op.path, folder.delimiter);
    const renamed = await this.account.renameMailbox(op.path, newPath);
    if (folder.subscribed) await this.account.subscribe(renamed, true).catch(() => undefined);
    await this.loadFolders(true);
    return { op, done: true, undoable: false, folder: renamed };
  }

  private async deleteFolder(op: Extract<Operation, { kind: 'deleteFolder' }>): Promise<Outcome> {
    if (op.path.toUpperCase() === 'INBOX') throw new MailError('unsupported', 'INBOX cannot be deleted.');
    await this.loadFolders();
    const folder = this.folder(op.path);
    if (!folder) throw new MailError('mailboxNotFound', `The folder "${op.path}" does not exist.`, { path: op.path });
    const of = folder.specialUse ? 2 : 1;
    const given = op.confirmed ?? 0;
    if (given < of) {
      const messages = folder.selectable ? (await this.account.counts(op.path)).messages : 0;
      const subfolders = (this.folderList ?? []).filter((f) => f.path.startsWith(op.path + folder.delimiter)).length;
      return {
        op,
        done: false,
        undoable: false,
        confirm: {
          kind: 'deleteFolder',
          mailbox: op.path,
          messages,
          subfolders,
          ...(folder.specialUse ? { specialUse: folder.specialUse } : {}),
          step: given + 1,
          of,
          followUp: { ...op, confirmed: given + 1 },
        },
      };
    }
    this.forgetFolder(op.path, folder.delimiter);
    if (folder.subscribed) await this.account.subscribe(op.path, false).catch(() => undefined);
    await this.account.deleteMailbox(op.path);
    await this.loadFolders(true);
    return { op, done: true, undoable: false };
  }

  private async subscribe(op: Extract<Operation, { kind: 'subscribe' }>): Promise<Outcome> {
    await this.account.subscribe(op.path, op.subscribed);
    await this.loadFolders(true);
    return { op, done: true, undoable: false };
  }

  private async markAllRead(op: Extract<Operation, { kind: 'markAllRead' }>): Promise<Outcome> {
    const start = this.seq;
    const { uidValidity, uids } = await this.account.markFolderSeen(op.path);
    this.flagLocally(
      uids.map((uid) => ({ mailbox: op.path, uidValidity, uid })),
      { add: [Flag.Seen] },
      start,
      'operation',
    );
    void this.refreshCounts([op.path]);
    return { op, done: true, undoable: false, count: uids.length };
  }

  private async emptyFolder(op: Extract<Operation, { kind: 'emptyFolder' }>): Promise<Outcome> {
    if (!op.confirmed) {
      const { uidValidity, uids } = await this.account.folderUids(op.path);
      if (!uids.length) return { op, done: true, undoable: false, count: 0 };
      return {
        op,
        done: false,
        undoable: false,
        confirm: {
          kind: 'emptyFolder',
          mailbox: op.path,
          count: uids.length,
          followUp: { ...op, confirmed: { uidValidity, uids } },
        },
      };
    }
    const refs = op.confirmed.uids.map((uid) => ({ mailbox: op.path, uidValidity: op.confirmed!.uidValidity, uid }));
    const start = this.seq;
    const result = await this.account.destroy(refs);
    const confirm = this.afterRemoval(refs, result.permanent?.pendingExpunge, start);
    void this.refreshCounts([op.path]);
    return { op, done: true, undoable: false, count: refs.length, ...(confirm ? { confirm } : {}) };
  }

  // ── Writing mail ────────────────────────────────────────────────────────────────────────────

  /** The account as the writing operations need it: the command connection, SMTP credentials. */
  private composeAccount(): ComposeAccount {
    return {
      account: this.config,
      imap: this.account.ops,
      smtpCredentials: smtpCredentialsFrom(this.config, this.options.password, this.options.tokens),
      logger: this.options.logger,
      ...(this.options.traceProtocol ? { traceProtocol: true } : {}),
    };
  }

  /** A draft on the server (ours or another client's) as composer text and context. */
  async openDraft(ref: MessageRef): Promise<OpenedDraft> {
    try {
      return await openDraft(this.account.ops, ref, identityOf(this.config).from);
    } catch (err) {
      this.opFailed(err);
    }
  }

  /** One header of a message, unfolded (List-Post for Reply to List); undefined when absent. */
  async header(ref: MessageRef, name: string): Promise<string | undefined> {
    const wanted = name.toLowerCase();
    try {
      return await this.account.ops.withMailbox(
        ref.mailbox,
        { readOnly: true, idempotent: true },
        async (client, mailbox) => {
          assertUidValidity(mailbox, ref);
          const msg = await client.fetchOne(String(ref.uid), { uid: true, headers: [wanted] }, { uid: true });
          const text = msg && msg.headers ? msg.headers.toString('utf8') : '';
          const m = new RegExp(`^${wanted.replace(/[-]/g, '\\-')}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(text);
          return m ? m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() : undefined;
        },
      );
    } catch (err) {
      this.opFailed(err);
    }
  }

  private async send(op: Extract<Operation, { kind: 'send' }>): Promise<Outcome> {
    const start = this.seq;
    let sent: SendOutcome;
    try {
      sent = await sendMessage(this.composeAccount(), op.request);
    } catch (err) {
      this.smtpFailed(err);
      throw err;
    }
    await this.sentCopyStored(sent.sentCopy);
    const original = op.request.context.original;
    if (original && sent.original?.status === 'flagged') {
      this.flagLocally([original], { add: [sent.original.flag] }, start, 'operation');
    }
    if (op.request.context.draft && sent.draft) this.draftRemoved(op.request.context.draft, sent.draft, start);
    return { op, done: true, undoable: false, sent };
  }

  /**
   * The submission server refused the SMTP password (535): only the entry it was checked against
   * is forgotten — the IMAP password only when SMTP logs in with the same entry (same user).
   */
  private smtpFailed(err: unknown): void {
    if (!isMailError(err, 'auth') || !err.details.smtp || err.details.oauth || err.details.missing) return;
    if (this.config.auth === 'oauth2' || this.config.oauth2TokenCommand) return;
    const forget = this.options.forgetPassword;
    if (!forget) return;
    const user = smtpUserOf(this.config);
    const entry =
      user === this.config.user ? this.config : { ...this.config, name: `${this.config.name} (SMTP)`, user };
    Promise.resolve()
      .then(() => forget(entry))
      .catch((e: Error) => this.options.logger.warn(`[${this.name}] could not forget the SMTP password: ${e.message}`));
  }

  private async saveDraft(op: Extract<Operation, { kind: 'saveDraft' }>): Promise<Outcome> {
    const start = this.seq;
    const previous = op.request.context.draft;
    const draft = await saveDraft(this.composeAccount(), op.request);
    await this.noteStored(draft.saved.draft);
    if (previous && refKey(previous) !== refKey(draft.saved.draft)) {
      this.draftRemoved(
        previous,
        draft.saved.previousPending
          ? { status: 'pending', pending: draft.saved.previousPending }
          : { status: 'removed' },
        start,
      );
    }
    return { op, done: true, undoable: false, draft };
  }

  /** The local side of a draft removed on the server (or marked \Deleted, when it could not be expunged alone). */
  private draftRemoved(ref: MessageRef, removal: DraftRemoval, start: number): void {
    if (removal.status === 'removed') this.edit(ref.mailbox, { remove: [ref] }, 'operation');
    else if (removal.status === 'pending') this.flagLocally([ref], { add: [Flag.Deleted] }, start, 'operation');
    void this.refreshCounts([ref.mailbox]);
  }

  private async sentCopyStored(copy: SentCopy): Promise<void> {
    if (copy.status === 'saved') await this.noteStored(copy.ref);
  }

  /** A message this store put on the server: a loaded folder that is not live shows it now. */
  private async noteStored(stored: MessageRef): Promise<void> {
    const path = stored.mailbox;
    const entry = this.entries.get(path);
    if (entry && !this.isLive(path) && entry.snap.uidValidity === stored.uidValidity) {
      try {
        const summaries = await this.account.summaries(path, [stored.uid]);
        this.edit(path, { add: summaries }, 'operation');
      } catch (err) {
        // It is on the server; the folder's next refresh shows it.
        this.options.logger.warn(
          `[${this.name}] ${path}: could not list the stored message: ${(err as Error).message}`,
        );
      }
    }
    void this.refreshCounts([path]);
  }

  private async append(op: Extract<Operation, { kind: 'append' }>): Promise<Outcome> {
    let path: string;
    if (typeof op.mailbox === 'string') {
      path = op.mailbox;
    } else {
      const role = op.mailbox.role;
      const found = await this.account.specialFolder(role);
      if (!found)
        throw new MailError(
          'mailboxNotFound',
          `${this.config.host} has no ${role === 'sent' ? 'Sent' : 'Drafts'} folder (none is marked \\${role === 'sent' ? 'Sent' : 'Drafts'} or named so).`,
        );
      path = found.path;
    }
    const stored = await this.account.append(path, Buffer.from(op.raw), [...op.flags], op.messageId);
    await this.noteStored(stored);
    return { op, done: true, undoable: false, stored };
  }

  /**
   * After an operation added mail to `path`: a live folder hears of it by itself (asking too
   * would fetch it twice); another loaded folder is reconciled.
   */
  private followServer(path: string): void {
    if (this.entries.has(path) && !this.isLive(path)) void this.refresh(path);
  }

  // ── Live updates ────────────────────────────────────────────────────────────────────────────

  private isLive(path: string): boolean {
    return this.live.state(path)?.status === 'live';
  }

  /** Whether changes of `path` arrive live right now (undefined: not watched). */
  liveState(path: string): WatchState | undefined {
    return this.live.state(path);
  }

  /** The UIDNEXT up to which a loaded folder's new mail is known (a new watcher delivers from there). */
  private loadedUpTo(path: string): { uidValidity: string; uidNext: number } | undefined {
    const snap = this.entries.get(path)?.snap;
    if (!snap?.sync || snap.uidValidity === undefined) return undefined;
    return { uidValidity: snap.uidValidity, uidNext: Math.max(snap.sync.uidNext, (snap.messages[0]?.uid ?? 0) + 1) };
  }

  /** Records that the flags of these messages changed now (what `reportedSince` compares with). */
  private markChanged(refs: readonly MessageRef[]): void {
    for (const r of refs) {
      let marks = this.liveMarks.get(r.mailbox);
      if (!marks) this.liveMarks.set(r.mailbox, (marks = new Map()));
      marks.set(r.uid, ++this.seq);
    }
  }

  /** Whether the flags of `uid` changed after `start` (reported by the live connection, or set here). */
  private reportedSince(path: string, uid: number, start: number): boolean {
    return (this.liveMarks.get(path)?.get(uid) ?? 0) > start;
  }

  /**
   * Live updates: INBOX always, plus the folder most recently opened. INBOX's first page is loaded
   * now too, as desktop clients do: it is the folder people open first. Called after every
   * listing that worked, so live updates that stopped start again once the account recovered.
   */
  private startLive(): void {
    if (this.disposed) return;
    if (!this.liveStarted) {
      this.liveStarted = true;
      const inbox = this.folder('INBOX') ? this.open('INBOX') : Promise.resolve();
      void inbox.catch(() => undefined).then(() => this.prefetchFirstPages());
      this.live.pollCounts(() => this.settings.pollIntervalMs);
    }
    this.live.watch(['INBOX', ...this.live.paths.filter((p) => p !== 'INBOX')]);
    this.live.restartFailed();
  }

  /**
   * The first page of every folder the cache has none of, one folder at a time, into the cache
   * only (memory stays as it was, no folder becomes live): a folder clicked for the first time then
   * paints at once and is reconciled after, as after a restart, instead of waiting for SELECT and
   * FETCH. One folder at a time on the command connection, so a person's own command waits for at
   * most one of them. Once per store, after its first listing; with a cache, a later VS Code start
   * finds little or nothing to do.
   */
  private async prefetchFirstPages(): Promise<void> {
    const cache = this.cache;
    if (!cache || !this.writeBack) return;
    // The folders the tree shows, as they are listed there; not the virtual "All Mail" and
    // "Flagged" of Gmail or Dovecot, whose SELECT can take seconds (a click would wait behind it).
    const folders = visibleFolders(this.folderList ?? [], false).filter(
      (f) => f.selectable && f.specialUse !== 'all' && f.specialUse !== 'flagged',
    );
    for (const { path } of folders.slice(0, PREFETCH_FOLDERS)) {
      if (this.disposed) return;
      if (this.entries.has(path) || this.firstLoads.has(path) || (await cache.hasMailbox(path))) continue;
      try {
        const page = await this.account.listMessages(path, { pageSize: this.settings.pageSize });
        // Opened meanwhile: that load wrote its own page, newer than this one.
        if (!this.entries.has(path)) await this.writeBack.mailbox(toCachedMailbox(page));
      } catch (err) {
        // Nobody asked for it: the folder is loaded (and any error reported) when it is opened.
        this.options.logger.debug(`[${this.name}] first page of ${path} ahead of time: ${(err as Error).message}`);
        if (this.account.state.status !== 'connected') return;
      }
    }
  }

  /** `path` becomes the live folder next to INBOX. */
  private watch(path: string): void {
    if (!this.disposed && path !== 'INBOX') this.live.watch(['INBOX', path]);
  }

  private onAdded(path: string, added: MessageSummary[]): void {
    const entry = this.entries.get(path);
    const uidValidity = added[0]?.uidValidity;
    if (entry && (entry.snap.uidValidity === undefined || entry.snap.uidValidity === uidValidity))
      this.edit(path, { add: added }, 'server');
    void this.refreshCounts([path]);
    const unseen = added.filter((m) => !m.flags.includes(Flag.Seen)).map(freezeSummary);
    if (unseen.length) this.fire({ kind: 'newMail', path, messages: Object.freeze(unseen) });
  }

  private onLiveFlags(path: string, ref: MessageRef, flags: string[]): void {
    let marks = this.liveMarks.get(path);
    if (!marks) this.liveMarks.set(path, (marks = new Map()));
    marks.set(ref.uid, ++this.seq);
    const seenBefore = this.flags(ref)?.includes(Flag.Seen);
    this.edit(path, { flags: [{ ref, flags }] }, 'server');
    if (seenBefore !== flags.includes(Flag.Seen)) void this.refreshCounts([path]);
  }

  private onLiveExpunge(path: string, refs: MessageRef[]): void {
    for (const r of refs) this.liveMarks.get(path)?.delete(r.uid);
    this.edit(path, { remove: refs }, 'server');
    void this.refreshCounts([path]);
  }

  private onResyncRequest(path: string, reason: ResyncReason): void {
    if (this.entries.has(path)) {
      // After a reconnect (or an expunge without UID) the watcher itself delivers what arrived:
      // the resync only looks at what was loaded. A rebuilt folder or missed arrivals start over.
      if (reason === 'missedArrivals') void this.reload(path);
      else void this.refresh(path, { arrivals: reason === 'uidValidityChanged' });
    }
    void this.refreshCounts([path]);
  }

  private onLiveState(path: string, state: WatchState): void {
    // Flags and expunges between the folder's listing and this connection's SELECT reached
    // nobody: a look at what is loaded (the watcher delivers the arrivals itself).
    if (state.status === 'live' && this.entries.has(path)) void this.refresh(path, { arrivals: false });
    if (state.status === 'failed') {
      this.options.logger.warn(`[${this.name}] live updates of ${path} stopped: ${state.error.message}`);
      // A live connection that logs in again is told the truth about the password first.
      if (state.error.kind === 'auth') this.fail(state.error);
    }
    this.fire({ kind: 'live', path, state });
  }

  // ── Cache and lifetime ──────────────────────────────────────────────────────────────────────

  /** Writes what is waiting to be written (tests; before the store goes). */
  flushCache(): Promise<void> {
    return this.writeBack?.flush() ?? Promise.resolve();
  }

  /** "Clear Cache": forgets cached folders, messages and bodies (what is loaded stays). */
  clearCache(): Promise<void> {
    return this.cache?.clear() ?? Promise.resolve();
  }

  /** For a removed account: its cache goes, and nothing is written any more. */
  async destroyCache(): Promise<void> {
    this.writeBack?.dispose();
    await this.cache?.destroy();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.undoLog.forget(this);
    this.writeBack?.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.live.dispose();
    void this.account.dispose();
    this.emitter.dispose();
  }
}

function groupBy(refs: readonly MessageRef[]): Map<string, MessageRef[]> {
  const map = new Map<string, MessageRef[]>();
  for (const r of refs) (map.get(r.mailbox) ?? map.set(r.mailbox, []).get(r.mailbox)!).push(r);
  return map;
}

/** The flag change that takes `change` back on a message that had `current` before it. */
function inverseOf(
  current: readonly string[] | undefined,
  change: { add: readonly string[]; remove: readonly string[] },
): { add: string[]; remove: string[] } {
  const had = new Set(current ?? []);
  return { add: change.remove.filter((f) => had.has(f)), remove: change.add.filter((f) => !had.has(f)) };
}
