/**
 * Drives the code-server workbench with playwright-core and Debian's Chromium (/usr/bin/chromium;
 * `npx playwright install` cannot download browsers here).
 *
 * DOM facts of code-server 4.139.1 / VS Code 1.139.1 these helpers rely on:
 *  - activity bar item: `.activitybar .action-item a.action-label[aria-label]`; the aria-label is
 *    the container title, or "<title> - <badge tooltip>" while a view in it shows a badge
 *    (badge number in `.badge .badge-content`);
 *  - a view: `.pane:has(.pane-header[aria-label="<view name> Section"])`; with a single view in
 *    the container the pane header is present but `display: none` (the sidebar title then reads
 *    "<container>: <view>");
 *  - tree rows: `.monaco-list-row[role=treeitem]`, label in `.label-name`, description in
 *    `.label-description`; the row's aria-label is the item's tooltip (string) or its label;
 *  - quick input (palette, showQuickPick, showInputBox): `.quick-input-widget`; its input is
 *    `.quick-input-box input` (type="password" for showInputBox({ password: true })), the prompt
 *    is `.quick-input-message`, items are `.monaco-list-row[role=option]` with `.label-name`;
 *  - notifications: `.notifications-toasts .notification-toast`, text in
 *    `.notification-list-item-message`, buttons in `.notification-list-item-buttons-container`;
 *  - webviews: `iframe.webview.ready` (in an overlay outside the editor DOM) containing
 *    `iframe#active-frame` with the extension's HTML.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT, type CodeServer } from './code-server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const DEFAULT_ARTIFACTS_DIR = path.join(REPO_ROOT, '.test-artifacts', 'e2e');

export interface Workbench {
  page: Page;
  browser: Browser;
  /** page console, "%c" styling removed; extension console.* lines read "[Extension Host] …" */
  consoleLines: string[];
  /** F1, type ">title", pick the matching row (exact label preferred), Enter */
  runCommand(title: string): Promise<void>;
  /** the quick input the person can use: shown, not in its closing animation */
  quickInput(): Locator;
  /** fills the visible quick input (also password boxes); Enter unless submit === false */
  fillQuickInput(text: string, submit?: boolean): Promise<void>;
  /** clicks the first quick-pick row whose text contains labelContains */
  pickQuickItem(labelContains: string): Promise<void>;
  /** clicks the activity bar item (no-op when its container is already shown) */
  openViewContainer(title: string): Promise<void>;
  /** rows of the tree view `viewTitle` */
  treeRows(viewTitle: string): Locator;
  /** the row whose label is exactly `label` (string) or matches it (RegExp) */
  treeRow(viewTitle: string, label: string | RegExp): Locator;
  /** treeRow, after scrolling the view until the row is rendered (rows are virtualised); throws when none appears in time */
  revealTreeRow(viewTitle: string, label: string | RegExp, timeoutMs?: number): Promise<Locator>;
  /** revealTreeRow, then a click if the row is not already expanded (`expanded`) or collapsed (`!expanded`) */
  setTreeRowExpanded(viewTitle: string, label: string | RegExp, expanded: boolean): Promise<Locator>;
  /** the content frame of the visible webview (the last visible one when several are) */
  webviewFrame(): FrameLocator;
  /** toast messages (.notification-list-item-message); allTextContents() for their texts */
  notifications(): Locator;
  /** saves <screenshotsDir>/<name>.png and returns its path */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  /** default <repo>/.test-artifacts/e2e/ */
  screenshotsDir?: string;
  /** how long to wait for the workbench; default 60 s */
  timeoutMs?: number;
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const exact = (s: string) => new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);

