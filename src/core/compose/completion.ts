// Address completion for To/Cc/Bcc: every address seen in listed mail (From/To/Cc of the cached
// envelopes), most frequent and most recent first, plus an optional address-book command that
// prints "Name <addr>" lines for a query (as aerc's address-book-cmd does).
import { execFile } from 'node:child_process';
import { MailError } from '../errors';
import type { Address } from '../mailbox/messages';
import { isMailbox, type MailAddress, parseAddressList } from './addresses';

export interface SeenEnvelope {
  /** ISO date of the message. */
  date: string;
  from: readonly Address[];
  to: readonly Address[];
  cc: readonly Address[];
}

export interface AddressCandidate extends MailAddress {
  /** How often it was seen. */
  count: number;
  /** Newest message it was seen in (ms since epoch). */
  lastSeen: number;
  source: 'mail' | 'addressBook';
}

/** The address index: built once from cached envelopes (linear), then queried per keystroke. */
export class AddressIndex {
  private readonly byAddress = new Map<string, AddressCandidate>();

  constructor(envelopes: Iterable<SeenEnvelope> = []) {
    for (const e of envelopes) this.add(e);
  }

  add(envelope: SeenEnvelope): void {
    const t = Date.parse(envelope.date);
    const when = Number.isNaN(t) ? 0 : t;
    for (const a of [...envelope.from, ...envelope.to, ...envelope.cc]) {
      if (!a.address || !isMailbox(a.address)) continue;
      const key = a.address.toLowerCase();
      const c = this.byAddress.get(key);
      if (!c) {
        this.byAddress.set(key, {
          address: a.address,
          ...(a.name ? { name: a.name } : {}),
          count: 1,
          lastSeen: when,
          source: 'mail',
        });
        continue;
      }
      c.count++;
      if (when >= c.lastSeen) {
        c.lastSeen = when;
        if (a.name) c.name = a.name; // the newest spelling of the name wins
      }
    }
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** Candidates whose address or name contains every word of `query`, best first. */
  query(
    query: string,
    opts: { limit?: number; now?: number; exclude?: (address: string) => boolean } = {},
  ): AddressCandidate[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const now = opts.now ?? Date.now();
    const out: Array<{ c: AddressCandidate; score: number }> = [];
    for (const c of this.byAddress.values()) {
      const hay = `${c.name ?? ''} ${c.address}`.toLowerCase();
      if (!words.every((w) => hay.includes(w))) continue;
      if (opts.exclude?.(c.address)) continue;
      out.push({ c, score: rank(c, now, words) });
    }
    return out
      .sort((a, b) => b.score - a.score || a.c.address.localeCompare(b.c.address))
      .slice(0, opts.limit ?? 20)
      .map((x) => x.c);
  }
}

/** Frequency (log-damped) plus recency (half-life of 30 days); a match at a word start ranks higher. */
function rank(c: AddressCandidate, now: number, words: string[]): number {
  const ageDays = Math.max(0, (now - c.lastSeen) / 86_400_000);
  const recency = Math.pow(0.5, ageDays / 30);
  const prefix =
    words.length &&
    words.every((w) =>
      new RegExp(`(^|[\\s<.@_-])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(
        `${c.name ?? ''} ${c.address}`.toLowerCase(),
      ),
    )
      ? 1
      : 0;
  return Math.log2(1 + c.count) + 2 * recency + prefix;
}

export interface AddressBookOptions {
  /** Default 2 s: completion must feel instant or not be there. */
  timeoutMs?: number;
  /** Lines read at most (default 200); the rest is ignored. */
  maxResults?: number;
  /** Bytes of output read at most (default 256 KB). */
  maxBytes?: number;
}

/**
 * Runs the address-book command with the query as its last argument — never through a shell, so
 * the query (text the user typed, possibly pasted from a mail) cannot become a command. The
 * command itself is a program and its arguments, split on white space ("khard email --parsable"),
 * with "%s" in an argument replaced by the query instead, if present.
 */
export function runAddressBook(
  command: string,
  query: string,
  opts: AddressBookOptions = {},
): Promise<AddressCandidate[]> {
  const argv = command.trim().split(/\s+/).filter(Boolean);
  if (!argv.length) return Promise.resolve([]);
  const program = argv.shift()!;
  // Passed as an argument, a query starting with "-" would be read as an option of the program.
  if (/^\s*-/.test(query)) return Promise.resolve([]);
  const args = argv.some((a) => a.includes('%s')) ? argv.map((a) => a.split('%s').join(query)) : [...argv, query];
  const timeoutMs = opts.timeoutMs ?? 2000;
  const maxResults = opts.maxResults ?? 200;
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { timeout: timeoutMs, maxBuffer: opts.maxBytes ?? 256 * 1024, shell: false, windowsHide: true },
      (err, stdout) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
        if (e && e.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          if (e.killed)
            return reject(new MailError('config', `The address book command did not answer within ${timeoutMs} ms.`));
          if (e.code === 'ENOENT')
            return reject(new MailError('config', `The address book command "${program}" was not found.`));
          // aerc's convention: a command that found nothing may exit non-zero; what it printed still counts.
          if (!stdout) return resolve([]);
        }
        resolve(parseAddressBookOutput(stdout, maxResults));
      },
    );
  });
}

/** "Name <addr>" (or "addr", or aerc's "addr<TAB>Name") per line; anything else is skipped. */
export function parseAddressBookOutput(stdout: string, maxResults = 200): AddressCandidate[] {
  const out: AddressCandidate[] = [];
  const seen = new Set<string>();
  for (const raw of stdout.split(/\r?\n/)) {
    if (out.length >= maxResults) break;
    const line = raw.trim();
    if (!line) continue;
    let candidate: MailAddress | undefined;
    const tab = /^(\S+@\S+)\t(.*)$/.exec(line);
    if (tab && isMailbox(tab[1]!)) {
      const name = tab[2]!.split('\t')[0]!.trim();
      candidate = name ? { name, address: tab[1]! } : { address: tab[1]! };
    } else {
      const { addresses, problems } = parseAddressList(line);
      if (addresses.length === 1 && problems.length === 0) candidate = addresses[0];
    }
    if (!candidate || seen.has(candidate.address.toLowerCase())) continue;
    seen.add(candidate.address.toLowerCase());
    out.push({ ...candidate, count: 0, lastSeen: 0, source: 'addressBook' });
  }
  return out;
}
