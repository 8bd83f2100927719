// Timing inside the workbench page, where it is more precise than round trips from playwright.
//
// A probe is armed with a condition on the page's DOM (the workbench's, or a webview's: they are
// same-origin iframes in code-server). It starts at the next real input event of the page
// (pointerdown, or a keydown that is not a lone modifier; the event's own timeStamp) or at a time
// given by the caller, and it checks the condition once per animation frame. The end is taken
// after the first frame in which the condition holds has been rendered: a message posted from that
// frame's requestAnimationFrame callback runs once the frame is done. So every figure is "input →
// the change is on screen", quantised to frames (~16 ms at 60 Hz).
//
// The page scripts are strings on purpose: tsx compiles functions with helpers (__name) that do
// not exist in the page, and the workbench's CSP/Trusted Types forbid building functions there.
import type { Page } from 'playwright-core';

/** What a measurement waits for, evaluated in the top page on every frame. */
export type Condition =
  /** the tree row right after the row labelled `folder` is a message row ("sender · date") */
  | { kind: 'firstMessageRow'; view: string; folder: string }
  /** a tree row labelled exactly `label` is rendered */
  | { kind: 'rowWithLabel'; view: string; label: string }
  /** the tree row at `index` (data-index) looks different from when the probe was armed (icon, bold) */
  | { kind: 'rowChanged'; view: string; index: number }
  /** the reader shows a message whose subject is `subject`, rendered after the probe was armed */
  | { kind: 'readerShows'; subject: string }
  /** the quick pick's title or focused row changed since the probe was armed */
  | { kind: 'quickPickChanged' };

export interface ProbeResult {
  /** input (or given start) → the first frame showing the change was rendered, ms */
  ms: number;
  /** input → the frame in which the change was first seen */
  seenMs: number;
}

const INSTALL = `(() => {
  if (window.__mrProbe) return;
  const P = window.__mrProbe = { armed: null };
  const isModifier = (k) => k === 'Alt' || k === 'Control' || k === 'Shift' || k === 'Meta';
  const onInput = (e) => {
    const a = P.armed;
    if (!a || a.start !== null || a.startOn !== 'input') return;
    if (e.type === 'keydown' && isModifier(e.key)) return;
    a.start = e.timeStamp;
  };
  for (const t of ['pointerdown', 'mousedown', 'keydown']) window.addEventListener(t, onInput, true);
  // Frames are watched only while a probe is armed: an idle page is left alone.
  let looping = false;
  const frame = () => {
    const a = P.armed;
    if (!a || a.seen !== null) { looping = false; return; }
    if (a.startOn !== 'input' || a.start !== null) {
      let ok = false;
      try { ok = !!a.test(); } catch (e) { a.error = String(e && e.stack || e); }
      if (ok) {
        a.seen = performance.now();
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { a.painted = performance.now(); };
        ch.port2.postMessage(0);
      }
    }
    requestAnimationFrame(frame);
  };
  P.watch = () => { if (!looping) { looping = true; requestAnimationFrame(frame); } };
  // Helpers the conditions use.
  P.rows = (view) => {
    const pane = [...document.querySelectorAll('.pane')].find((p) => {
      const h = p.querySelector('.pane-header');
      return h && (h.getAttribute('aria-label') || '').startsWith(view);
    });
    return pane ? [...pane.querySelectorAll('.monaco-list-rows > .monaco-list-row')] : [];
  };
  P.label = (row) => ((row.querySelector('.label-name') || {}).textContent || '').trim();
  // A message row under \`parent\`: one level below it, its description "sender · date". The level
  // matters: a saved search's row ("all messages · Inbox · all accounts") reads like a message
  // too, and it comes right after the last folder.
  P.isMessage = (row, parent) => Number(row.getAttribute('aria-level')) === Number(parent.getAttribute('aria-level')) + 1 &&
    ((row.querySelector('.label-description') || {}).textContent || '').includes(' · ');
  P.rowState = (row) => {
    if (!row) return '';
    const icon = row.querySelector('.custom-view-tree-node-item-icon');
    // Unread shows as an icon and a decoration (colour and badge classes on the label).
    const label = row.querySelector('.monaco-icon-label');
    return P.label(row) + '|' + (icon ? icon.className : '') + '|' + (label ? label.className : '') + '|' + (P.unread(row) ? 'unread' : '');
  };
  // The row's accessible label starts with its state ("Unread, flagged: …", "Read: …"). No \b in
  // this script: it is a template literal, where \b is a backspace.
  P.unread = (row) => /^Unread[:,]/.test(row.getAttribute('aria-label') || '');
  P.readerDoc = () => {
    for (const outer of document.querySelectorAll('iframe.webview')) {
      try {
        const inner = outer.contentDocument && outer.contentDocument.querySelector('iframe#active-frame');
        const doc = inner && inner.contentDocument;
        if (doc && doc.getElementById('app')) return doc;
      } catch (e) { /* not ready */ }
    }
    return null;
  };
  P.readerHeading = () => {
    const doc = P.readerDoc();
    return doc ? doc.querySelector('#app h1.subject') : null;
  };
  P.quickPickState = () => {
    const w = document.querySelector('.quick-input-widget');
    if (!w || w.style.display === 'none') return '';
    const title = (w.querySelector('.quick-input-title') || {}).textContent || '';
    const row = w.querySelector('.monaco-list-row.focused');
    return title + '|' + (row ? (row.getAttribute('aria-label') || row.textContent) + '|' + !!row.querySelector('.codicon-star-full') : '');
  };
})()`;

