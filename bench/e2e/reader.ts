// Click a message in the tree → its body visible in the reader: a message the list shows but
// whose body was never read (listed, not cached), then the same messages again (their bodies are
// in the extension's cache). Each sample is a different message. The very first open of a window
// also creates the reader's webview: reported on its own, not mixed into the samples.
//
// Opening a message reads ahead the one listed below it. So the listed messages are opened from
// the bottom up (the one below each was opened already), and the read-ahead figure is taken on
// further rows opened top down, each counted only when the row right above it was opened before.
//
// Raw figure: one FETCH of the headers and the text (what a client that already has the list's
// BODYSTRUCTURE needs) on a session that has INBOX selected, for the same messages.
import type { RawImap } from '../raw-imap';
import { arm, result } from './probe';
import { type BenchServer, click, type Figure, log, pointerAway, quiet, rawSession, timedClick, VIEW, type Window } from './session';

export interface ReaderResults {
  bodyListed: Figure;
  bodyCached: Figure;
  bodyFirstOpen: Figure;
  bodyReadAhead: Figure;
}

export interface MessageRow {
  index: number;
  subject: string;
  uid: number;
  /** shown unread */
  unread: boolean;
}

/** Message rows of the expanded INBOX as rendered, with their UIDs (the tree is newest first). */
export async function inboxMessageRows(w: Window, raw: RawImap): Promise<MessageRow[]> {
  const rows = await w.wb.page.evaluate(`(() => {
    const P = window.__mrProbe;
    const rows = P.rows(${JSON.stringify(VIEW)}).sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')));
    const inbox = rows.findIndex((r) => P.label(r) === 'Inbox');
    const out = [];
    for (let i = inbox + 1; i < rows.length && P.isMessage(rows[i], rows[inbox]); i++) {
      out.push({ index: Number(rows[i].getAttribute('data-index')), subject: P.label(rows[i]), unread: P.unread(rows[i]) });
    }
    return out;
  })()`) as Array<{ index: number; subject: string; unread: boolean }>;
  if (!rows.length) throw new Error('no message rows under Inbox');
  // Row k under INBOX is the k-th newest message: map to UIDs with the server's own list.
  await raw.ok('SELECT INBOX');
  const r = await raw.ok('UID SEARCH ALL', { collect: true });
  const uids = (r.lines.find((l) => /^\* SEARCH/i.test(l)) ?? '').slice(8).trim().split(/\s+/).map(Number).sort((a, b) => b - a);
  return rows.map((row, k) => ({ ...row, uid: uids[k]! }));
}

/** UIDs of `rows` that are plain text+HTML messages of ordinary size (not the 5 MB one, no attachment). */
async function ordinary(raw: RawImap, rows: MessageRow[]): Promise<MessageRow[]> {
  const r = await raw.ok(`UID FETCH ${rows.map((m) => m.uid).join(',')} (RFC822.SIZE)`, { collect: true });
  const size = new Map<number, number>();
  for (const l of r.lines) {
    const m = /UID (\d+)/.exec(l);
    const s = /RFC822\.SIZE (\d+)/.exec(l);
    if (m && s) size.set(Number(m[1]), Number(s[1]));
  }
  return rows.filter((m) => (size.get(m.uid) ?? Infinity) < 40_000);
}

export async function expandInbox(w: Window): Promise<void> {
  const inbox = w.wb.treeRow(VIEW, 'Inbox');
  if ((await inbox.getAttribute('aria-expanded')) !== 'true') await click(w, inbox);
  await w.wb.page.waitForFunction(`(() => {
    const P = window.__mrProbe; const rows = P.rows(${JSON.stringify(VIEW)});
    const i = rows.findIndex((r) => P.label(r) === 'Inbox');
    return i >= 0 && !!rows[i + 1] && P.isMessage(rows[i + 1], rows[i]);
  })()`, undefined, { timeout: 60_000 });
}

async function openAndTime(w: Window, m: MessageRow): Promise<number | null> {
  await arm(w.wb.page, { kind: 'readerShows', subject: m.subject });
  await timedClick(w.wb.treeRows(VIEW).and(w.wb.page.locator(`[data-index="${m.index}"]`)));
  const r = await result(w.wb.page, 30_000);
  await pointerAway(w.wb.page);
  return r ? r.ms : null;
}

export async function measureReader(b: BenchServer, w: Window, n: number): Promise<ReaderResults> {
  const out: ReaderResults = {
    bodyListed: { samples: [], raw: [], rawNote: 'UID FETCH (FLAGS BODY.PEEK[HEADER] BODY.PEEK[TEXT]), INBOX selected' },
    bodyCached: { samples: [], note: 'the same messages again: their bodies come from the extension cache' },
    bodyFirstOpen: { samples: [], note: 'the first open of the window (creates the reader webview)' },
    bodyReadAhead: { samples: [], note: 'the message below the one opened before it (read ahead meanwhile)' },
  };
  const raw = await rawSession(b);
  try {
    await raw.ok('SELECT INBOX');
    await expandInbox(w);
    const rows = await ordinary(raw, await inboxMessageRows(w, raw));
    if (rows.length < n + 2) throw new Error(`only ${rows.length} ordinary message rows on screen, need ${n + 2}`);
    const [first, ...rest] = rows;
    const picked = rest.slice(0, n);
    const opened = new Set<number>();
    const open = async (m: MessageRow): Promise<number | null> => {
      opened.add(m.index);
      return openAndTime(w, m);
    };
    // The first open reads ahead the row below it: none of the picked rows may be that one.
    const firstIsAbove = picked[0]!.index === first!.index + 1;
    out.bodyFirstOpen.samples.push(await open(firstIsAbove ? rest[n]! : first!));
    for (const m of [...picked].reverse()) {
      await quiet(); // opening marks the message read: a write
      const t0 = performance.now();
      await raw.ok(`UID FETCH ${m.uid} (FLAGS BODY.PEEK[HEADER] BODY.PEEK[TEXT])`);
      out.bodyListed.raw!.push(performance.now() - t0);
      const ms = await open(m);
      out.bodyListed.samples.push(ms);
      log(`body (listed, not cached) uid ${m.uid}: ${ms === null ? 'TIMEOUT' : `${Math.round(ms)} ms`}`);
    }
    for (const m of picked) {
      await quiet();
      const ms = await openAndTime(w, m);
      out.bodyCached.samples.push(ms);
      log(`body (cached) uid ${m.uid}: ${ms === null ? 'TIMEOUT' : `${Math.round(ms)} ms`}`);
    }
    for (const m of rest.slice(n + (firstIsAbove ? 1 : 0))) {
      const above = opened.has(m.index - 1);
      await quiet();
      const ms = await open(m);
      if (!above) continue;
      out.bodyReadAhead.samples.push(ms);
      log(`body (read ahead) uid ${m.uid}: ${ms === null ? 'TIMEOUT' : `${Math.round(ms)} ms`}`);
    }
  } finally {
    await raw.logout();
  }
  return out;
}
