/**
 * Adding accounts and signing in, end to end: the packaged extension in code-server, a private
 * Dovecot (password and OAuth2 logins) with Postfix for submission, and a real OAuth 2.0 server
 * (oidc-provider, test/harness/auth-server.ts) whose pages are driven in the same Chromium.
 *
 * code-server is a web window: the loopback redirect of the extension host is mapped by
 * asExternalUri to code-server's /proxy/<port>/ path, which no provider accepts as a loopback
 * redirect, so Mailroom signs in with the device code (RFC 8628) there. This file tests that route
 * (the browser + loopback route is covered by test/integration/oauth-sign-in.test.ts). code-server
 * also rewrites every loopback URL it opens with openExternal to that proxy path: the test checks
 * that the device page with the code was opened, then goes to the page the notification names
 * (as a person would type it) in a browser context that trusts the test CA.
 *
 *   npm run package && node --import tsx --test test/e2e/signin.e2e.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AuthServer } from '../harness/auth-server';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { startPostfix, type PostfixServer } from '../harness/postfix';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { openWorkbench, type Workbench } from './harness/workbench';
import { eventually, failureSteps } from './harness/steps';

const VIEW = 'Mailboxes';
let dovecot: TestServer;
let postfix: PostfixServer;
let oauth: AuthServer;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let workspace: string;
const step = failureSteps('signin', () => ({ server, wb }));

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
const description = async (label: string | RegExp) =>
  (await row(label).locator('.label-description').first().textContent())?.trim() ?? '';
const quickTitle = async () => ((await wb!.quickInput().locator('.quick-input-title').textContent()) ?? '').trim();
const quickValue = () => wb!.quickInput().locator('.quick-input-box input').inputValue();

/** Waits for the quick input whose prompt or placeholder matches `prompt`, then types `value` and Enter. */
async function answerStep(prompt: RegExp, value: string): Promise<void> {
  await eventually(`the step ${prompt}`, async () => prompt.test(await wb!.quickInput().innerText()));
  await wb!.fillQuickInput(value);
}

async function pickStep(placeholder: RegExp, item: string): Promise<void> {
  await eventually(`the step ${placeholder}`, async () => {
    const p = await wb!.quickInput().locator('.quick-input-box input').getAttribute('placeholder');
    return placeholder.test(p ?? '');
  });
  await wb!.pickQuickItem(item);
}

/** The toast whose text matches, and a click on one of its buttons. */
async function clickToastButton(text: RegExp, button: string): Promise<string> {
  const toast = wb!.page.locator('.notification-toast', { hasText: text }).first();
  await toast.waitFor({ timeout: 60_000 });
  const said = (await toast.locator('.notification-list-item-message').innerText()).trim();
  await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: button }).click();
  return said;
}

/** VS Code's own file dialog (code-server has no native one): the path, then Enter. */
async function chooseFile(file: string): Promise<void> {
  const box = wb!.quickInput().locator('.quick-input-box input');
  await eventually('the file dialog', async () => /CA certificate \(PEM\)/.test(await quickTitle()));
  // The dialog fills in its start folder once it has listed it, in steps (first /tmp/, then the
  // workspace): a path typed in between gets the rest appended. Type it until it stays as typed.
  await eventually('the path typed', async () => {
    await box.fill(file);
    await wb!.page.waitForTimeout(500);
    return (await box.inputValue()) === file;
  });
  await box.press('Enter');
}

function userSettings(): Record<string, unknown> {
  const dir = join(server!.runDir, 'user-data', 'User');
  return JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
}

function everyLog(): string {
  const logs = join(server!.runDir, 'user-data', 'logs');
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) out.push(readFileSync(p, 'utf8'));
    }
  };
  if (existsSync(logs)) walk(logs);
  return out.join('\n');
}

/** Every token, code and secret the authorization server issued or was shown. */
function oauthSecrets(): string[] {
  const out = new Set<string>();
  for (const r of oauth.requests) {
    for (const k of ['access_token', 'refresh_token', 'device_code', 'id_token'])
      if (typeof r.body[k] === 'string') out.add(r.body[k] as string);
    for (const k of ['code', 'code_verifier', 'refresh_token', 'device_code']) if (r.params[k]) out.add(r.params[k]!);
  }
  return [...out];
}

