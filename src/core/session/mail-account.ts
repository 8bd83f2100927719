// The core's front door: one mail account, its connections and what can be done with it. The
// extension layer talks only to this. Operations share one command connection; each watched
// folder gets its own connection sitting in IDLE.
import type { AccountConfig, PasswordProvider } from './account';
import type { AccessTokenSource } from '../auth/token-source';
import {
  changeFlags,
  type DeleteResult,
  destroyMessages,
  expungeAll,
  type FlagChange,
  folderUids,
  markFolderSeen,
  type MoveResult,
  moveMessages,
  permanentFlags,
  undoMove,
} from '../actions/actions';
import type { BackoffOptions } from './backoff';
import { type ConnectionState, type Deadlines, ImapConnection } from './connection';
import { MailError } from '../errors';
import { Emitter, type Disposable, type Event } from '../events';
import { type Logger, SecretRedactor } from '../log';
import {
  createMailbox,
  deleteMailbox,
  findSpecialUse,
  listMailboxes,
  type MailboxCounts,
  type MailboxInfo,
  mailboxCounts,
  renameMailbox,
  setSubscribed,
  SPECIAL_USE_ATTRIBUTES,
  type SpecialUse,
} from '../mailbox/mailboxes';
import { type MessageLink, type Resolution, resolveMessageLink } from '../links/links';
import { fetchSummaries, listPage, type MessagePage, type MessageRef, type MessageSummary } from '../mailbox/messages';
import { appendMessage } from '../compose/mailstore';
import {
  type MessageContent,
  type ReadOptions,
  readMessage,
  saveAttachment,
  type AttachmentInfo,
} from '../reading/reader';
import type { CachedMailbox } from '../sync/cache';
import { resyncMailbox, type ResyncOptions, type ResyncResult } from '../sync/resync';
import {
  type MultiSearchResult,
  type SearchQuery,
  type SearchResult,
  searchFolders,
  searchMailbox,
} from '../mailbox/search';
import { StructureMemo } from '../reading/structure-memo';
import { type MessageSource, readHeaderBlock, readSource } from '../reading/source';
import { readPartAs } from '../reading/redecode';
import { threadParents } from '../mailbox/thread-query';
import { MailboxWatcher } from '../sync/watcher';

export interface MailAccountOptions {
  account: AccountConfig;
  passwords: PasswordProvider;
  logger: Logger;
  traceProtocol?: boolean;
  backoff?: BackoffOptions;
  /** For tests: how fast a connection with nothing to do enters IDLE. */
  autoIdleDelayMs?: number;
  /** For tests: the dead-connection deadlines (see ImapConnection). */
  deadlines?: Partial<Deadlines>;
  /** `auth: "oauth2"` accounts: the token source every connection of the account logs in with. */
  tokens?: AccessTokenSource;
  /** Share the token source's redactor, so the connections' logs mask what it knows too. */
  redactor?: SecretRedactor;
}

// A watcher's connection has nothing else to do: straight back to IDLE after each command, or the
// server keeps new mail to itself until then (imapflow waits 15 s by default).
const WATCH_IDLE_DELAY_MS = 200;

export class MailAccount implements Disposable {
  readonly ops: ImapConnection;
  private readonly redactor: SecretRedactor;
  private readonly structures = new StructureMemo();
  private readonly watchers = new Set<{ watcher: MailboxWatcher; conn: ImapConnection }>();
  private readonly knownUidValidity = new Map<string, string>();
  private readonly invalidated = new Emitter<{ path: string; uidValidity: string }>();
  private readonly countsChanged = new Emitter<Map<string, MailboxCounts>>();
  private lastCounts = new Map<string, string>();
  private mailboxCache: MailboxInfo[] | undefined;

  readonly onDidChangeState: Event<ConnectionState>;
  /** A folder's UIDVALIDITY changed: every UID known for it is void. */
  readonly onDidInvalidateMailbox = this.invalidated.event;
  /** Counts that changed since the last poll. */
  readonly onDidChangeCounts = this.countsChanged.event;

