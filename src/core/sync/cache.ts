// A persistent cache per account: folder list with counts, the summaries of the messages that were
// shown (per folder, keyed by UIDVALIDITY and HIGHESTMODSEQ for QRESYNC), and size-capped rendered
// bodies. Plain JSON files (no native modules), written atomically (temp file + rename). A corrupt
// or version-mismatched file is discarded and rebuilt, never a crash. It is someone's mail: the
// folders are 0700 and the files 0600, also those an older version created with default modes.
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MailboxInfo } from '../mailbox/mailboxes';
import { type MessageRef, type MessageSummary, sameRef } from '../mailbox/messages';
import type { MessageContent } from '../reading/reader';

export const CACHE_VERSION = 3; // 2: message bodies hold an ordered list of parts; 3: and their mailing list

export interface CachedMailbox {
  path: string;
  uidValidity: string;
  /** Absent when the server has no CONDSTORE: resync then compares UIDs and flags. */
  highestModseq?: string;
  uidNext: number;
  exists: number;
  /** Newest first: the pages that were shown. */
  messages: MessageSummary[];
  hasMore: boolean;
}

interface Envelope<T> {
  version: number;
  data: T;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const RECOUNT_EVERY = 64;

/**
 * Makes the folder `dir` and what is under it owner-only: folders 0700, files 0600 (symlinks are
 * left alone, never followed). The files of a folder that already was 0700 are not looked at: it
 * was made so by this code, after them or before them, and nobody else can reach them anyway.
 */
async function restrict(dir: string): Promise<void> {
  const s = await lstat(dir).catch(() => undefined);
  if (!s?.isDirectory()) return;
  const wasOpen = (s.mode & 0o777) !== DIR_MODE;
  if (wasOpen) await chmod(dir, DIR_MODE).catch(() => undefined);
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await restrict(path);
    else if (wasOpen && entry.isFile()) await chmod(path, FILE_MODE).catch(() => undefined);
  }
}

export class MailCache {
  private readonly root: string;
  private restricted: Promise<void> | undefined;
  private destroyed = false;
  private readonly writes = new Set<Promise<void>>();

  private readonly maxBodyBytes: () => number;

  /** `maxBodyBytes` may be a getter: a changed setting then applies from the next body saved. */
  constructor(dir: string, account: string, maxBodyBytes: number | (() => number) = 50 * 1024 * 1024) {
    this.root = join(dir, hash(account));
    this.maxBodyBytes = typeof maxBodyBytes === 'number' ? () => maxBodyBytes : maxBodyBytes;
  }

  private async read<T>(file: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const env = JSON.parse(text) as Envelope<T>;
      if (env?.version === CACHE_VERSION && env.data !== undefined) return env.data;
    } catch {
      // fall through: corrupt
    }
    await unlink(file).catch(() => undefined);
    return undefined;
  }

  private write<T>(file: string, data: T): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    const done = this.writeNow(file, data).finally(() => this.writes.delete(done));
    this.writes.add(done);
    return done;
  }

  private async writeNow<T>(file: string, data: T): Promise<void> {
    // Once per cache: the tree an older version left with default modes becomes owner-only.
    this.restricted ??= restrict(this.root);
    await this.restricted;
    await mkdir(dirname(file), { recursive: true, mode: DIR_MODE });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: CACHE_VERSION, data } satisfies Envelope<T>), {
      mode: FILE_MODE,
      flag: 'wx',
    });
    await rename(tmp, file);
  }

  loadFolders(): Promise<MailboxInfo[] | undefined> {
    return this.read<MailboxInfo[]>(join(this.root, 'folders.json'));
  }

  saveFolders(list: MailboxInfo[]): Promise<void> {
    return this.write(join(this.root, 'folders.json'), list);
  }

  private mailboxFile(path: string): string {
    return join(this.root, 'mailboxes', `${hash(path)}.json`);
  }

  async loadMailbox(path: string): Promise<CachedMailbox | undefined> {
    const m = await this.read<CachedMailbox>(this.mailboxFile(path));
    return m && m.path === path && Array.isArray(m.messages) ? m : undefined;
  }

  /** Whether a page of `path` is cached, without reading it. */
  hasMailbox(path: string): Promise<boolean> {
    return stat(this.mailboxFile(path)).then(
      () => true,
      () => false,
    );
  }

  saveMailbox(m: CachedMailbox): Promise<void> {
    return this.write(this.mailboxFile(m.path), m);
  }

  private bodyFile(ref: MessageRef): string {
    return join(this.root, 'bodies', `${hash(`${ref.mailbox}\u0000${ref.uidValidity}\u0000${ref.uid}`)}.json`);
  }

  /** Whether a body of `ref` is cached, without reading it (or making it recently used). */
  hasBody(ref: MessageRef): Promise<boolean> {
    return stat(this.bodyFile(ref)).then(
      () => true,
      () => false,
    );
  }

  async loadBody(ref: MessageRef): Promise<MessageContent | undefined> {
    const file = this.bodyFile(ref);
    const data = await this.read<Omit<MessageContent, 'cid'> & { cid: Array<[string, string]> }>(file);
    if (!data || !sameRef(data.ref, ref)) return undefined;
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined); // LRU by mtime
    return { ...data, cid: new Map(data.cid) };
  }

  /**
   * Bytes of the cached bodies as counted here: the folder is scanned (and trimmed) on the first
   * save, once the count passes the cap, and every RECOUNT_EVERY saves, since another window may
   * write to the same cache. Scanning on every save made each save linear in the cache's size.
   */
  private bodyBytes: number | undefined;
  private savesSinceCount = 0;

  async saveBody(content: MessageContent): Promise<void> {
    if (this.maxBodyBytes() <= 0) return;
    const file = this.bodyFile(content.ref);
    const sizeOf = (f: string) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      );
    const before = this.bodyBytes === undefined ? 0 : await sizeOf(file);
    await this.write(file, { ...content, cid: [...content.cid] });
    if (this.bodyBytes !== undefined) this.bodyBytes += (await sizeOf(file)) - before;
    if (
      this.bodyBytes === undefined ||
      this.bodyBytes > this.maxBodyBytes() ||
      ++this.savesSinceCount >= RECOUNT_EVERY
    ) {
      this.savesSinceCount = 0;
      this.bodyBytes = await this.evictBodies();
    }
  }

  /** Removes the least recently used bodies until the total fits the cap; the total left. */
  private async evictBodies(): Promise<number> {
    const dir = join(this.root, 'bodies');
    const entries: Array<{ file: string; size: number; used: number }> = [];
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s) entries.push({ file: join(dir, name), size: s.size, used: s.mtimeMs });
    }
    let total = entries.reduce((n, e) => n + e.size, 0);
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBodyBytes()) break;
      await unlink(e.file).catch(() => undefined);
      total -= e.size;
    }
    return total;
  }

  /** Forgets everything about this account. */
  clear(): Promise<void> {
    this.bodyBytes = undefined;
    return rm(this.root, { recursive: true, force: true });
  }

  /** For a removed account: forgets everything and writes nothing any more (writes under way finish first). */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await Promise.allSettled([...this.writes]);
    await this.clear();
  }
}
