// The account store's writes to its disk cache. Live changes are written a little later, together
// (IDLE can be chatty); a full look at a folder at once. A write that fails (disk full, a
// directory that is not writable any more) changes nothing in memory — the cache is only a head
// start, every folder is reconciled with the server when it is shown — so it is logged, once per
// file until one works again, and never thrown at the caller.
import type { Logger } from '../log';
import type { MailboxInfo } from '../mailbox/mailboxes';
import type { MessageContent } from '../reading/reader';
import type { CachedMailbox, MailCache } from './cache';

export class CacheWriteBack {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failing = new Set<string>();
  /** Writes started and not yet done (a timer's, a full look's): a flush waits for them too. */
  private readonly writing = new Set<Promise<void>>();
  private disposed = false;

  constructor(
    private readonly cache: MailCache,
    private readonly logger: Logger,
    private readonly label: string,
    /** The folder as it is now, when it is worth writing. */
    private readonly current: (path: string) => CachedMailbox | undefined,
    private readonly delayMs = 2000,
  ) {}

  /** Writes `path` after a while (several changes in between become one write). */
  schedule(path: string): void {
    if (this.disposed || this.timers.has(path)) return;
    const timer = setTimeout(() => {
      this.timers.delete(path);
      const mailbox = this.current(path);
      if (mailbox) void this.mailbox(mailbox);
    }, this.delayMs);
    timer.unref?.();
    this.timers.set(path, timer);
  }

  /** Writes a folder now (after a full look at it). */
  mailbox(m: CachedMailbox): Promise<void> {
    const pending = this.timers.get(m.path);
    if (pending) {
      clearTimeout(pending);
      this.timers.delete(m.path);
    }
    return this.guard(`the messages of "${m.path}"`, () => this.cache.saveMailbox(m));
  }

  folders(list: readonly MailboxInfo[]): Promise<void> {
    return this.guard('the folder list', () => this.cache.saveFolders([...list]));
  }

  body(content: MessageContent): Promise<void> {
    return this.guard('a message body', () => this.cache.saveBody(content));
  }

  /**
   * Writes what is scheduled now and waits for the writes already under way (tests; a store that
   * is about to go): afterwards the cache holds every change made before the call.
   */
  async flush(): Promise<void> {
    const paths = [...this.timers.keys()];
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const started = [...this.writing];
    await Promise.all([
      ...started,
      ...paths
        .map((p) => this.current(p))
        .filter((m) => m !== undefined)
        .map((m) => this.mailbox(m)),
    ]);
  }

  private guard(what: string, write: () => Promise<void>): Promise<void> {
    if (this.disposed) return Promise.resolve();
    const done = this.attempt(what, write).finally(() => this.writing.delete(done));
    this.writing.add(done);
    return done;
  }

  private async attempt(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
      if (this.failing.delete(what)) this.logger.info(`[${this.label}] the cache is written again (${what})`);
    } catch (err) {
      if (this.failing.has(what)) return;
      this.failing.add(what);
      this.logger.warn(
        `[${this.label}] could not write ${what} to the cache: ${(err as Error).message}. Nothing is lost: what is shown stays right, and it is read from the server next time.`,
      );
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