  constructor(private readonly options: MailAccountOptions) {
    this.redactor = options.redactor ?? new SecretRedactor();
    this.ops = this.newConnection('ops', false);
    this.onDidChangeState = this.ops.onDidChangeState;
    this.ops.onDidConnect((client) => {
      client.on('mailboxOpen', (mailbox) => this.noteUidValidity(mailbox.path, mailbox.uidValidity.toString()));
    });
  }

  get config(): AccountConfig {
    return this.options.account;
  }
  get state(): ConnectionState {
    return this.ops.state;
  }

  private newConnection(label: string, autoReconnect: boolean): ImapConnection {
    return new ImapConnection({
      account: this.options.account,
      passwords: this.options.passwords,
      logger: this.options.logger,
      redactor: this.redactor,
      structures: this.structures,
      label,
      autoReconnect,
      ...(this.options.tokens ? { tokens: this.options.tokens } : {}),
      traceProtocol: this.options.traceProtocol ?? false,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      ...(this.options.deadlines ? { deadlines: this.options.deadlines } : {}),
      ...(this.options.autoIdleDelayMs !== undefined
        ? { autoIdleDelayMs: this.options.autoIdleDelayMs }
        : autoReconnect
          ? { autoIdleDelayMs: WATCH_IDLE_DELAY_MS }
          : {}),
    });
  }

  private noteUidValidity(path: string, uidValidity: string): void {
    const before = this.knownUidValidity.get(path);
    this.knownUidValidity.set(path, uidValidity);
    if (before !== undefined && before !== uidValidity) this.invalidated.fire({ path, uidValidity });
  }

  /** Logs in (or confirms the session is alive). Throws a precise MailError on failure. */
  async connect(): Promise<void> {
    await this.ops.connect();
  }

  async listMailboxes(opts: { counts?: boolean } = {}): Promise<MailboxInfo[]> {
    const list = await listMailboxes(this.ops, opts);
    this.useKnownFolders(list);
    for (const m of list) if (m.counts?.uidValidity) this.noteUidValidity(m.path, m.counts.uidValidity);
    return list;
  }

  /** Folders known from a cache (or a listing): later SELECTs need no LIST round first. */
  useKnownFolders(list: MailboxInfo[]): void {
    this.mailboxCache = list;
    for (const conn of [this.ops, ...[...this.watchers].map((w) => w.conn)]) this.primeFolders(conn);
  }

  private primeFolders(conn: ImapConnection): void {
    conn.primeFolders(
      (this.mailboxCache ?? []).map((m) => ({
        path: m.path,
        delimiter: m.delimiter,
        subscribed: m.subscribed,
        ...(m.specialUse && m.specialUse !== 'inbox' ? { specialUse: SPECIAL_USE_ATTRIBUTES[m.specialUse] } : {}),
      })),
    );
  }

  async specialFolder(role: SpecialUse): Promise<MailboxInfo | undefined> {
    return findSpecialUse(this.mailboxCache ?? (await this.listMailboxes()), role);
  }

  counts(path: string): Promise<MailboxCounts> {
    return mailboxCounts(this.ops, path);
  }
  createMailbox(path: string): Promise<string> {
    this.mailboxCache = undefined;
    return createMailbox(this.ops, path);
  }
  renameMailbox(path: string, to: string): Promise<string> {
    this.mailboxCache = undefined;
    return renameMailbox(this.ops, path, to);
  }
  deleteMailbox(path: string): Promise<void> {
    this.mailboxCache = undefined;
    return deleteMailbox(this.ops, path);
  }
  subscribe(path: string, on: boolean): Promise<void> {
    return setSubscribed(this.ops, path, on);
  }

  listMessages(
    path: string,
    opts: { before?: number; pageSize?: number; readOnly?: boolean } = {},
  ): Promise<MessagePage> {
    return listPage(this.ops, path, opts);
  }

