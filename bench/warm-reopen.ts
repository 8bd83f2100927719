// The core's side of "warm reopen": what it costs to show a folder again that this client has
// shown before, after a few changes were made elsewhere. Kept in its own file because it is the
// part that changes when the core's persistent cache lands.
import { type CoreAccount, MailCache, toCachedMailbox } from './core-api';

export interface WarmReopenEnv {
  /** A core account for the bench user on the bench server (not connected yet). */
  newAccount(): CoreAccount;
  /** Makes `n` flag changes to INBOX from another session (a raw connection). */
  changeFlagsElsewhere(n: number): Promise<void>;
  pageSize: number;
}

export interface WarmReopenSample {
  /** from the start of the reopen (after login) until the page is ready */
  ms: number;
  /** IMAP bytes both ways during the reopen (imapflow stats(): after TLS, before any compression) */
  wireBytes: number;
  sentBytes: number;
  receivedBytes: number;
  /** this process's CPU time during the reopen */
  cpuMs: number;
  /** messages in the page that was shown */
  messages: number;
}

/** What the numbers measure (printed with the results). */
export const WARM_REOPEN_NOTE = 'persistent cache (MailCache) + resync (QRESYNC SELECT), as the extension does at start';

/**
 * One sample: a previous session showed the folder and cached it; 10 flags change elsewhere; a
 * fresh session (connected, not timed) reads the cache and reconciles it with the server (timed).
 */
export async function measureWarmReopen(env: WarmReopenEnv, cacheDir: string): Promise<WarmReopenSample> {
  const cache = new MailCache(cacheDir, 'bench');
  const prev = env.newAccount();
  try {
    await prev.connect();
    await cache.saveFolders(await prev.listMailboxes());
    await cache.saveMailbox(toCachedMailbox(await prev.listPage('INBOX', { pageSize: env.pageSize })));
  } finally {
    await prev.dispose();
  }

  await env.changeFlagsElsewhere(10);

  const account = env.newAccount();
  try {
    await account.connect();
    account.wireStats(true);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const [folders, cached] = await Promise.all([cache.loadFolders(), cache.loadMailbox('INBOX')]);
    if (!cached || !folders) throw new Error('warm reopen: the cache lost the folder');
    account.useKnownFolders(folders);
    const result = await account.resync(cached, env.pageSize);
    await cache.saveMailbox(result.mailbox);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const s = account.wireStats();
    if (result.method !== 'qresync') throw new Error(`warm reopen: expected a QRESYNC resync, got ${result.method}`);
    return {
      ms,
      wireBytes: s.sent + s.received,
      sentBytes: s.sent,
      receivedBytes: s.received,
      cpuMs: (cpu.user + cpu.system) / 1000,
      messages: result.mailbox.messages.length,
    };
  } finally {
    await account.dispose();
  }
}
