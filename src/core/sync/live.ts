// Who owns the live connections of an account. Each watched folder has exactly one watcher (one
// IDLE connection), whatever order and however often callers ask: the bookkeeping is synchronous,
// so two listings in a row cannot both start one. A watcher that stopped is started again when the
// account shows it recovered (its command connection logs in again, or the caller says so after a
// listing worked), and its state is always there to show.
import type { MailAccount } from '../session/mail-account';
import { Emitter, type Disposable, type Event } from '../events';
import type { Logger } from '../log';
import type { MessageSummary } from '../mailbox/messages';
import type { ExpungeUpdate, FlagUpdate, MailboxWatcher, ResyncReason, WatchState } from './watcher';

interface Entry {
  watcher: MailboxWatcher;
  subscriptions: Disposable[];
}

export class LiveUpdates implements Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly added = new Emitter<{ path: string; messages: MessageSummary[] }>();
  private readonly flagsChanged = new Emitter<{ path: string } & FlagUpdate>();
  private readonly expunged = new Emitter<{ path: string } & ExpungeUpdate>();
  private readonly resync = new Emitter<{ path: string; reason: ResyncReason }>();
  private readonly stateChanged = new Emitter<{ path: string; state: WatchState }>();
  private readonly subscriptions: Disposable[] = [];
  private poller: Disposable | undefined;
  private disposed = false;

  readonly onDidAddMessages: Event<{ path: string; messages: MessageSummary[] }> = this.added.event;
  readonly onDidChangeFlags: Event<{ path: string } & FlagUpdate> = this.flagsChanged.event;
  readonly onDidExpunge: Event<{ path: string } & ExpungeUpdate> = this.expunged.event;
  readonly onDidRequestResync: Event<{ path: string; reason: ResyncReason }> = this.resync.event;
  /** A folder's live state changed (`stopped` when it is no longer watched). */
  readonly onDidChangeState: Event<{ path: string; state: WatchState }> = this.stateChanged.event;

  /** `since(path)`: where the caller's copy of a folder ends (see MailboxWatcher). */
  constructor(
    private readonly account: MailAccount,
    private readonly logger: Logger,
    private readonly since?: (path: string) => { uidValidity: string; uidNext: number } | undefined,
  ) {
    // The command connection logging in again is the account recovering: what stopped may work now.
    this.subscriptions.push(
      account.onDidChangeState((s) => {
        if (s.status === 'connected') this.restartFailed();
      }),
    );
  }

  /** Watches exactly `paths`: starts the missing ones, stops the others. Any number of calls, any interleaving. */
  watch(paths: readonly string[]): void {
    if (this.disposed) return;
    const wanted = new Set(paths);
    for (const [path, entry] of [...this.entries]) {
      if (wanted.has(path)) continue;
      this.entries.delete(path);
      for (const s of entry.subscriptions) s.dispose();
      entry.watcher.dispose();
      this.stateChanged.fire({ path, state: { status: 'stopped' } });
    }
    for (const path of wanted) if (!this.entries.has(path)) this.add(path);
  }

  private add(path: string): void {
    const since = this.since;
    const watcher = this.account.watcher(path, since ? () => since(path) : undefined);
    const subscriptions = [
      watcher.onDidAddMessages((messages) => this.added.fire({ path, messages })),
      watcher.onDidChangeFlags((e) => this.flagsChanged.fire({ path, ...e })),
      watcher.onDidExpunge((e) => this.expunged.fire({ path, ...e })),
      watcher.onDidRequestResync((e) => this.resync.fire({ path, ...e })),
      watcher.onDidChangeState((state) => this.stateChanged.fire({ path, state })),
    ];
    this.entries.set(path, { watcher, subscriptions });
    this.start(path, watcher);
  }

  private start(path: string, watcher: MailboxWatcher): void {
    // The outcome is the watcher's state; a transient failure is retried by its connection.
    watcher
      .start()
      .catch((err: Error) =>
        this.logger.debug(`[${this.account.config.name}] live updates of ${path}: ${err.message}`),
      );
  }

  /** The folders watched now. */
  get paths(): string[] {
    return [...this.entries.keys()];
  }

  state(path: string): WatchState | undefined {
    return this.entries.get(path)?.watcher.state;
  }

  /** Starts again every watcher that stopped (after what stopped it may have been fixed). */
  restartFailed(): void {
    for (const [path, { watcher }] of this.entries) if (watcher.state.status === 'failed') this.start(path, watcher);
  }

  /** Refreshes the counts of every folder every `intervalMs` (a getter: read before each round); asking again changes nothing. */
  pollCounts(intervalMs: number | (() => number)): void {
    if (this.disposed || this.poller) return;
    this.poller = this.account.pollCounts(intervalMs);
  }

  dispose(): void {
    if (this.disposed) return;
    this.watch([]);
    this.disposed = true;
    this.poller?.dispose();
    for (const s of this.subscriptions) s.dispose();
    for (const e of [this.added, this.flagsChanged, this.expunged, this.resync, this.stateChanged]) e.dispose();
  }
}
