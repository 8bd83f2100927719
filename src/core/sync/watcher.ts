// Live updates for the open mailbox. A dedicated connection keeps the folder selected and sits in
// IDLE, so changes made by other clients (new mail, flags, expunges) arrive as events. It
// reconnects by itself and reopens the folder on every new connection; after a reconnect (or a
// UIDVALIDITY change) it tells listeners to resync, because what happened while it was away is not
// in the IDLE stream, and it delivers the mail that arrived meanwhile.
import type { ExistsEvent, ExpungeEvent, FlagsEvent, ImapFlow } from 'imapflow';
import { classifyError } from '../session/classify';
import type { ConnectionState, ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { Emitter, type Disposable, type Event } from '../events';
import type { Logger } from '../log';
import { fetchSummaries, type MessageSummary, uidValidityOf, withoutRecent } from '../mailbox/messages';

/**
 * Why listeners should look at the folder again: the connection was away (`reconnected`; the mail
 * that arrived meanwhile is delivered as new all the same), the folder was rebuilt, an expunge
 * came without a UID, or more mail arrived while away than is delivered (`missedArrivals`: the
 * newest MAX_CAUGHT_UP were, the rest are between those and what the listener knew).
 */
export type ResyncReason = 'reconnected' | 'uidValidityChanged' | 'unknownExpunge' | 'missedArrivals';

export type WatchState =
  | { status: 'starting' }
  /** The folder is selected and the server pushes its changes (IDLE, or NOOP polling without IDLE). */
  | { status: 'live' }
  /** The connection was lost; the next attempt is in `delayMs`. Changes will be caught up. */
  | { status: 'reconnecting'; attempt: number; delayMs: number; error: MailError }
  /** Stopped for a reason that retrying alone does not fix (credentials, certificate, folder gone): start() again. */
  | { status: 'failed'; error: MailError }
  | { status: 'stopped' };

/** The flags of one message now (all of them, not a difference), with the UIDVALIDITY its UID belongs to. */
export interface FlagUpdate {
  uidValidity: string;
  uid: number;
  flags: string[];
}

export interface ExpungeUpdate {
  uidValidity: string;
  uids: number[];
}

// Mail that arrived while the connection was away is delivered as new, up to this many (the newest);
// the resync listeners are asked for covers the rest.
const MAX_CAUGHT_UP = 100;

export class MailboxWatcher implements Disposable {
  private readonly added = new Emitter<MessageSummary[]>();
  private readonly flagsChanged = new Emitter<FlagUpdate>();
  private readonly expunged = new Emitter<ExpungeUpdate>();
  private readonly resync = new Emitter<{ reason: ResyncReason }>();
  private readonly stateEmitter = new Emitter<WatchState>();
  private readonly subscriptions: Disposable[] = [];
  private uidNext = 0;
  private uidValidity: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** The connection the folder is open on, and the opening under way on the newest one. */
  private openedOn: ImapFlow | undefined;
  private opening: { client: ImapFlow; done: Promise<void> } | undefined;
  private _state: WatchState = { status: 'starting' };
  private disposed = false;
  /** SELECTs the server refused in a row, and the next try after the last of them. */
  private refusals = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  readonly onDidAddMessages: Event<MessageSummary[]> = this.added.event;
  readonly onDidChangeFlags: Event<FlagUpdate> = this.flagsChanged.event;
  readonly onDidExpunge: Event<ExpungeUpdate> = this.expunged.event;
  readonly onDidRequestResync: Event<{ reason: ResyncReason }> = this.resync.event;
  /** Whether changes are arriving right now, and if not why. */
  readonly onDidChangeState: Event<WatchState> = this.stateEmitter.event;

  /**
   * `since`: the UIDNEXT up to which the listener already has the folder's mail (e.g. from the
   * page it listed just before). The first opening delivers what arrived from there, so mail that
   * came between that listing and this connection's SELECT is not lost.
   */
  constructor(
    private readonly conn: ImapConnection,
    readonly path: string,
    private readonly logger: Logger,
    private readonly since?: () => { uidValidity: string; uidNext: number } | undefined,
  ) {
    this.subscriptions.push(
      conn.onDidConnect((client) => this.attach(client)),
      conn.onDidChangeState((s) => this.onConnectionState(s)),
    );
  }

  get state(): WatchState {
    return this._state;
  }

  /**
   * Connects (if needed) and opens the folder; resolves once changes arrive, rejects with why not.
   * Either way the state says it. After a failure, calling it again tries again.
   */
  async start(): Promise<void> {
    if (this.disposed) throw new MailError('connectionLost', `Live updates of "${this.path}" were stopped.`);
    if (this._state.status === 'failed') this.setState({ status: 'starting' });
    const client = await this.conn.connect();
    if (this.openedOn === client) return;
    if (this.opening?.client !== client) this.opening = { client, done: this.open(client) };
    await this.opening.done;
  }

  private attach(client: ImapFlow): void {
    client.on('exists', (e: ExistsEvent) => {
      if (e.path === this.path) this.enqueue(() => this.fetchNew(client));
    });
    client.on('expunge', (e: ExpungeEvent) => {
      if (e.path === this.path) this.onExpunge(e);
    });
    client.on('flags', (e: FlagsEvent) => {
      if (e.path === this.path) this.enqueue(() => this.onFlags(client, e));
    });
    // Every connection, the first and each reconnect, opens the folder.
    const done = this.open(client);
    done.catch(() => undefined); // reported through the state
    this.opening = { client, done };
  }

  private onConnectionState(s: ConnectionState): void {
    if (this.disposed) return;
    if (s.status === 'reconnecting')
      this.setState({ status: 'reconnecting', attempt: s.attempt, delayMs: s.delayMs, error: s.error });
    else if (s.status === 'failed') this.setState({ status: 'failed', error: s.error });
    else if (s.status === 'connecting' || s.status === 'disconnected') this.setState({ status: 'starting' });
    // 'connected' becomes 'live' once the folder is open.
  }

  private open(client: ImapFlow): Promise<void> {
    return this.serialised(async () => {
      if (this.disposed || this.conn.client !== client) return; // a newer connection took over
      let mailbox;
      try {
        mailbox = await client.mailboxOpen(this.path, { readOnly: true });
      } catch (err) {
        const error = await classifyError(err, this.conn.account, { probe: false });
        if (this.opening?.client === client) this.opening = undefined; // the next start() tries again
        // A connection that failed under the SELECT reconnects by itself; a refusal is tried again.
        if (client.usable && this.conn.client === client) {
          this.setState({ status: 'failed', error });
          this.retryLater(error);
        }
        throw error;
      }
      const uv = uidValidityOf(mailbox);
      const before = this.uidValidity;
      this.uidValidity = uv;
      this.openedOn = client;
      this.refusals = 0;
      if (before === undefined || before !== uv) this.uidNext = mailbox.uidNext;
      const since = before === undefined ? this.since?.() : undefined;
      if (since && since.uidValidity === uv && since.uidNext > 0 && since.uidNext < this.uidNext)
        this.uidNext = since.uidNext;
      this.setState({ status: 'live' });
      if (before === undefined) {
        if (this.uidNext < mailbox.uidNext) await this.fetchNew(client, MAX_CAUGHT_UP);
        return;
      }
      this.resync.fire({ reason: before === uv ? 'reconnected' : 'uidValidityChanged' });
      if (before === uv) await this.fetchNew(client, MAX_CAUGHT_UP);
    });
  }

  /**
   * The server refused to open the folder (busy, locked by another session, a passing NO): try
   * again later, ever more slowly, as the connection does after a drop, until it works or
   * someone calls start(). A folder that is not there any more is left to the folder list.
   */
  private retryLater(error: MailError): void {
    if (this.disposed || this.retryTimer || error.kind === 'mailboxNotFound') return;
    const delayMs = this.conn.retryDelay(this.refusals++);
    this.logger.info(`[watch ${this.path}] trying again in ${Math.round(delayMs / 1000)} s`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start().catch(() => undefined); // the state says how it went
    }, delayMs);
    this.retryTimer.unref?.();
  }

  /** Runs `task` after the ones before it; its own outcome goes to the caller. */
  private serialised<T>(task: () => Promise<T>): Promise<T> {
    // Serialised, and never inside imapflow's event dispatch: commands issued from an
    // untagged-response handler would deadlock a FETCH in progress.
    const result = this.queue.then(() => new Promise<void>((r) => setImmediate(r))).then(task);
    this.queue = result.then(
      () => undefined,
      (err: Error) => {
        this.logger.warn(`[watch ${this.path}] ${err.message}`);
      },
    );
    return result;
  }

  private enqueue(task: () => Promise<void>): void {
    this.serialised(task).catch(() => undefined); // logged by serialised()
  }

  private async fetchNew(client: ImapFlow, limit = Infinity): Promise<void> {
    if (this.openedOn !== client || !client.mailbox || client.mailbox.path !== this.path) return;
    const uids: number[] = [];
    // Changes other sessions made meanwhile may be reported inside these FETCHes' answers
    // (imapflow gives them to the FETCH, not to its 'flags' event): they are flag reports too.
    const stray = ({ uid, flags }: { uid: number; flags: string[] }) => this.reportFlags(uid, flags);
    for await (const m of client.fetch(`${Math.max(1, this.uidNext)}:*`, { uid: true }, { uid: true })) {
      if (m.uid >= this.uidNext) uids.push(m.uid);
      else if (m.flags) stray({ uid: m.uid, flags: withoutRecent(m.flags) });
    }
    if (!uids.length) return;
    uids.sort((a, b) => a - b);
    this.uidNext = uids[uids.length - 1]! + 1;
    const summaries = await fetchSummaries(client, client.mailbox, uids.slice(-limit), this.conn.structures, stray);
    if (summaries.length) this.added.fire(summaries);
    if (uids.length > limit) this.resync.fire({ reason: 'missedArrivals' });
  }

  private onExpunge(e: ExpungeEvent): void {
    if (e.uid !== undefined && this.uidValidity !== undefined)
      this.expunged.fire({ uidValidity: this.uidValidity, uids: [e.uid] });
    // Without QRESYNC only a sequence number arrives; the listener's map of it may be stale.
    else this.resync.fire({ reason: 'unknownExpunge' });
  }

  private async onFlags(client: ImapFlow, e: FlagsEvent): Promise<void> {
    let uid = e.uid;
    if (uid === undefined && client.mailbox && client.mailbox.path === this.path) {
      // The answer may carry reports about other messages too: only the one asked for names this UID.
      for await (const m of client.fetch(String(e.seq), { uid: true })) {
        if (m.seq === e.seq) uid = m.uid;
        else if (m.flags) this.reportFlags(m.uid, withoutRecent(m.flags));
      }
    }
    if (uid !== undefined) this.reportFlags(uid, withoutRecent(e.flags));
  }

  private reportFlags(uid: number, flags: string[]): void {
    if (this.uidValidity !== undefined) this.flagsChanged.fire({ uidValidity: this.uidValidity, uid, flags });
  }

  private setState(state: WatchState): void {
    if (this.disposed && state.status !== 'stopped') return;
    const before = this._state;
    this._state = state;
    if (before.status !== state.status || state.status === 'reconnecting' || state.status === 'failed')
      this.stateEmitter.fire(state);
  }

  dispose(): void {
    if (this.disposed) return;
    clearTimeout(this.retryTimer);
    this.setState({ status: 'stopped' });
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    this.added.dispose();
    this.flagsChanged.dispose();
    this.expunged.dispose();
    this.resync.dispose();
    this.stateEmitter.dispose();
  }
}
