// Reading a fault proxy's command log (test/harness/proxy.ts): which summaries were fetched from
// which folder, over every connection a client opened through it.
import type { ImapProxy } from './proxy';

/** The UIDs in an IMAP sequence set ("3,5:7"; "*" stands for "up from"). */
function uidSet(set: string): (uid: number) => boolean {
  const parts = set.split(',').map((p) => p.split(':').map((n) => (n === '*' ? Infinity : Number(n))));
  return (uid) =>
    parts.some(([a, b]) => (b === undefined ? uid === a : uid >= Math.min(a!, b) && uid <= Math.max(a!, b)));
}

/**
 * How many times the summary (ENVELOPE) of `uid` in `mailbox` was fetched, over every
 * connection, after the command with index `from` in the proxy's log.
 */
export function summaryFetches(proxy: ImapProxy, mailbox: string, uid: number, from = 0): number {
  const selected = new Map<number, string>();
  let n = 0;
  proxy.commands.forEach(({ connection, command }, i) => {
    const open = /^(SELECT|EXAMINE) "?([^"(]+?)"?(\s|$)/i.exec(command);
    if (open) selected.set(connection, open[2]!);
    if (i < from || selected.get(connection) !== mailbox || !/ENVELOPE/i.test(command)) return;
    const fetch = /^(UID )?FETCH (\S+)/i.exec(command);
    if (fetch && fetch[1] && uidSet(fetch[2]!)(uid)) n++;
  });
  return n;
}

/** How many pages (FETCH by sequence number, with ENVELOPE) of `mailbox` were read after the command with index `from`. */
export function pageFetches(proxy: ImapProxy, mailbox: string, from = 0): number {
  const selected = new Map<number, string>();
  let n = 0;
  proxy.commands.forEach(({ connection, command }, i) => {
    const open = /^(SELECT|EXAMINE) "?([^"(]+?)"?(\s|$)/i.exec(command);
    if (open) selected.set(connection, open[2]!);
    if (i >= from && selected.get(connection) === mailbox && /^FETCH /i.test(command) && /ENVELOPE/i.test(command)) n++;
  });
  return n;
}
