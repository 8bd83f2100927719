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

const sent = async (page: Page, type: string) => (await posted(page)).filter((m) => m.type === type);

test("a list mail's bar offers Unsubscribe, Reply to List and Open Archive; each click sends one command naming only the action", async () => {
  const page = await show({
    ...message([{ kind: 'text', text: 'Digest' }]),
    list: { name: 'Developers', unsubscribe: 'oneClick', replyToList: true, archive: true },
  });
  const bar = page.locator('nav.list-bar');
  assert.match(await bar.innerText(), /Mailing list: Developers/);
  for (const [label, action] of [
    ['Unsubscribe', 'unsubscribe'],
    ['Reply to List', 'replyToList'],
    ['Open Archive', 'openArchive'],
  ] as const) {
    await bar.locator('vscode-button', { hasText: label }).click();
    assert.deepEqual((await sent(page, 'list')).at(-1), { type: 'list', key: 'm1', action });
  }
  assert.equal((await sent(page, 'list')).length, 3);
  await page.close();
  const plain = await show(message([{ kind: 'text', text: 'Not from a list' }]));
  assert.equal(await plain.locator('nav.list-bar').count(), 0);
  await plain.close();
});

test('quoted text and the signature are dimmed and foldable; a trailing long quote starts folded', async () => {
  const text = ['Yes, Thursday.', '', 'On Mon, Ann wrote:', '> a', '> b', '> c', '> d', '-- ', 'Bob'].join('\n');
  const page = await show(message([{ kind: 'text', text }]));
  const quote = page.locator('.mail-text details.quote');
  assert.equal(await quote.count(), 1);
  assert.equal(await quote.getAttribute('open'), null, 'folded');
  assert.match(await quote.locator('summary').innerText(), /Quoted text \(4 lines\)/);
  assert.equal(await quote.locator('.folded').isVisible(), false);
  await quote.locator('summary').click();
  assert.equal(await quote.locator('.folded').isVisible(), true);
  const signature = page.locator('.mail-text details.signature');
  assert.equal(await signature.locator('.folded').innerText(), '-- \nBob');
  const opacity = (selector: string) =>
    page.evaluate(
      `Number(getComputedStyle(document.querySelector(${JSON.stringify(selector)})).opacity)`,
    ) as Promise<number>;
  assert.equal(await opacity('.mail-text'), 1);
  assert.ok((await opacity('details.quote .folded')) < 1, 'the quote is dimmed');
  assert.ok((await opacity('details.signature .folded')) < 1, 'the signature is dimmed');
  await page.close();
});

test('every link shows its real URL on hover before the click, in HTML and in plain text; blockquotes fold', async () => {
  const page = await show(
    message([
      {
        kind: 'html',
        html: sanitizeHtml(
          '<p><a href="https://evil.example/login" title="Your bank">https://bank.example</a></p><blockquote>old <blockquote>older</blockquote></blockquote>',
          { allowRemote: false },
        ).html,
      },
      { kind: 'text', text: 'See https://example.com/y' },
    ]),
  );
  const titles = await page
    .locator('.mail-html')
    .evaluate((h) => [...h.shadowRoot!.querySelectorAll('a')].map((a) => a.getAttribute('title')));
  assert.deepEqual(titles, ['https://evil.example/login\nYour bank']);
  assert.equal(await page.locator('.mail-text a').getAttribute('title'), 'https://example.com/y');
  const quotes = await page
    .locator('.mail-html')
    .evaluate((h) => h.shadowRoot!.querySelectorAll('details.quote > blockquote').length);
  assert.equal(quotes, 1, 'only the outer blockquote is wrapped');
  await page.close();
});