/** The authorization server's pages in the browser: code confirmation, login as alice, consent. */
async function completeOnServer(page: Page): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await page.waitForLoadState('domcontentloaded');
    const title = await page.title();
    if (/Signed in/.test(title) || /Signed in/.test(await page.locator('body').innerText())) return;
    if (await page.locator('input[name="login"]').count()) {
      await page.locator('input[name="login"]').fill(oauth.users.alice.login);
      await page.locator('input[name="password"]').fill(oauth.users.alice.password);
      await Promise.all([page.waitForNavigation(), page.locator('button[type="submit"]').click()]);
    } else if (await page.locator('form[data-choice="allow"]').count()) {
      await Promise.all([page.waitForNavigation(), page.locator('form[data-choice="allow"] button').click()]);
    } else if (await page.locator('form').count()) {
      // The device code confirmation: oidc-provider's form of hidden fields, sent as "Continue".
      await Promise.all([page.waitForNavigation(), page.evaluate('document.forms[0].submit()')]);
    } else {
      throw new Error(`unexpected page on the authorization server: ${await page.content()}`);
    }
  }
  throw new Error('the authorization server never said "Signed in"');
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot({ oauth2: true, submission: true });
    oauth = dovecot.oauth!;
    postfix = await startPostfix(dovecot);
    workspace = mkdtempSync(join(tmpdir(), 'mailroom-signin-ws-'));
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    server = await startCodeServer({
      vsix,
      workspace,
      userSettings: {
        // Bob has no saved password: the view asks for it as soon as it opens.
        'mailroom.accounts': [
          {
            name: 'Bob',
            host: dovecot.host,
            port: dovecot.imapsPort,
            security: 'tls',
            user: dovecot.users.bob.user,
            caFile: dovecot.caFile,
          },
        ],
        'mailroom.notifications': false,
      },
    });
    wb = await openWorkbench(server);
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await wb?.close();
  await server?.stop();
  await postfix?.dispose();
  await dovecot?.dispose();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test(
  'behind the password prompt the account says "Connecting…"; Escape makes it "Not signed in" and the status bar says a password is needed',
  { timeout: 120_000 },
  () =>
    step('escape', async () => {
      await wb!.openViewContainer('Mailroom');
      const box = wb!.quickInput();
      await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'visible', timeout: 60_000 });
      assert.equal(await description('Bob'), 'Connecting…');
      await wb!.page.keyboard.press('Escape');
      await eventually(
        'the account to say it is not signed in',
        async () => (await description('Bob')) === 'Not signed in — click to enter the password',
      );
      const status = wb!.page.locator('.statusbar-item', { hasText: 'password needed' });
      await status.first().waitFor({ timeout: 10_000 });
      assert.doesNotMatch(await status.first().innerText(), /\b0\b/);
      // The click asks again; the right password connects.
      await row('Bob').click();
      await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'visible', timeout: 30_000 });
      await wb!.fillQuickInput(dovecot.users.bob.pass);
      await eventually('Bob connected', async () => !/Not signed in|Connecting/.test(await description('Bob')));
    }),
);

test(
  'Add Account with a password and SMTP: Back keeps the answers, a refused certificate offers Choose CA File…, then IMAP and SMTP pass',
  { timeout: 240_000 },
  () =>
    step('password', async () => {
      await wb!.runCommand('Mail: Add Account');
      await answerStep(/Email address/, 'alice@example.test');
      await pickStep(/How do you sign in/, 'Password');
      await answerStep(/IMAP server/, dovecot.host);
      await pickStep(/Connection security/, 'TLS');
      await answerStep(/IMAP port/, '1');
      // Back from the user step: the port typed is still there, and the counter counts every step.
      await eventually('the user step', async () => /User name at/.test(await wb!.quickInput().innerText()));
      assert.match(await quickTitle(), /^Add Mail Account \(6\/11\)$/);
      await wb!.quickInput().locator('.quick-input-titlebar .codicon-quick-input-back').click();
      await eventually('the port step again', async () => /IMAP port/.test(await wb!.quickInput().innerText()));
      assert.equal(await quickValue(), '1');
      assert.match(await quickTitle(), /\(5\/11\)/);
      await wb!.fillQuickInput(String(dovecot.imapsPort));
      await answerStep(/User name at/, dovecot.users.alice.user);
      await answerStep(/Password for/, dovecot.users.alice.pass);
      await answerStep(/SMTP server for sending/, postfix.host);
      await pickStep(/Security of/, 'TLS');
      await answerStep(/SMTP port/, String(postfix.smtpsPort));
      await answerStep(/SMTP user name/, dovecot.users.alice.user);
      // No caFile yet: the test CA is unknown to VS Code, both servers are refused.
      const said = await clickToastButton(/Test Connection:/, 'Choose CA File…');
      assert.match(said, /IMAP \(127\.0\.0\.1:\d+\) failed: .*certificate/i);
      assert.match(said, /SMTP \(127\.0\.0\.1:\d+\) failed: .*certificate/i);
      await chooseFile(dovecot.caFile);
      await wb!.page
        .locator('.notification-toast', { hasText: /Added alice@example\.test\. IMAP .*OK\. SMTP .*OK\./ })
        .first()
        .waitFor({ timeout: 60_000 });
      const entry = (userSettings()['mailroom.accounts'] as Array<Record<string, unknown>>).find(
        (a) => a.name === 'alice@example.test',
      );
      assert.deepEqual(entry, {
        name: 'alice@example.test',
        host: dovecot.host,
        port: dovecot.imapsPort,
        security: 'tls',
        user: dovecot.users.alice.user,
        caFile: dovecot.caFile,
        smtp: { host: postfix.host, port: postfix.smtpsPort, security: 'tls' },
      });
      assert.doesNotMatch(JSON.stringify(userSettings()), new RegExp(dovecot.users.alice.pass));
      await eventually('its folders', async () => (await row('Inbox').count()) > 0, 60_000);
    }),
);

