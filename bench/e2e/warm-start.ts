// VS Code starts with 3 accounts whose folder lists are cached → the Mailboxes tree filled,
// measured from the moment the view is visible.
//
// A window with three accounts (alice, bob, alice again under another name: three caches) runs
// until every account is connected and its folders and INBOX page are cached. Then the window is
// reloaded again and again: the renderer and the extension host start from scratch with the same
// profile (cache, secrets, view state), as when VS Code is started again. A script installed
// before each load records, from the navigation start, the first frame in which the Mailboxes
// view is visible and the first frame in which its rows read what they read before the reload
// (accounts and folders, in order); the figure is the time between the two.
//
// "No network before first paint" is checked too: the same reload with Dovecot frozen (SIGSTOP:
// connections are accepted by the kernel but never greeted), so anything that waits on the server
// before drawing shows up as a timeout there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStartup, rowLabels, startupProbeScript } from './probe';
import { type AccountSpec, type BenchServer, type Figure, log, openWindow, sleep, VIEW } from './session';

export const WARM_ACCOUNTS: AccountSpec[] = [
  { name: 'Work', user: 'alice' },
  { name: 'Home', user: 'bob' },
  { name: 'Lists', user: 'alice' },
];

export interface WarmStartResults {
  warmStart: Figure;
  warmStartServerFrozen: Figure;
  /** navigation start → view visible (VS Code's own start-up), for context */
  viewVisible: Figure;
}

function freeze(b: BenchServer, on: boolean): void {
  // The harness spawns Dovecot as the leader of its own process group and records its pid.
  const pgid = Number(fs.readFileSync(path.join(b.server.dir, 'dovecot.pgid'), 'utf8'));
  if (!pgid) throw new Error('no Dovecot process group');
  process.kill(-pgid, on ? 'SIGSTOP' : 'SIGCONT');
}

export async function measureWarmStart(b: BenchServer, reloads: number, connectedMs: number): Promise<WarmStartResults> {
  const out: WarmStartResults = {
    warmStart: { samples: [], note: 'view visible → accounts and folders as before the reload' },
    warmStartServerFrozen: { samples: [], note: 'the same with Dovecot frozen (no answer from the network)' },
    viewVisible: { samples: [], note: 'navigation start → Mailboxes view visible' },
  };
  const w = await openWindow(b, WARM_ACCOUNTS);
  const page = w.wb.page;
  try {
    // Everything connected and cached: folder lists, counts and each INBOX's first page.
    await sleep(connectedMs);
    let expected = await rowLabels(page, VIEW);
    for (let i = 0; i < 10; i++) {
      await sleep(500);
      const again = await rowLabels(page, VIEW);
      if (JSON.stringify(again) === JSON.stringify(expected)) break;
      expected = again;
    }
    if (!WARM_ACCOUNTS.every((a) => expected.includes(a.name))) throw new Error(`the tree does not show every account: ${expected.join(', ')}`);
    log(`warm start: the tree shows ${expected.length} rows (${WARM_ACCOUNTS.map((a) => a.name).join(', ')} and their folders)`);
    await page.addInitScript(startupProbeScript(VIEW, expected));
    for (const frozen of [false, true]) {
      for (let i = 0; i < reloads; i++) {
        if (frozen) freeze(b, true);
        let r: Awaited<ReturnType<typeof readStartup>>;
        try {
          await page.reload({ waitUntil: 'commit' });
          r = await readStartup(page, 45_000);
        } finally {
          if (frozen) freeze(b, false);
        }
        const ms = r ? r.filledMs - r.viewVisibleMs : null;
        (frozen ? out.warmStartServerFrozen : out.warmStart).samples.push(ms);
        if (r && !frozen) out.viewVisible.samples.push(r.viewVisibleMs);
        log(`warm start ${frozen ? '(server frozen) ' : ''}${i + 1}: ${ms === null ? 'TIMEOUT (45 s)' : `${Math.round(ms)} ms after the view was visible (${Math.round(r!.viewVisibleMs)} ms after navigation)`}`);
        // Let the accounts connect again before the next start, as between two real starts.
        await sleep(connectedMs);
      }
    }
  } finally {
    await w.close();
  }
  return out;
}
