// Live updates for the open mailbox. A dedicated connection keeps the folder selected and sits in
// IDLE, so changes made by other clients (new mail, flags, expunges) arrive as events. It
// reconnects by itself; after a reconnect (or a UIDVALIDITY change) it tells listeners to resync,
// because what happened while it was away is not in the IDLE stream.
import type { ExistsEvent, ExpungeEvent, FlagsEvent, ImapFlow } from 'imapflow';
import type { ConnectionState, ImapConnection } from './connection';
import { Emitter, type Disposable, type Event } from './events';
import type { Logger } from './log';
import { fetchSummaries, type MessageSummary, uidValidityOf, withoutRecent } from './messages';

export type ResyncReason = 'reconnected' | 'uidValidityChanged' | 'unknownExpunge';

export class MailboxWatcher implements Disposable {
  private readonly added = new Emitter<MessageSummary[]>();
  private readonly flagsChanged = new Emitter<{ uid: number; flags: string[] }>();
  private readonly expunged = new Emitter<{ uids: number[] }>();
  private readonly resync = new Emitter<{ reason: ResyncReason }>();
  private readonly subscriptions: Disposable[] = [];
  private uidNext = 0;
  private uidValidity: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private opened = false;

  readonly onDidAddMessages: Event<MessageSummary[]> = this.added.event;
  readonly onDidChangeFlags: Event<{ uid: number; flags: string[] }> = this.flagsChanged.event;
  readonly onDidExpunge: Event<{ uids: number[] }> = this.expunged.event;
  readonly onDidRequestResync: Event<{ reason: ResyncReason }> = this.resync.event;
  /** State of the watching connection (reconnecting, failed…). */
  readonly onDidChangeState: Event<ConnectionState>;

  constructor(private readonly conn: ImapConnection, readonly path: string, private readonly logger: Logger) {
    this.onDidChangeState = conn.onDidChangeState;
    this.subscriptions.push(conn.onDidConnect((client) => this.attach(client)));
  }

  get state(): ConnectionState { return this.conn.state; }

  /** Connects (if needed) and starts watching; resolves once the mailbox is open. */
  async start(): Promise<void> {
    const client = await this.conn.connect();
    if (!this.opened) await this.open(client);
  }

  private attach(client: ImapFlow): void {
    client.on('exists', (e: ExistsEvent) => { if (e.path === this.path) this.enqueue(() => this.fetchNew(client)); });
    client.on('expunge', (e: ExpungeEvent) => { if (e.path === this.path) this.onExpunge(e); });
    client.on('flags', (e: FlagsEvent) => { if (e.path === this.path) this.enqueue(() => this.onFlags(client, e)); });
    if (this.uidValidity !== undefined) {
      // A reconnect: reopen the folder and let listeners catch up on what was missed.
      this.enqueue(async () => {
        await this.open(client);
      });
    }
  }

  private async open(client: ImapFlow): Promise<void> {
    const mailbox = await client.mailboxOpen(this.path, { readOnly: true });
    const uv = uidValidityOf(mailbox);
    const before = this.uidValidity;
    this.uidValidity = uv;
    this.uidNext = mailbox.uidNext;
    this.opened = true;
    if (before !== undefined) this.resync.fire({ reason: before === uv ? 'reconnected' : 'uidValidityChanged' });
  }

  private enqueue(task: () => Promise<void>): void {
    // Serialised, and never inside imapflow's event dispatch: commands issued from an
    // untagged-response handler would deadlock a FETCH in progress.
    this.queue = this.queue.then(() => new Promise<void>((r) => setImmediate(r))).then(task).catch((err: Error) => {
      this.logger.warn(`[watch ${this.path}] ${err.message}`);
    });
  }

  private async fetchNew(client: ImapFlow): Promise<void> {
    if (!client.mailbox || client.mailbox.path !== this.path) return;
    const uids: number[] = [];
    for await (const m of client.fetch(`${Math.max(1, this.uidNext)}:*`, { uid: true }, { uid: true })) {
      if (m.uid >= this.uidNext) uids.push(m.uid);
    }
    if (!uids.length) return;
    this.uidNext = Math.max(...uids) + 1;
    const summaries = await fetchSummaries(client, client.mailbox, uids, this.conn.structures);
    if (summaries.length) this.added.fire(summaries);
  }

  private onExpunge(e: ExpungeEvent): void {
    if (e.uid !== undefined) this.expunged.fire({ uids: [e.uid] });
    // Without QRESYNC only a sequence number arrives; the listener's map of it may be stale.
    else this.resync.fire({ reason: 'unknownExpunge' });
  }

  private async onFlags(client: ImapFlow, e: FlagsEvent): Promise<void> {
    let uid = e.uid;
    if (uid === undefined && client.mailbox && client.mailbox.path === this.path) {
      const m = await client.fetchOne(String(e.seq), { uid: true });
      uid = m ? m.uid : undefined;
    }
    if (uid !== undefined) this.flagsChanged.fire({ uid, flags: withoutRecent(e.flags) });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.added.dispose();
    this.flagsChanged.dispose();
    this.expunged.dispose();
    this.resync.dispose();
  }
}