test(
  'Add Account → Sign in (device code, the server page in the browser) → folders; after a reload no new sign-in; a revoked sign-in shows "Sign in again" and opens no browser',
  { timeout: 300_000 },
  () =>
    step('oauth', async () => {
      const context = wb!.page.context();
      await wb!.runCommand('Mail: Add Account');
      await answerStep(/Email address/, 'alice@sso.test');
      await pickStep(/How do you sign in/, 'another OAuth 2.0 server');
      await answerStep(/Issuer URL/, oauth.issuer);
      await answerStep(/Client id/, oauth.clientId);
      await answerStep(/Scopes/, oauth.scopes.join(' '));
      await answerStep(/IMAP server/, dovecot.host);
      await pickStep(/Connection security/, 'TLS');
      await answerStep(/IMAP port/, String(dovecot.imapsPort));
      await answerStep(/User name at/, dovecot.users.alice.user);
      await answerStep(/SMTP server for sending/, '');
      // The sign-in server's certificate is from the test CA too.
      await clickToastButton(/Sign-in failed: .*certificate/i, 'Choose CA File…');
      await chooseFile(dovecot.caFile);

      const codeToast = /To sign in to alice@sso\.test, enter the code/;
      const popup = context.waitForEvent('page', { timeout: 60_000 });
      popup.catch(() => undefined);
      const said = await clickToastButton(codeToast, 'Copy Code and Open Page');
      const shown = /enter the code (\S+) at (https:\S+)$/.exec(said);
      assert.ok(shown, `the notification shows the code and the page as text: ${said}`);
      const [, userCode, verificationUri] = shown as unknown as [string, string, string];
      assert.ok(verificationUri.startsWith(`${oauth.issuer}/`), verificationUri);
      // VS Code may ask before it opens an external site.
      const open = wb!.page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
      await open.click({ timeout: 5_000 }).catch(() => undefined);
      const opened = await popup;
      // code-server rewrites every loopback URL it opens to its own /proxy/<port>/ path (this
      // authorization server is on loopback; a provider is not): the page and code are the same.
      const url = new URL(opened.url());
      assert.ok(url.pathname.endsWith(new URL(verificationUri).pathname), `the device page opened: ${url.href}`);
      assert.equal(url.searchParams.get('user_code'), userCode);
      await opened.close();
      // The browser trusts the test CA as VS Code was told to (the CA file): a context that does.
      const trusting = await wb!.browser.newContext({ ignoreHTTPSErrors: true });
      const page = await trusting.newPage();
      await page.goto(`${verificationUri}?user_code=${encodeURIComponent(userCode)}`);
      await completeOnServer(page);
      await trusting.close();

      await wb!.page
        .locator('.notification-toast', { hasText: /Added alice@sso\.test\. IMAP .*OK\./ })
        .first()
        .waitFor({ timeout: 60_000 });
      await eventually(
        'the signed-in account and its folders',
        async () =>
          !/Connecting|Not signed in|Sign in/.test(await description('alice@sso.test')) &&
          (await wb!
            .treeRows(VIEW)
            .filter({ hasText: /^\s*Inbox/ })
            .count()) >= 3,
        60_000,
      );
      const entry = (userSettings()['mailroom.accounts'] as Array<Record<string, unknown>>).find(
        (a) => a.name === 'alice@sso.test',
      );
      assert.deepEqual(entry?.auth, 'oauth2');
      assert.deepEqual(entry?.oauth2, { issuer: `${oauth.issuer}/`, clientId: oauth.clientId, scopes: oauth.scopes });

      // A reload: the refresh token from SecretStorage, no new sign-in.
      const deviceStarts = oauth.requests.filter((r) => r.route === 'device_authorization').length;
      const refreshes = oauth.tokenRequests('refresh_token').length;
      const pages = context.pages().length;
      await wb!.page.reload();
      await wb!.page.locator('.monaco-workbench .activitybar .action-item').first().waitFor({ timeout: 60_000 });
      await wb!.openViewContainer('Mailroom');
      await answerStepIfAsked();
      await eventually(
        'alice@sso.test connected again',
        async () => {
          const d = await description('alice@sso.test');
          return !/Connecting|Not signed in|Sign in/.test(d) && oauth.tokenRequests('refresh_token').length > refreshes;
        },
        60_000,
      );
      assert.equal(oauth.requests.filter((r) => r.route === 'device_authorization').length, deviceStarts);

      // Revoked at the server: after the next reload the account says "Sign in again", and nothing opens.
      const refreshToken = oauth.requests
        .filter((r) => r.route === 'token' && typeof r.body.refresh_token === 'string')
        .map((r) => r.body.refresh_token as string)
        .at(-1);
      assert.ok(refreshToken, 'the server issued a refresh token');
      await oauth.revoke(refreshToken, 'refresh_token');
      await wb!.page.reload();
      await wb!.page.locator('.monaco-workbench .activitybar .action-item').first().waitFor({ timeout: 60_000 });
      await wb!.openViewContainer('Mailroom');
      await answerStepIfAsked();
      await eventually(
        '"Sign in again" on the account',
        async () => (await description('alice@sso.test')) === 'Sign in again',
        60_000,
      );
      await wb!.page.locator('.statusbar-item', { hasText: 'sign in again' }).first().waitFor({ timeout: 10_000 });
      await wb!.page.waitForTimeout(3000);
      assert.equal(context.pages().length, pages, 'no browser page opened by itself');
      assert.equal(oauth.requests.filter((r) => r.route === 'device_authorization').length, deviceStarts);

      // No token, code or secret in the logs (the output channel included) or in settings.json.
      const logs = everyLog();
      assert.match(logs, /\[alice@sso\.test\/oauth2\]/, 'the output channel log was read');
      const settingsText = JSON.stringify(userSettings());
      for (const secret of oauthSecrets()) {
        assert.ok(!logs.includes(secret), `a token in the logs: ${secret.slice(0, 6)}…`);
        assert.ok(!settingsText.includes(secret), 'a token in settings.json');
      }
    }),
);

