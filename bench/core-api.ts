// The benchmark's one door into the core. The core's API is being reshaped (the account store
// refactor, compose): when it changes, this file is the one to follow it, and every measurement
// in bench/ keeps calling the same small set of operations below.
import type { FetchMessageObject } from 'imapflow';
import { MailAccount } from '../src/core/session/mail-account';
import type { CachedMailbox } from '../src/core/sync/cache';
import { nullLogger } from '../src/core/log';
import type { MailboxInfo } from '../src/core/mailbox/mailboxes';
import type { MessagePage, MessageRef } from '../src/core/mailbox/messages';
import type { MessageContent } from '../src/core/reading/reader';
import type { ResyncResult } from '../src/core/sync/resync';
import type { SearchQuery, SearchResult } from '../src/core/mailbox/search';

export type { CachedMailbox, MailboxInfo, MessageContent, MessagePage, MessageRef, ResyncResult, SearchQuery, SearchResult };
export { MailCache } from '../src/core/sync/cache';
export { toCachedMailbox } from '../src/core/sync/resync';
export { planMessage } from '../src/core/reading/structure';

export interface BenchAccount {
  name: string;
  host: string;
  port: number;
  user: string;
  pass: string;
  caFile: string;
}

/** IMAP bytes after TLS, before compression (imapflow's own counters). */
export interface WireStats {
  sent: number;
  received: number;
}

export class CoreAccount {
  private readonly account: MailAccount;

  constructor(config: BenchAccount) {
    const { pass, ...rest } = config;
    this.account = new MailAccount({ account: { ...rest, security: 'tls' }, passwords: async () => pass, logger: nullLogger });
  }

  /** Logs in (the operations below would too, on first use). */
  connect(): Promise<void> {
    return this.account.connect();
  }

  /** The newest `pageSize` messages, or the page older than UID `before` ("Load more"). */
  listPage(path: string, opts: { pageSize: number; before?: number }): Promise<MessagePage> {
    return this.account.listMessages(path, opts);
  }

  search(path: string, query: SearchQuery, limit: number): Promise<SearchResult> {
    return this.account.search(path, query, { limit });
  }

  readMessage(ref: MessageRef): Promise<MessageContent> {
    return this.account.readMessage(ref);
  }

  /** Forgets the BODYSTRUCTURE a listing remembered (as for a message the list never showed). */
  forgetStructure(ref: MessageRef): void {
    this.account.ops.structures.forget(ref);
  }

  /** The message's BODYSTRUCTURE, asked on the account's own connection. */
  bodyStructure(ref: MessageRef): Promise<FetchMessageObject['bodyStructure']> {
    return this.account.ops.withMailbox(ref.mailbox, {}, async (client) => {
      const m = await client.fetchOne(String(ref.uid), { uid: true, bodyStructure: true }, { uid: true });
      return m ? m.bodyStructure : undefined;
    });
  }

  listMailboxes(): Promise<MailboxInfo[]> {
    return this.account.listMailboxes();
  }

  useKnownFolders(list: MailboxInfo[]): void {
    this.account.useKnownFolders(list);
  }

  resync(cached: CachedMailbox, pageSize: number): Promise<ResyncResult> {
    return this.account.resync(cached, { pageSize });
  }

  /** Keeps `path` open on its own IDLE connection, as the extension does for INBOX; returns its stop. */
  async watch(path: string): Promise<() => void> {
    const watcher = await this.account.watch(path);
    return () => watcher.dispose();
  }

  /** Wire counters of the command connection; `reset` zeroes them first. */
  wireStats(reset = false): WireStats {
    const client = this.account.ops.client;
    if (!client) throw new Error('core account: not connected');
    const s = client.stats(reset);
    return { sent: s.sent, received: s.received };
  }

  dispose(): Promise<void> {
    return this.account.dispose();
  }
}
