// "Mail: Triage Inbox": a triage key (Alt+A archive, Alt+D delete, Alt+R mark read, Alt+F flag)
// → the pick shows its result: the next message focused (archive, delete, read: the message leaves
// the unread list), or the flag on the focused one. Keys cycle so that each kind gets a quarter of
// the samples; every sample acts on another message. Raw figure: the same server command (UID MOVE
// to Archive/Trash, UID STORE) by a raw client on a selected session, on messages far from these.
import { arm, result } from './probe';
import { type BenchServer, type Figure, log, quiet, rawSession, type Window } from './session';

const KEYS = [
  { key: 'Alt+A', name: 'archive', raw: (uid: number) => `UID MOVE ${uid} Archive` },
  { key: 'Alt+D', name: 'delete', raw: (uid: number) => `UID MOVE ${uid} Trash` },
  { key: 'Alt+R', name: 'read', raw: (uid: number) => `UID STORE ${uid} +FLAGS (\\Seen)` },
  { key: 'Alt+F', name: 'flag', raw: (uid: number) => `UID STORE ${uid} +FLAGS (\\Flagged)` },
] as const;

export async function measureTriage(b: BenchServer, w: Window, n: number): Promise<Figure> {
  const fig: Figure = { samples: [], raw: [], rawNote: 'UID MOVE / UID STORE, INBOX selected', parts: Object.fromEntries(KEYS.map((k) => [k.name, []])) };
  const page = w.wb.page;
  await w.wb.runCommand('Mail: Triage Inbox');
  await page.waitForFunction(`(() => {
    const w = document.querySelector('.quick-input-widget');
    const t = w && w.querySelector('.quick-input-title');
    return !!t && /Triage Inbox — \\d+ unread/.test(t.textContent) && !!w.querySelector('.monaco-list-row.focused');
  })()`, undefined, { timeout: 60_000 });
  const unread = Number(/(\d+) unread/.exec(await page.locator('.quick-input-widget .quick-input-title').innerText())?.[1]);
  if (unread < n) throw new Error(`Triage Inbox lists ${unread} unread messages, need ${n}`);
  const raw = await rawSession(b);
  try {
    await raw.ok('SELECT INBOX');
    for (let i = 0; i < n; i++) {
      const k = KEYS[i % KEYS.length]!;
      await arm(page, { kind: 'quickPickChanged' });
      await page.keyboard.press(k.key);
      const r = await result(page, 30_000);
      const ms = r ? r.ms : null;
      fig.samples.push(ms);
      fig.parts![k.name]!.push(ms);
      log(`triage ${k.name}: ${ms === null ? 'TIMEOUT' : `${Math.round(ms)} ms`}`);
      await quiet();
      const t0 = performance.now();
      await raw.ok(k.raw(3000 + i));
      fig.raw!.push(performance.now() - t0);
      await quiet();
    }
  } finally {
    await raw.logout();
    await page.keyboard.press('Escape');
  }
  return fig;
}