/** Bob's password is saved; alice@example.test's too: a reload asks nothing, but answer if it does. */
async function answerStepIfAsked(): Promise<void> {
  const box = wb!.quickInput().locator('.quick-input-box input[type="password"]');
  if (await box.isVisible().catch(() => false)) throw new Error('a password was asked for after the reload');
}

test(
  'choosing "None (no TLS)" for a host that is not this machine asks in a modal naming the host; Cancel keeps the choice open and nothing is saved',
  { timeout: 120_000 },
  () =>
    step('plaintext', async () => {
      await wb!.runCommand('Mail: Add Account');
      await answerStep(/Email address/, 'carol@example.net');
      await pickStep(/How do you sign in/, 'Password');
      await answerStep(/IMAP server/, 'mail.example.net');
      await pickStep(/Connection security/, 'None (no TLS)');
      const dialog = wb!.page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 10_000 });
      assert.match(await dialog.innerText(), /Send your password and mail to mail\.example\.net unencrypted\?/);
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
      // Back at the security step, nothing chosen for the person.
      await eventually('the security step again', async () =>
        /Connection security of mail\.example\.net/.test(
          (await wb!.quickInput().locator('.quick-input-box input').getAttribute('placeholder')) ?? '',
        ),
      );
      assert.match(await quickTitle(), /\(4\/11\)/);
      // Escape reaches the pick only where the keyboard is: after the dialog it may be elsewhere.
      await wb!.quickInput().locator('.quick-input-box input').focus();
      await wb!.page.keyboard.press('Escape');
      await wb!.quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
      const names = (userSettings()['mailroom.accounts'] as Array<{ name: string }>).map((a) => a.name);
      assert.ok(!names.includes('carol@example.net'), 'a cancelled Add Account saves nothing');
    }),
);