/** "%c[Extension Host] %cmsg color: blue color: " -> "[Extension Host] msg" */
export function cleanConsoleText(text: string): string {
  const styles = (text.match(/%c/g) ?? []).length;
  if (!styles) return text;
  let s = text.replace(/%c/g, '');
  for (let i = 0; i < styles; i++) s = s.replace(/ ?color: ?(#[0-9a-fA-F]{3,8}|[a-z]+)?;?/, '');
  return s.trim();
}

/** `server` is a started code-server, or any workbench URL with a folder for the browser's temp files. */
export async function openWorkbench(
  server: Pick<CodeServer, 'url' | 'runDir'>,
  opts: WorkbenchOptions = {},
): Promise<Workbench> {
  const screenshotsDir = opts.screenshotsDir ?? DEFAULT_ARTIFACTS_DIR;
  const timeout = opts.timeoutMs ?? 60_000;
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} missing: run scripts/lib/code-server.sh (installs Debian's chromium)`);
  }
  // Chromium's temp and crash files go to a fresh dir that close() removes; it is inside the
  // server's run dir, so the server's watchdog removes it too when the test process is killed.
  const profileTmp = fs.mkdtempSync(path.join(fs.existsSync(server.runDir) ? server.runDir : os.tmpdir(), 'chromium-'));
  // Playwright makes its new profile (--user-data-dir) and artifacts dirs in os.tmpdir(), which
  // reads TMPDIR: point it into profileTmp for the launch.
  const savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = profileTmp;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, `--crash-dumps-dir=${profileTmp}`],
      // Debian's wrapper and Chromium write to $XDG_CONFIG_HOME/chromium ("Crash Reports") otherwise.
      env: { ...process.env, TMPDIR: profileTmp, XDG_CONFIG_HOME: profileTmp, XDG_CACHE_HOME: profileTmp },
    });
  } catch (e) {
    fs.rmSync(profileTmp, { recursive: true, force: true });
    throw e;
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
  }
  const closeBrowser = async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([browser.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    fs.rmSync(profileTmp, { recursive: true, force: true });
  };
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => {
      const type = m.type();
      consoleLines.push((type === 'log' || type === 'info' ? '' : `[${type}] `) + cleanConsoleText(m.text()));
    });
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e.message}`));

    await page.goto(server.url, { timeout });
    await page.locator('.monaco-workbench .activitybar .action-item').first().waitFor({ timeout });
    await dismissToasts(page);

    // A hidden or closing widget keeps the last step's title and placeholder in the DOM: read
    // through it, a test took a step that was closing for the next one and typed into nothing.
    const quickInput = () => page.locator(QUICK_INPUT);
    const quickBox = () => quickInput().locator('.quick-input-box input');

    const wb: Workbench = {
      page,
      browser,
      consoleLines,
      quickInput,

      async runCommand(title: string) {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const rows = quickInput().locator('.monaco-list-row');
          const match = rows.filter({ has: page.locator('.label-name', { hasText: title }) });
          try {
            await openPalette(page);
            // An editor that finishes loading (an image preview, a webview) may take the focus
            // and close the palette while it is being typed into: then it is opened again.
            await quickBox().fill(`>${title}`, { timeout: 5000 });
            await match.first().waitFor({ timeout: 5000 });
          } catch (e) {
            await page.keyboard.press('Escape');
            if (Date.now() > deadline) throw new Error(`runCommand: no palette entry "${title}"`, { cause: e });
            continue;
          }
          // Prefer the row whose label is exactly the title; else the first one containing it.
          const exactRow = rows.filter({ has: page.locator('.label-name', { hasText: exact(title) }) }).first();
          const row = (await exactRow.count()) ? exactRow : match.first();
          if (!(await row.evaluate((el) => el.classList.contains('focused')))) await row.click();
          else await page.keyboard.press('Enter');
          // Closed, or replaced by the command's own quick input.
          await page.waitForFunction(
            `(() => {
              const w = document.querySelector('.quick-input-widget');
              const i = w && w.querySelector('.quick-input-box input');
              return !w || w.style.display === 'none' || !i || i.value !== ${JSON.stringify('>' + title)};
            })()`,
            undefined,
            { timeout: 10_000 },
          );
          return;
        }
      },

      async fillQuickInput(text: string, submit = true) {
        await quickBox().waitFor({ state: 'visible' });
        await quickBox().fill(text);
        if (submit) await quickBox().press('Enter');
      },

      async pickQuickItem(labelContains: string) {
        const row = quickInput().locator('.monaco-list-row').filter({ hasText: labelContains }).first();
        await row.click();
      },

      async openViewContainer(title: string) {
        const item = page
          .locator('.activitybar .action-item')
          .filter({
            has: page.locator(
              `a.action-label[aria-label="${esc(title)}"], a.action-label[aria-label^="${esc(title)} - "]`,
            ),
          })
          .first();
        await item.waitFor({ timeout });
        // Clicking the item of the container already shown would close the side bar, and right
        // after a window reload the item can say 'checked' while the side bar is still hidden: so
        // look at both, and click again until the side bar shows this container.
        const sideBar = page.locator('.part.sidebar');
        const shown = async () =>
          (await item.evaluate((el) => el.classList.contains('checked'))) && (await sideBar.isVisible());
        const deadline = Date.now() + timeout;
        while (!(await shown())) {
          if (Date.now() > deadline) throw new Error(`the view container "${title}" did not open`);
          // The item, not its label: while a view in the container shows progress, a progress badge
          // lies over the label and takes the pointer.
          await item.click();
          await page.waitForTimeout(300);
        }
      },

      treeRows(viewTitle: string) {
        // .monaco-list-rows > …: not the copies sticky scroll renders for the parents of deep rows.
        return page.locator(
          `.pane:has(.pane-header[aria-label^="${esc(viewTitle)}"]) .monaco-list-rows > .monaco-list-row`,
        );
      },

      treeRow(viewTitle: string, label: string | RegExp) {
        return wb
          .treeRows(viewTitle)
          .filter({ has: page.locator('.label-name', { hasText: typeof label === 'string' ? exact(label) : label }) })
          .first();
      },

      async revealTreeRow(viewTitle: string, label: string | RegExp, timeoutMs = 30_000) {
        const row = wb.treeRow(viewTitle, label);
        // Rows are virtualised: each look scans from the top down to the bottom. Waiting for the
        // row while scrolled to the bottom would miss one that appears at the top, as new mail does.
        const list = page.locator(`.pane:has(.pane-header[aria-label^="${esc(viewTitle)}"]) .monaco-list`).first();
        const shown = () =>
          wb
            .treeRows(viewTitle)
            .allTextContents()
            .then((t) => t.join('\n'));
        const deadline = Date.now() + timeoutMs;
        for (let look = 0; !(await row.count()); look++) {
          if (look > 0) {
            if (Date.now() > deadline) throw new Error(`no row ${String(label)} in the ${viewTitle} view`);
            await page.waitForTimeout(250);
          }
          await list.hover();
          await page.mouse.wheel(0, -1e6);
          await page.waitForTimeout(30);
          let last = await shown();
          for (let i = 0; i < 200 && !(await row.count()); i++) {
            await page.mouse.wheel(0, 300);
            await page.waitForTimeout(30);
            const now = await shown();
            if (now === last) break; // the bottom
            last = now;
          }
        }
        await row.scrollIntoViewIfNeeded({ timeout: 10_000 });
        return row;
      },

      async setTreeRowExpanded(viewTitle: string, label: string | RegExp, expanded: boolean) {
        const row = await wb.revealTreeRow(viewTitle, label);
        if (((await row.getAttribute('aria-expanded')) === 'true') !== expanded) await row.click();
        return row;
      },

      webviewFrame() {
        return page
          .locator('iframe.webview.ready')
          .filter({ visible: true })
          .last()
          .contentFrame()
          .locator('#active-frame')
          .contentFrame();
      },

      notifications() {
        return page.locator('.notifications-toasts .notification-toast .notification-list-item-message');
      },

      async screenshot(name: string) {
        fs.mkdirSync(screenshotsDir, { recursive: true });
        const file = path.join(screenshotsDir, `${name.replace(/[^\w.-]+/g, '-').replace(/\.png$/i, '')}.png`);
        await page.screenshot({ path: file });
        return file;
      },

      close: closeBrowser,
    };
    return wb;
  } catch (e) {
    await closeBrowser();
    throw e;
  }
}

const QUICK_INPUT = '.quick-input-widget:not(.quick-input-widget-closing):visible';

/** F1 opens the palette; when a webview iframe holds the focus, give it back to the workbench first. */
async function openPalette(page: Page): Promise<void> {
  const widget = page.locator(QUICK_INPUT);
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.evaluate(`(() => {
      const a = document.activeElement;
      if (a && a.tagName === 'IFRAME') a.blur();
    })()`);
    await page.keyboard.press('F1');
    try {
      await widget.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: 3000 });
      return;
    } catch {
      await page
        .locator('.monaco-workbench .part.statusbar')
        .focus()
        .catch(() => undefined);
    }
  }
  throw new Error('the command palette did not open (F1)');
}

/** Clears toasts present right after start (first-run notices), so they cover nothing. */
async function dismissToasts(page: Page): Promise<void> {
  const clear = page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear');
  for (let i = (await clear.count()) - 1; i >= 0; i--)
    await clear
      .nth(i)
      .click({ force: true })
      .catch(() => undefined);
}

/**
 * On failure: a screenshot plus the page console, the extension host log and code-server's log
 * under <dir>/<name>-*; returns a short text to attach to the assertion error.
 */
export async function saveFailureArtifacts(
  name: string,
  server: CodeServer | undefined,
  wb: Workbench | undefined,
  dir = DEFAULT_ARTIFACTS_DIR,
): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const saved: string[] = [];
  if (wb) {
    saved.push(await wb.screenshot(`${name}-failure`).catch((e) => `(no screenshot: ${e})`));
    const f = path.join(dir, `${name}-console.txt`);
    fs.writeFileSync(f, wb.consoleLines.join('\n'));
    saved.push(f);
  }
  if (server) {
    for (const [file, text] of [
      [`${name}-exthost.log`, server.extensionHostLog()],
      [`${name}-code-server.log`, readIf(path.join(server.runDir, 'code-server.log'))],
    ] as const) {
      const f = path.join(dir, file);
      fs.writeFileSync(f, text);
      saved.push(f);
    }
  }
  const extHost = wb?.consoleLines.filter((l) => l.includes('[Extension Host]')).slice(-20) ?? [];
  const onScreen = wb ? await overlaysOnScreen(wb.page).catch(() => []) : [];
  return [`artifacts: ${saved.join(', ')}`, ...onScreen, ...extHost].join('\n');
}

/**
 * What covers the workbench when a step fails: the quick input (title, prompt or placeholder,
 * first rows), a dialog, the toasts. A CI report carries only the message, not the screenshot.
 */
async function overlaysOnScreen(page: Page): Promise<string[]> {
  const text = async (l: Locator) =>
    ((await l.first().textContent({ timeout: 1000 })) ?? '').replace(/\s+/g, ' ').trim();
  const lines: string[] = [];
  const quick = page.locator('.quick-input-widget');
  if (await quick.isVisible()) {
    const box = quick.locator('.quick-input-box input');
    const rows = await quick.locator('.monaco-list-row').allTextContents();
    lines.push(
      `on screen: quick input ${JSON.stringify({
        classes: await quick.getAttribute('class'),
        title: await text(quick.locator('.quick-input-title')),
        message: await text(quick.locator('.quick-input-message')),
        placeholder: await box.getAttribute('placeholder', { timeout: 1000 }),
        type: await box.getAttribute('type', { timeout: 1000 }),
        rows: rows.slice(0, 5).map((r) => r.replace(/\s+/g, ' ').trim()),
      })}`,
    );
  }
  const dialog = page.locator('.monaco-dialog-box');
  if (await dialog.isVisible()) lines.push(`on screen: dialog ${JSON.stringify(await text(dialog))}`);
  for (const toast of await page.locator('.notification-toast').all())
    if (await toast.isVisible()) lines.push(`on screen: toast ${JSON.stringify((await text(toast)).slice(0, 300))}`);
  return lines;
}

function readIf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