  /** Brings a cached folder up to date (QRESYNC when offered); only changes cross the wire. */
  resync(cached: CachedMailbox, opts: ResyncOptions = {}): Promise<ResyncResult> {
    return resyncMailbox(this.ops, cached, opts);
  }

  /** The server's conversation links (UID → parent UID) from `fromUid` up; undefined if it cannot thread. */
  threadParents(path: string, fromUid: number): Promise<Map<number, number> | undefined> {
    return threadParents(this.ops, path, fromUid);
  }

  /** Summaries of `uids` in `path`, newest first (e.g. of a message this account just stored there). */
  summaries(path: string, uids: number[]): Promise<MessageSummary[]> {
    return this.ops.withMailbox(path, { readOnly: true, idempotent: true }, (client, mailbox) =>
      fetchSummaries(client, mailbox, uids, this.ops.structures),
    );
  }

  /** APPENDs `raw` to `path` with `flags`; its ref comes from APPENDUID, else a Message-ID search. */
  append(path: string, raw: Buffer, flags: string[], messageId: string): Promise<MessageRef> {
    return appendMessage(this.ops, path, raw, flags, messageId);
  }

  readMessage(ref: MessageRef, opts: ReadOptions = {}): Promise<MessageContent> {
    return readMessage(this.ops, ref, opts);
  }

  /** The raw message, up to `maxBytes` (View Source). */
  readSource(ref: MessageRef, maxBytes?: number): Promise<MessageSource> {
    return readSource(this.ops, ref, maxBytes);
  }

  /** A text part decoded in `charset` instead of the one it declares ("Show as…"). */
  readPartAs(ref: MessageRef, part: string, charset: string): Promise<{ text: string; truncated: boolean }> {
    return readPartAs(this.ops, ref, part, charset);
  }

  /** The whole header block, capped (Show All Headers). */
  readHeaderBlock(ref: MessageRef): Promise<{ text: string; truncated: boolean }> {
    return readHeaderBlock(this.ops, ref);
  }

  saveAttachment(
    ref: MessageRef,
    attachment: Pick<AttachmentInfo, 'part' | 'filename'>,
    dir: string,
  ): Promise<{ path: string; bytes: number }> {
    return saveAttachment(this.ops, ref, attachment, dir);
  }

  setFlags(refs: MessageRef[], change: FlagChange): Promise<void> {
    return changeFlags(this.ops, refs, change);
  }

  move(refs: MessageRef[], destination: string): Promise<MoveResult> {
    return moveMessages(this.ops, refs, destination);
  }

  async archive(refs: MessageRef[]): Promise<MoveResult> {
    const archive = await this.specialFolder('archive');
    if (!archive)
      throw new MailError(
        'unsupported',
        `${this.config.name} has no Archive folder. Create one named "Archive" or mark one as \\Archive on the server.`,
      );
    return this.move(refs, archive.path);
  }

  /** To Trash; inside Trash (or without one) removed for good. */
  async delete(refs: MessageRef[]): Promise<DeleteResult> {
    const trash = await this.specialFolder('trash');
    const source = refs[0]?.mailbox;
    if (trash && source !== undefined && source !== trash.path) {
      return { movedToTrash: await moveMessages(this.ops, refs, trash.path) };
    }
    return this.destroy(refs);
  }

  /** Removes `refs` for good: \Deleted, then UID EXPUNGE of exactly them (see actions.ts). */
  destroy(refs: MessageRef[]): Promise<DeleteResult> {
    return destroyMessages(this.ops, refs);
  }

  /**
   * Reverses a move (or a delete to Trash) this account made. Which moves can still be undone is
   * the account store's business (one undo history, sync/undo.ts); this only does it.
   */
  async undo(move: MoveResult, restore?: FlagChange): Promise<MoveResult | undefined> {
    return (await undoMove(this.ops, move, restore)) ?? undefined;
  }

  /** Marks every unread message of `path` read; the UIDs it changed. */
  markFolderSeen(path: string): Promise<{ uidValidity: string; uids: number[] }> {
    return markFolderSeen(this.ops, path);
  }

