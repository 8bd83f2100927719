// Click a folder this window has never opened → its first message row on screen (10k and 100k).
//
// Independence: every round is a new code-server with a fresh profile (no cache, no state in the
// extension host, a renderer that has drawn nothing), and in a round each folder is clicked once.
// Clicks alternate between the sizes; between two clicks the server is settled (server-state.ts),
// which also gives the extension the moment a person needs to read the list. After each click the
// folder is collapsed again and a raw client's first page of the same folder is measured (new
// session: SELECT + FETCH of 50), the part no client can save.
import { rawFirstPage, settle } from '../server-state';
import { arm, result } from './probe';
import { type BenchServer, click, type Figure, log, openWindow, pointerAway, sleep, timedClick, VIEW, type Window } from './session';

export interface FirstRowResults {
  firstRow10k: Figure;
  firstRow100k: Figure;
  /** INBOX, whose first page the extension loads at connect */
  inboxPrefetched: Figure;
  /** a folder collapsed and expanded again: VS Code's rendering and the extension's getChildren alone */
  reExpand: Figure;
}

const CLICK_TIMEOUT_MS = 60_000;

async function clickUntilFirstRow(w: Window, folder: string): Promise<number | null> {
  await arm(w.wb.page, { kind: 'firstMessageRow', view: VIEW, folder });
  await timedClick(w.wb.treeRow(VIEW, folder));
  const r = await result(w.wb.page, CLICK_TIMEOUT_MS);
  await pointerAway(w.wb.page);
  return r ? r.ms : null;
}

async function collapse(w: Window, folder: string): Promise<void> {
  const row = w.wb.treeRow(VIEW, folder);
  if ((await row.getAttribute('aria-expanded')) === 'true') await click(w, row);
  await w.wb.page.waitForFunction(`(() => {
    const rows = window.__mrProbe.rows(${JSON.stringify(VIEW)});
    const i = rows.findIndex((r) => window.__mrProbe.label(r) === ${JSON.stringify(folder)});
    return i >= 0 && !(rows[i + 1] && window.__mrProbe.isMessage(rows[i + 1], rows[i]));
  })()`, undefined, { timeout: 10_000 });
}

export async function measureFirstRows(b: BenchServer, rounds: number, settleMs: number): Promise<FirstRowResults> {
  const out: FirstRowResults = {
    firstRow10k: { samples: [], raw: [], rawNote: 'new session: SELECT + FETCH of the newest 50 (same folder, same run)' },
    firstRow100k: { samples: [], raw: [], rawNote: 'new session: SELECT + FETCH of the newest 50 (same folder, same run)' },
    inboxPrefetched: { samples: [], note: 'INBOX (10k), its first page loaded at connect' },
    reExpand: { samples: [], note: 'the last folder collapsed and expanded again (no network)' },
  };
  const perSize = b.folders['10k'].length;
  for (let round = 0; round < rounds; round++) {
    const w = await openWindow(b, [{ name: 'Bench', user: 'alice' }]);
    try {
      // A person reads the folder list before clicking; meanwhile the extension opens its IDLE
      // connection and loads INBOX's first page. Clicking in the same instant measures that start-up.
      await sleep(settleMs);
      let last = '';
      for (let k = 0; k < perSize; k++) {
        const order = (round + k) % 2 === 0 ? (['10k', '100k'] as const) : (['100k', '10k'] as const);
        for (const size of order) {
          const folder = b.folders[size][k]!;
          const state = b.stateOf(folder);
          await settle(state, `before clicking ${folder}`, { mailbox: folder });
          const ms = await clickUntilFirstRow(w, folder);
          await collapse(w, folder).catch(() => undefined);
          const raw = await rawFirstPage(state, folder);
          const fig = size === '10k' ? out.firstRow10k : out.firstRow100k;
          fig.samples.push(ms);
          fig.raw!.push(raw.ms);
          last = folder;
          log(`round ${round + 1}: ${folder} first row ${ms === null ? 'TIMEOUT' : `${Math.round(ms)} ms`} (raw ${Math.round(raw.ms)} ms)`);
        }
      }
      await sleep(1000);
      // Collapsing only tidies up for the next figure: one that did not show is not a failed run.
      out.reExpand.samples.push(await clickUntilFirstRow(w, last));
      await collapse(w, last).catch(() => undefined);
      out.inboxPrefetched.samples.push(await clickUntilFirstRow(w, 'Inbox'));
      await collapse(w, 'Inbox').catch(() => undefined);
    } finally {
      await w.close();
    }
  }
  return out;
}