test("keywords show as text, hostile ones included; Edit sends editKeywords; the date reads like a person's", async () => {
  const page = await show({
    ...message([{ kind: 'text', text: 'x' }]),
    flags: ['\\Seen', '$Important', '<img src=x onerror=alert(1)>'],
    date: new Date(Date.now() - 3 * 3600_000).toISOString(),
  });
  const keywords = page.locator('dd.keywords .keyword');
  assert.deepEqual(await keywords.allInnerTexts(), ['$Important', '<img src=x onerror=alert(1)>']);
  assert.equal(await page.locator('dd.keywords img').count(), 0);
  await page.locator('dd.keywords vscode-button').click();
  assert.deepEqual(await sent(page, 'editKeywords'), [{ type: 'editKeywords', key: 'm1' }]);
  const date = await page.locator('dl.headers time').innerText();
  assert.match(date, /^\S+ .+ · 3 hours ago$/, date);
  await page.close();
});

test('junk: the banner says why remote content stays blocked and offers no way to load it', async () => {
  const page = await show({
    ...message([{ kind: 'text', text: 'x' }]),
    remoteBlocked: 2,
    remoteRefused: 'Remote content is never loaded for mail in the Junk folder.',
  });
  const banner = page.locator('.banner.junk');
  assert.match(await banner.innerText(), /never loaded for mail in the Junk folder/);
  assert.equal(await banner.locator('vscode-button').count(), 0);
  await page.close();
});

test('Tab reaches every button, fold and link of the reader, each with a visible focus ring', async () => {
  const text = ['Hi https://example.com/a', '> q1', '> q2', '-- ', 'sig'].join('\n');
  const page = await show({
    ...message([{ kind: 'text', text }], [{ part: '2', filename: 'a.pdf', type: 'application/pdf', size: 10 }]),
    list: { unsubscribe: 'web', replyToList: false, archive: true },
  });
  const reached: string[] = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    // What has the focus, and whether it draws an outline (the ring) now.
    const focus = (await page.evaluate(`(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return undefined;
      const style = getComputedStyle(a);
      const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      return a.tagName.toLowerCase() + ':' + (a.textContent || '').trim().slice(0, 40) + ':' + ring;
    })()`)) as string | undefined;
    if (focus) reached.push(focus);
  }
  for (const want of ['Archive', 'View Source', 'All Headers', 'Unsubscribe', 'Open Archive', 'Add…', 'Save…', 'Open'])
    assert.ok(reached.includes(`vscode-button:${want}:true`), `${want} reached: ${reached.join(' | ')}`);
  assert.ok(reached.includes('a:https://example.com/a:true'), reached.join(' | '));
  assert.ok(reached.includes('summary:Quoted text (2 lines):true'), reached.join(' | '));
  await page.close();
});

test('a message the server cannot give now shows its own subject and sender, and Retry asks for it again', async () => {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(join(dir, 'reader.html')).href);
  await page.evaluate(() =>
    (globalThis as unknown as { postMessage(m: unknown, origin: string): void }).postMessage(
      {
        type: 'unavailable',
        message: {
          key: 'm7',
          subject: 'Quarterly report',
          from: [{ name: 'Ann Lee', address: 'ann@example.test' }],
          text: 'Alice cannot be reached right now.',
        },
      },
      '*',
    ),
  );
  await page.locator('h1.subject', { hasText: 'Quarterly report' }).waitFor();
  assert.match(await page.locator('dl.headers').innerText(), /Ann Lee <ann@example.test>/);
  await page.locator('.unavailable vscode-button', { hasText: 'Retry' }).click();
  assert.deepEqual(await sent(page, 'retry'), [{ type: 'retry', key: 'm7' }]);
  await page.close();
});

test('a part whose characters did not decode offers "Show as…"; picking a charset sends one redecode for that part', async () => {
  const page = await show(
    message([
      { kind: 'text', text: 'caf\ufffd', part: '1', undecodable: true },
      { kind: 'text', text: 'fine', part: '2' },
    ]),
  );
  const pickers = page.locator('.encoding select');
  assert.equal(await pickers.count(), 1, 'only the part that did not decode');
  await pickers.selectOption('windows-1252');
  assert.deepEqual(await sent(page, 'redecode'), [{ type: 'redecode', key: 'm1', part: '1', charset: 'windows-1252' }]);
  await page.close();
});