  /** Every UID in `path` now. */
  folderUids(path: string): Promise<{ uidValidity: string; uids: number[] }> {
    return folderUids(this.ops, path);
  }

  /** PERMANENTFLAGS of `path` (`\\*`: any new keyword may be stored). */
  permanentFlags(path: string): Promise<string[]> {
    return permanentFlags(this.ops, path);
  }

  /** Plain EXPUNGE of every \Deleted message in `path`: call only after the user confirmed. */
  expunge(path: string): Promise<void> {
    return expungeAll(this.ops, path);
  }

  search(path: string, query: SearchQuery, opts: { limit?: number } = {}): Promise<SearchResult> {
    return searchMailbox(this.ops, path, query, opts);
  }

  /** One search over several folders, newest first (a folder that refuses is reported in the result). */
  searchFolders(
    paths: readonly string[],
    query: SearchQuery,
    opts: { limit?: number } = {},
  ): Promise<MultiSearchResult> {
    return searchFolders(this.ops, paths, query, opts);
  }

  /** Where a linked message is now (hint first, then a Message-ID search in the likely folders). */
  async resolveLink(link: MessageLink): Promise<Resolution> {
    return resolveMessageLink(this.ops, this.mailboxCache ?? (await this.listMailboxes()), link);
  }

  /**
   * A live view of `path` on its own IDLE connection, not started yet (start() connects; the
   * watcher reconnects by itself from then on). Dispose it to stop and log out.
   */
  watcher(path: string, since?: () => { uidValidity: string; uidNext: number } | undefined): MailboxWatcher {
    const conn = this.newConnection(`watch ${path}`, true);
    this.primeFolders(conn);
    const watcher = new MailboxWatcher(conn, path, this.options.logger, since);
    const entry = { watcher, conn };
    this.watchers.add(entry);
    const dispose = watcher.dispose.bind(watcher);
    watcher.dispose = () => {
      this.watchers.delete(entry);
      dispose();
      void conn.dispose();
    };
    return watcher;
  }

  /** A started watcher of `path`; rejects (and stops it) if it cannot start. */
  async watch(path: string): Promise<MailboxWatcher> {
    const watcher = this.watcher(path);
    try {
      await watcher.start();
    } catch (err) {
      watcher.dispose();
      throw err;
    }
    return watcher;
  }

  /**
   * Refreshes counts of all folders every `intervalMs` (LIST-STATUS when offered). A getter is read
   * again before each round, so a changed setting applies from the next one.
   */
  pollCounts(intervalMs: number | (() => number)): Disposable {
    const interval = typeof intervalMs === 'number' ? () => intervalMs : intervalMs;
    let running = false;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      if (running || this.ops.state.status === 'closed') return;
      running = true;
      try {
        const changed = new Map<string, MailboxCounts>();
        for (const m of await this.listMailboxes({ counts: true })) {
          if (!m.counts) continue;
          const key = `${m.counts.messages}/${m.counts.unseen}/${m.counts.uidNext ?? ''}`;
          if (this.lastCounts.get(m.path) !== key) changed.set(m.path, m.counts);
          this.lastCounts.set(m.path, key);
        }
        if (changed.size) this.countsChanged.fire(changed);
      } catch (err) {
        this.options.logger.debug(`[${this.config.name}] count poll failed: ${(err as Error).message}`);
      } finally {
        running = false;
      }
    };
    const schedule = (ms: number) => {
      if (stopped) return;
      timer = setTimeout(() => {
        void tick().finally(() => schedule(interval()));
      }, ms);
      timer.unref?.();
    };
    // The first round only records the baseline, and not at once: the caller has just listed the
    // folders, and the user's first click must not queue behind a LIST-STATUS of every folder.
    schedule(Math.min(interval(), 5000));
    return {
      dispose: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  async dispose(): Promise<void> {
    for (const { watcher } of [...this.watchers]) watcher.dispose();
    await this.ops.dispose();
    this.invalidated.dispose();
    this.countsChanged.dispose();
  }
}