function conditionSource(c: Condition): { setup: string; test: string } {
  const j = JSON.stringify;
  switch (c.kind) {
    case 'firstMessageRow':
      return {
        setup: '',
        test: `(() => { const rows = P.rows(${j(c.view)}); const i = rows.findIndex((r) => P.label(r) === ${j(c.folder)});
          if (i < 0) return false; const folderIndex = Number(rows[i].getAttribute('data-index'));
          const next = rows.find((r) => Number(r.getAttribute('data-index')) === folderIndex + 1);
          return !!next && P.isMessage(next, rows[i]); })()`,
      };
    case 'rowWithLabel':
      return { setup: '', test: `P.rows(${j(c.view)}).some((r) => P.label(r) === ${j(c.label)})` };
    case 'rowChanged': {
      const row = `P.rows(${j(c.view)}).find((r) => Number(r.getAttribute('data-index')) === ${c.index})`;
      return { setup: `a.before = P.rowState(${row});`, test: `(() => { const s = P.rowState(${row}); return s !== '' && s !== a.before; })()` };
    }
    case 'readerShows':
      return {
        setup: 'a.before = P.readerHeading();',
        test: `(() => { const h = P.readerHeading(); if (!h || h === a.before) return false;
          const text = (h.childNodes[0] && h.childNodes[0].textContent || '').trim();
          return text === ${j(c.subject.trim() || '(no subject)')} && !!h.ownerDocument.querySelector('#app article.body'); })()`,
      };
    case 'quickPickChanged':
      return { setup: 'a.before = P.quickPickState();', test: `(() => { const s = P.quickPickState(); return s !== '' && s !== a.before; })()` };
  }
}

export async function installProbe(page: Page): Promise<void> {
  await page.evaluate(INSTALL);
}

/**
 * Arms the probe. `start: 'input'` starts the clock at the page's next input event; a number is
 * an epoch time (ms, performance.timeOrigin + performance.now() of this process) for events that
 * are not input (a message delivered by another client).
 */
export async function arm(page: Page, condition: Condition, start: 'input' | 'given' = 'input'): Promise<void> {
  const { setup, test } = conditionSource(condition);
  await page.evaluate(`(() => {
    const P = window.__mrProbe;
    const a = { startOn: ${JSON.stringify(start)}, start: null, seen: null, painted: null, error: null, before: null };
    ${setup}
    a.test = () => ${test};
    P.armed = a;
    P.watch();
  })()`);
}

