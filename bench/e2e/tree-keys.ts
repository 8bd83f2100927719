// Tree keys: S (toggle flag) and U (mark unread) on a message row of the Mailboxes view → the
// row's icon / weight changes on screen.
//
// The extension acts on the tree's *selection* (or on the message open in the reader, which it
// prefers), not on the focused row: so the reader is closed first, and each sample selects its
// row without opening it (Ctrl+click after Escape cleared the selection), untimed, then the key
// is timed. Each sample uses another row. Raw figure: UID STORE of a flag on a selected session.
import type { RawImap } from '../raw-imap';
import { arm, result } from './probe';
import { expandInbox, inboxMessageRows, type MessageRow } from './reader';
import { type BenchServer, click, type Figure, log, quiet, rawSession, VIEW, type Window } from './session';

async function selectOnly(w: Window, m: MessageRow): Promise<void> {
  const page = w.wb.page;
  const row = w.wb.treeRows(VIEW).and(page.locator(`[data-index="${m.index}"]`));
  await click(w, row, ['Control']);
  await page.keyboard.press('Escape'); // list.clear: nothing selected
  await click(w, row, ['Control']);
  await page.waitForFunction(`(() => {
    const rows = window.__mrProbe.rows(${JSON.stringify(VIEW)});
    const sel = rows.filter((r) => r.getAttribute('aria-selected') === 'true');
    return sel.length === 1 && Number(sel[0].getAttribute('data-index')) === ${m.index};
  })()`, undefined, { timeout: 5000 });
  // The key must act on the tree's selection: a reader on screen would take precedence.
  if (await page.locator('iframe.webview').count()) throw new Error('selecting a tree row opened the reader; the tree-key samples would act on it');
}

/** `n` rows for S and `n` other rows, shown read, for U (marked read on the server first if need be). */
async function pickRows(w: Window, raw: RawImap, n: number): Promise<{ flag: MessageRow[]; unread: MessageRow[] }> {
  const rows = await inboxMessageRows(w, raw);
  const flag = rows.slice(0, n);
  const rest = rows.slice(n);
  const unread = rest.filter((m) => !m.unread).slice(0, n);
  const missing = rest.filter((m) => m.unread).slice(0, n - unread.length);
  if (unread.length + missing.length < n) throw new Error(`only ${rows.length} message rows on screen for ${2 * n} tree-key samples`);
  if (missing.length) {
    await raw.ok(`UID STORE ${missing.map((m) => m.uid).join(',')} +FLAGS.SILENT (\\Seen)`);
    const indexes = JSON.stringify(missing.map((m) => m.index));
    // The extension learns it through its IDLE connection, as from any other client.
    await w.wb.page.waitForFunction(`${indexes}.every((i) => {
      const r = window.__mrProbe.rows(${JSON.stringify(VIEW)}).find((x) => Number(x.getAttribute('data-index')) === i);
      return r && !window.__mrProbe.unread(r);
    })`, undefined, { timeout: 60_000 });
    unread.push(...missing.map((m) => ({ ...m, unread: false })));
  }
  return { flag, unread };
}

export async function measureTreeKeys(b: BenchServer, w: Window, n: number): Promise<Figure> {
  const fig: Figure = { samples: [], raw: [], rawNote: 'UID STORE +/-FLAGS (\\Flagged), INBOX selected', parts: { S: [], U: [] } };
  await w.wb.runCommand('View: Close All Editors');
  await w.wb.page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  await expandInbox(w);
  const raw = await rawSession(b);
  try {
    const rows = await pickRows(w, raw, Math.ceil(n / 2));
    await raw.ok('SELECT INBOX');
    await quiet();
    for (let i = 0; i < Math.ceil(n / 2); i++) {
      for (const key of ['s', 'u'] as const) {
        const m = (key === 's' ? rows.flag : rows.unread)[i];
        if (!m) continue;
        await selectOnly(w, m);
        await arm(w.wb.page, { kind: 'rowChanged', view: VIEW, index: m.index });
        await w.wb.page.keyboard.press(key);
        const r = await result(w.wb.page, 20_000);
        const ms = r ? r.ms : null;
        fig.samples.push(ms);
        fig.parts![key.toUpperCase()]!.push(ms);
        log(`tree key ${key.toUpperCase()} uid ${m.uid}: ${ms === null ? 'TIMEOUT (no change on screen)' : `${Math.round(ms)} ms`}`);
        // The same change by a raw client, on a message far from the ones on screen.
        await quiet();
        const uid = 2000 + fig.raw!.length;
        const t0 = performance.now();
        await raw.ok(`UID STORE ${uid} ${fig.raw!.length % 2 ? '-' : '+'}FLAGS (\\Flagged)`);
        fig.raw!.push(performance.now() - t0);
        await quiet();
      }
    }
  } finally {
    await raw.logout();
  }
  return fig;
}
