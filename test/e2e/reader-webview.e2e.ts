/**
 * The reader webview on its own, in Debian's Chromium: the packaged bundle (dist/webview/reader.js)
 * and media/reader.css in a page whose `acquireVsCodeApi` records what the webview posts. Checks
 * what only a browser can: how many requests a click sends, and where a mail's CSS can draw.
 *
 *   npm run build && node --import tsx --test test/e2e/reader-webview.e2e.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ReaderMessage, ReaderToHost } from '../../src/shared/reader-protocol';
import { sanitizeHtml } from '../../src/core/reading/sanitize';
import { REPO_ROOT } from './harness/code-server';
import { CHROMIUM, CHROMIUM_ARGS } from './harness/workbench';

let dir: string;
let browser: Browser;

before(async () => {
  const bundle = join(REPO_ROOT, 'dist', 'webview', 'reader.js');
  assert.ok(existsSync(bundle), 'run `npm run build` (or `npm run package`) first');
  dir = mkdtempSync(join(tmpdir(), 'mailroom-webview-'));
  const url = (...p: string[]) => pathToFileURL(join(REPO_ROOT, ...p)).href;
  writeFileSync(
    join(dir, 'reader.html'),
    `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="${url('dist', 'webview', 'codicon.css')}"><link rel="stylesheet" href="${url('media', 'reader.css')}">
<script>window.posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => window.saved, setState: (s) => { window.saved = s; } });</script>
</head><body><main id="app"></main><script src="${url('dist', 'webview', 'reader.js')}"></script></body></html>`,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--crash-dumps-dir=${dir}`],
    env: { ...process.env, XDG_CONFIG_HOME: dir, XDG_CACHE_HOME: dir },
  });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function message(body: ReaderMessage['body'], attachments: ReaderMessage['attachments'] = []): ReaderMessage {
  return {
    key: 'm1',
    subject: 'Hostile',
    from: [{ name: 'Mallory', address: 'mallory@example.test' }],
    to: [],
    cc: [],
    flags: ['\\Seen'],
    body,
    remoteBlocked: 0,
    remoteAllowed: false,
    attachments,
    warnings: [],
    truncated: false,
  };
}

async function show(m: ReaderMessage): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  await page.goto(pathToFileURL(join(dir, 'reader.html')).href);
  await page.evaluate(
    (msg) =>
      (globalThis as unknown as { postMessage(m: unknown, origin: string): void }).postMessage(
        { type: 'show', message: msg },
        '*',
      ),
    m,
  );
  await page.locator('h1.subject', { hasText: m.subject }).waitFor();
  return page;
}

const posted = (page: Page) => page.evaluate(() => (globalThis as unknown as { posted: ReaderToHost[] }).posted);

test('a click on a link in a mail sends one openLink, nothing else', async () => {
  const page = await show(
    message([
      {
        kind: 'html',
        html: sanitizeHtml('<p>Read <a href="https://example.com/x">the post</a></p>', { allowRemote: false }).html,
      },
    ]),
  );
  await page.locator('.mail-html a', { hasText: 'the post' }).click();
  await page.waitForTimeout(300);
  assert.deepEqual(
    (await posted(page)).filter((m) => m.type === 'openLink'),
    [{ type: 'openLink', href: 'https://example.com/x' }],
  );
  await page.close();
});

test('a link in a plain-text part sends one openLink too', async () => {
  const page = await show(message([{ kind: 'text', text: 'See https://example.com/y for more' }]));
  await page.locator('.mail-text a').click();
  await page.waitForTimeout(300);
  assert.deepEqual(
    (await posted(page)).filter((m) => m.type === 'openLink'),
    [{ type: 'openLink', href: 'https://example.com/y' }],
  );
  await page.close();
});

// Unsanitized on purpose: this is the webview's own line of defence, for CSS the host's
// allowlist would not catch.
const ESCAPING_HTML = `<style>
  .bar { position: fixed; top: 0; left: 0; right: 0; height: 80px; z-index: 2147483647; background: #c00; }
  .veil { position: fixed; inset: 0; z-index: 2147483646; pointer-events: none; background: rgba(255, 0, 0, .3); }
  .up { position: absolute; top: -400px; left: 0; width: 100%; height: 300px; background: #0c0; }
</style>
<div class="bar"><a href="https://evil.example/">Archive Delete Flag Mark Unread</a></div>
<div class="veil">Verified sender</div><div class="up">up</div><p>Body text</p>`;

test("whatever a mail's CSS says, it draws inside its box and under the reader's toolbar", async () => {
  const page = await show(message([{ kind: 'html', html: ESCAPING_HTML }]));
  const result = await page.locator('.mail-html').evaluate((host) => {
    const document = host.ownerDocument;
    const box = host.getBoundingClientRect();
    const fixed = [...host.shadowRoot!.querySelectorAll('.bar, .veil')].map((e) => e.getBoundingClientRect());
    const buttons = [...document.querySelectorAll('.toolbar vscode-button')].map((b) => {
      const r = b.getBoundingClientRect();
      const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return { label: b.textContent?.trim(), hitIsButton: !!hit && (hit === b || b.contains(hit)) };
    });
    return {
      box: { top: box.top, bottom: box.bottom, left: box.left, right: box.right },
      fixed: fixed.map((r) => ({ top: r.top, bottom: r.bottom, left: r.left, right: r.right })),
      buttons,
    };
  });
  for (const r of result.fixed) {
    assert.ok(
      r.top >= result.box.top - 1 && r.left >= result.box.left - 1 && r.right <= result.box.right + 1,
      `fixed element ${JSON.stringify(r)} inside the box ${JSON.stringify(result.box)}`,
    );
  }
  assert.ok(result.buttons.length >= 5);
  for (const b of result.buttons) assert.ok(b.hitIsButton, `a click on "${b.label}" reaches the button, not the mail`);
  await page.close();
});

test('thousands of attachments: the first 100 are listed at once, the others one click away', async () => {
  const attachments = Array.from({ length: 4400 }, (_, i) => ({
    part: `2.${i + 1}`,
    filename: `image${i}.png`,
    type: 'image/png',
    size: 70,
  }));
  const page = await show(message([{ kind: 'text', text: 'Many parts' }], attachments));
  const rows = page.locator('ul.attachments > li');
  assert.equal(await rows.count(), 100);
  assert.match(await page.locator('.attachment-section h2').innerText(), /Attachments \(4400\)/);
  await page.locator('.attachment-section vscode-button', { hasText: 'Show 4300 more' }).click();
  await page.waitForFunction("document.querySelectorAll('ul.attachments > li').length === 4400", undefined, {
    timeout: 60_000,
  });
  await rows.last().locator('vscode-button', { hasText: 'Save' }).click();
  assert.deepEqual(
    (await posted(page)).filter((m) => m.type === 'saveAttachment'),
    [{ type: 'saveAttachment', key: 'm1', part: '2.4400', open: false }],
  );
  await page.close();
});