/** For `start: 'given'`: the start as an epoch time of this process. */
export async function setStart(page: Page, epochMs: number): Promise<void> {
  await page.evaluate(`(() => { const a = window.__mrProbe.armed; if (a) a.start = ${epochMs} - performance.timeOrigin; })()`);
}

/** This process's clock as an epoch time, comparable with the page's performance.timeOrigin + now(). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits for the armed measurement; null when the condition did not hold within `timeoutMs`. */
export async function result(page: Page, timeoutMs: number): Promise<ProbeResult | null> {
  try {
    await page.waitForFunction('(() => { const a = window.__mrProbe.armed; return !!a && (a.painted !== null || a.error !== null); })()', undefined, { timeout: timeoutMs, polling: 20 });
  } catch {
    await disarm(page);
    return null;
  }
  const r = await page.evaluate('(() => { const a = window.__mrProbe.armed; window.__mrProbe.armed = null; return { start: a.start, seen: a.seen, painted: a.painted, error: a.error }; })()') as
    { start: number | null; seen: number | null; painted: number | null; error: string | null };
  if (r.error) throw new Error(`probe condition failed in the page: ${r.error}`);
  if (r.start === null || r.seen === null || r.painted === null) throw new Error('probe finished without a start');
  return { ms: r.painted - r.start, seenMs: r.seen - r.start };
}

export async function disarm(page: Page): Promise<void> {
  await page.evaluate('(() => { if (window.__mrProbe) window.__mrProbe.armed = null; })()').catch(() => undefined);
}

/**
 * Start-up timing for a window that is about to load (install before page.reload()): from the
 * navigation start, when the view `view` is first visible and when its rendered rows first read
 * `expected` (labels, in order). Read with readStartup().
 */
export function startupProbeScript(view: string, expected: string[]): string {
  return `(() => {
    if (window.top !== window || window.__mrStartup) return;
    const S = window.__mrStartup = { viewVisible: null, filled: null, filledSeen: null };
    const view = ${JSON.stringify(view)};
    const expected = ${JSON.stringify(expected)};
    const pane = () => [...document.querySelectorAll('.pane')].find((p) => {
      const h = p.querySelector('.pane-header');
      return h && (h.getAttribute('aria-label') || '').startsWith(view);
    });
    const frame = () => {
      const p = pane();
      const body = p && p.querySelector('.pane-body');
      if (S.viewVisible === null && body && body.offsetHeight > 0 && body.offsetWidth > 0) S.viewVisible = performance.now();
      if (S.viewVisible !== null && S.filledSeen === null) {
        const labels = [...p.querySelectorAll('.monaco-list-rows > .monaco-list-row')]
          .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
          .map((r) => ((r.querySelector('.label-name') || {}).textContent || '').trim());
        if (labels.length >= expected.length && expected.every((l, i) => labels[i] === l)) {
          S.filledSeen = performance.now();
          const ch = new MessageChannel();
          ch.port1.onmessage = () => { S.filled = performance.now(); };
          ch.port2.postMessage(0);
        }
      }
      if (S.filled === null) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  })()`;
}

export async function readStartup(page: Page, timeoutMs: number): Promise<{ viewVisibleMs: number; filledMs: number } | null> {
  try {
    await page.waitForFunction('!!window.__mrStartup && window.__mrStartup.filled !== null', undefined, { timeout: timeoutMs, polling: 50 });
  } catch {
    return null;
  }
  const s = await page.evaluate('({ ...window.__mrStartup })') as { viewVisible: number; filled: number };
  return { viewVisibleMs: s.viewVisible, filledMs: s.filled };
}

/** The labels of the rendered rows of `view`, in order. */
export async function rowLabels(page: Page, view: string): Promise<string[]> {
  await installProbe(page);
  return page.evaluate(`window.__mrProbe.rows(${JSON.stringify(view)})
    .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
    .map((r) => window.__mrProbe.label(r))`) as Promise<string[]>;
}
