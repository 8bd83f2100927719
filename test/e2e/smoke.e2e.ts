/**
 * Smoke test of the e2e harness itself, with a throwaway extension (test/e2e/fixtures): code-server
 * starts, the .vsix installs, the view container, its tree and the badge show, commands run from
 * the palette (one asking for a password), notifications show, a webview renders and talks back,
 * the output channel and extension-host console are readable, and screenshots are saved.
 *
 *   node --import tsx --test test/e2e/*.e2e.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeServerInstall, startCodeServer, type CodeServer } from './harness/code-server.js';
import { openWorkbench, saveFailureArtifacts, type Workbench } from './harness/workbench.js';
import { packageVsix } from './harness/vsix.js';
import { SMOKE, writeSmokeExtension } from './fixtures/smoke-extension.js';

let tmp: string;

before(
  async () => {
    // First use on a machine installs code-server (~4 min); not part of the test's own budget.
    await codeServerInstall();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-smoke-'));
  },
  { timeout: 15 * 60_000 },
);

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test(
  'code-server runs a packaged extension: view, tree, palette, notifications, password box, webview',
  { timeout: 120_000 },
  async (t) => {
    const t0 = Date.now();
    const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    let server: CodeServer | undefined;
    let wb: Workbench | undefined;
    try {
      const vsix = await packageVsix(writeSmokeExtension(path.join(tmp, 'ext')), path.join(tmp, 'mailroom-smoke.vsix'));
      lap('vsix packaged');
      const workspace = path.join(tmp, 'workspace');
      fs.mkdirSync(workspace);
      fs.writeFileSync(path.join(workspace, 'notes.txt'), 'smoke\n');

      server = await startCodeServer({ vsix, workspace, env: { MAILROOM_SMOKE_ENV: 'passed-through' } });
      lap(`code-server up on port ${server.port}`);
      wb = await openWorkbench(server);
      lap('workbench ready');

      // The view container, its tree and the badge.
      await wb.openViewContainer(SMOKE.containerTitle);
      const row = wb.treeRow(SMOKE.viewTitle, SMOKE.itemLabel);
      await row.waitFor({ timeout: 45_000 });
      assert.equal(await wb.treeRows(SMOKE.viewTitle).count(), 1);
      assert.equal((await row.locator('.label-description').textContent())?.trim(), SMOKE.itemDescription);
      const badge = wb.page.locator(
        `.activitybar .action-item:has(a[aria-label^="${SMOKE.containerTitle}"]) .badge-content`,
      );
      await assert.doesNotReject(badge.filter({ hasText: '3' }).waitFor({ timeout: 10_000 }), 'activity bar badge "3"');
      lap('tree row and badge visible');

      // A command from the palette shows a notification.
      await wb.runCommand(SMOKE.helloCommand);
      await wb.notifications().filter({ hasText: SMOKE.helloMessage }).waitFor({ timeout: 10_000 });
      lap('command ran, notification shown');

      // A password input box is the same quick input, with type=password.
      await wb.runCommand(SMOKE.passwordCommand);
      const box = wb.quickInput().locator('.quick-input-box input');
      await box.waitFor({ state: 'visible' });
      assert.equal(await box.getAttribute('type'), 'password');
      assert.match((await wb.quickInput().locator('.quick-input-message').textContent()) ?? '', /IMAP password/);
      await wb.fillQuickInput('s3cret!');
      await wb.notifications().filter({ hasText: 'Password length: 7' }).waitFor({ timeout: 10_000 });
      lap('password box answered');

      // A webview renders, and a click in it reaches the extension.
      await wb.runCommand(SMOKE.webviewCommand);
      const frame = wb.webviewFrame();
      await frame.locator('#greeting').waitFor({ timeout: 20_000 });
      assert.equal(await frame.locator('#greeting').textContent(), SMOKE.webviewText);
      await frame.getByRole('button', { name: SMOKE.webviewButton }).click();
      await wb.notifications().filter({ hasText: SMOKE.pongMessage }).waitFor({ timeout: 10_000 });
      lap('webview rendered and answered');
      const shot = await wb.screenshot('smoke-webview');
      assert.ok(fs.statSync(shot).size > 10_000, `screenshot ${shot}`);

      // The palette still opens while the webview has the focus.
      await wb.runCommand(SMOKE.helloCommand);
      await until(
        () => (server!.outputChannel(SMOKE.outputChannel).match(/hello command ran/g) ?? []).length === 2,
        'second hello',
      );

      // Diagnostics the real tests rely on.
      const output = server.outputChannel(SMOKE.outputChannel);
      assert.match(output, new RegExp(SMOKE.activatedLine));
      assert.match(output, /env MAILROOM_SMOKE_ENV=passed-through/);
      assert.ok(output.includes(`tmpdir ${server.runDir}`), `extension host TMPDIR is in the run dir:\n${output}`);

      assert.match(server.extensionHostLog(), /mailroom-test\.mailroom-smoke/);
      assert.ok(
        wb.consoleLines.some((l) => l === `[Extension Host] ${SMOKE.activatedLine}`),
        `console has the extension's line:\n${wb.consoleLines.filter((l) => l.includes('Extension Host')).join('\n')}`,
      );

      await wb.openViewContainer(SMOKE.containerTitle);
      lap(`screenshots saved: ${shot}, ${await wb.screenshot('smoke-tree')}`);
    } catch (e) {
      const report = await saveFailureArtifacts('smoke', server, wb).catch((err) => `(no artifacts: ${err})`);
      throw new Error(`${(e as Error).message}\n${report}`, { cause: e });
    } finally {
      await wb?.close();
      const runDir = server?.runDir;
      await server?.stop();
      lap('stopped');
      if (runDir) assert.equal(lingering(runDir), '', 'no code-server process left');
    }
  },
);

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Processes whose command line mentions s (pgrep -f), '' if none. */
function lingering(s: string): string {
  try {
    return execFileSync('pgrep', ['-af', s], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
