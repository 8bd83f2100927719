/**
 * The reader's newer parts, end to end: the packaged extension in code-server against a private
 * Dovecot; mail arrives through an independent IMAP client. Mailing-list one-click unsubscribe
 * against a local HTTPS endpoint (127.0.0.1, a certificate of the test CA, which the extension host
 * trusts through NODE_EXTRA_CA_CERTS — verification stays on), View Source, Show All Headers, junk
 * that never loads remote content, and a message opened while the server is down.
 *
 *   npm run package && node --import tsx --test test/e2e/reader-lists.e2e.ts
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { buildMessage, PNG_1X1 } from '../harness/fixtures';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { openWorkbench, saveFailureArtifacts, type Workbench } from './harness/workbench';

const VIEW = 'Mailboxes';
const LIST_SUBJECT = 'Weekly digest of the developers list';
const NEWS_SUBJECT = 'Authenticated news';
const JUNK_SUBJECT = 'Authenticated news, in Junk';
const OUTAGE_SUBJECT = 'Opened while the server is down';
const PASS = 'mx.example.test; dkim=pass header.d=news.example; dmarc=pass header.from=news.example';

let dovecot: TestServer;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let imap: ImapFlow;
let root: string;
let lists: HttpsServer;
let listPort = 0;
const listHits: Array<{ method: string; url: string; body: string; cookie?: string }> = [];
let remote: HttpServer;
let remotePort = 0;
const remoteHits: string[] = [];

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function step(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const where = await saveFailureArtifacts(`reader-lists-${name}`, server, wb).catch(() => '');
    throw new Error(`${(err as Error).message}\n${where}`, { cause: err });
  }
}

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
const frame = () => wb!.webviewFrame();
const dialog = () => wb!.page.locator('.monaco-dialog-box');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openMessage(subject: string): Promise<void> {
  await (await wb!.revealTreeRow(VIEW, subject)).click();
  await frame().locator('h1.subject', { hasText: subject }).waitFor({ timeout: 30_000 });
}

function listMail(): Buffer {
  return buildMessage({
    from: 'Developers <dev@lists.example>',
    to: 'alice@example.test',
    subject: LIST_SUBJECT,
    text: [
      'This week: the reader got list actions.',
      '',
      'On Mon, Ann wrote:',
      '> a',
      '> b',
      '-- ',
      'The list robot',
    ].join('\n'),
    headers: {
      'List-Id': 'Developers <dev.lists.example>',
      'List-Unsubscribe': `<mailto:leave@lists.example?subject=unsubscribe>, <https://127.0.0.1:${listPort}/unsub/abc?l=dev>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Post': '<mailto:dev@lists.example>',
      'List-Archive': '<https://lists.example/archive/dev/>',
      'X-Mailroom-Test': 'shown with all headers',
    },
  });
}

function newsletter(subject: string, image: string): Buffer {
  return buildMessage({
    from: 'News <letter@news.example>',
    to: 'alice@example.test',
    subject,
    text: subject,
    html: `<p>${subject}</p><img src="http://127.0.0.1:${remotePort}/${image}" alt="pixel">`,
    headers: { 'Authentication-Results': PASS },
  });
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot();
    lists = createHttpsServer(
      { key: readFileSync(dovecot.keyFile), cert: readFileSync(dovecot.certFile) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          listHits.push({
            method: req.method ?? '',
            url: req.url ?? '',
            body: Buffer.concat(chunks).toString(),
            ...(req.headers.cookie ? { cookie: req.headers.cookie } : {}),
          });
          res.end('unsubscribed');
        });
      },
    );
    await new Promise<void>((r) => lists.listen(0, '127.0.0.1', r));
    listPort = (lists.address() as { port: number }).port;
    remote = createHttpServer((req, res) => {
      remoteHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_1X1);
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    remotePort = (remote.address() as { port: number }).port;

    imap = new ImapFlow({
      host: dovecot.host,
      port: dovecot.imapsPort,
      secure: true,
      tls: { ca: [dovecot.ca] },
      auth: dovecot.users.alice,
      logger: false,
      disableCompression: true,
    });
    await imap.connect();
    await imap.append('INBOX', listMail(), ['\\Seen']);
    await imap.append('INBOX', newsletter(NEWS_SUBJECT, 'allowed.png'), ['\\Seen']);
    await imap.append('Junk', newsletter(JUNK_SUBJECT, 'junk.png'), ['\\Seen']);
    await imap.append(
      'INBOX',
      buildMessage({
        from: 'Ann Lee <ann@example.test>',
        to: 'alice@example.test',
        subject: OUTAGE_SUBJECT,
        text: 'The body of the mail opened during the outage.',
      }),
      ['\\Seen'],
    );

    root = mkdtempSync(join(tmpdir(), 'mailroom-e2e-lists-'));
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    server = await startCodeServer({
      vsix,
      workspace: root,
      env: { NODE_EXTRA_CA_CERTS: dovecot.caFile },
      userSettings: {
        'mailroom.accounts': [
          {
            name: 'Alice',
            host: dovecot.host,
            port: dovecot.imapsPort,
            security: 'tls',
            user: 'alice',
            caFile: dovecot.caFile,
          },
        ],
      },
    });
    wb = await openWorkbench(server);
    await wb.openViewContainer('Mailroom');
    const box = wb.quickInput();
    await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'visible', timeout: 60_000 });
    await wb.fillQuickInput(dovecot.users.alice.pass);
    await row('Inbox').waitFor({ timeout: 30_000 });
    await row('Inbox').click();
    await row(LIST_SUBJECT).waitFor({ timeout: 20_000 });
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await wb?.close();
  await server?.stop();
  await imap?.logout().catch(() => undefined);
  lists?.closeAllConnections();
  lists?.close();
  remote?.close();
  await dovecot?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

test(
  'one-click unsubscribe: nothing is sent on opening; after the click and the confirmation, exactly one POST of List-Unsubscribe=One-Click',
  { timeout: 120_000 },
  () =>
    step('unsubscribe', async () => {
      await openMessage(LIST_SUBJECT);
      const bar = frame().locator('nav.list-bar');
      await bar.locator('vscode-button', { hasText: 'Unsubscribe' }).waitFor();
      assert.match(await bar.innerText(), /Mailing list: Developers/);
      assert.equal(await bar.locator('vscode-button', { hasText: 'Reply to List' }).count(), 1);
      assert.equal(await bar.locator('vscode-button', { hasText: 'Open Archive' }).count(), 1);
      await sleep(1500);
      assert.equal(listHits.length, 0, 'opening the message sent nothing to the list');
      // The README's picture of the reader with a list's actions.
      copyFileSync(
        await wb!.screenshot('reader-list-actions'),
        join(REPO_ROOT, 'media', 'screenshot-list-actions.png'),
      );

      await bar.locator('vscode-button', { hasText: 'Unsubscribe' }).click();
      await dialog().waitFor({ timeout: 10_000 });
      const question = await dialog().innerText();
      assert.match(question, /Unsubscribe from Developers\?/);
      assert.ok(question.includes(`127.0.0.1:${listPort}`), `the dialog names the host: ${question}`);
      assert.equal(listHits.length, 0, 'nothing is sent before the confirmation');
      await dialog()
        .locator('.monaco-button', { hasText: /^Unsubscribe$/ })
        .click();
      await eventually('the POST', async () => listHits.length > 0);
      await wb!.page
        .locator('.notifications-toasts .notification-toast', { hasText: 'Unsubscribed' })
        .first()
        .waitFor({ timeout: 20_000 });
      await sleep(1500);
      assert.deepEqual(listHits, [{ method: 'POST', url: '/unsub/abc?l=dev', body: 'List-Unsubscribe=One-Click' }]);
    }),
);

test('Show All Headers lists every header of the message in the reader', { timeout: 60_000 }, () =>
  step('headers', async () => {
    await openMessage(LIST_SUBJECT);
    await frame().locator('.toolbar vscode-button', { hasText: 'All Headers' }).click();
    const block = frame().locator('.all-headers pre');
    await block.waitFor({ timeout: 20_000 });
    const text = await block.innerText();
    assert.match(text, /^X-Mailroom-Test: shown with all headers$/m);
    assert.match(text, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    assert.match(text, /^Message-ID: </m);
  }),
);

test('View Source opens the raw message in a read-only .eml editor', { timeout: 60_000 }, () =>
  step('source', async () => {
    await openMessage(LIST_SUBJECT);
    await frame().locator('.toolbar vscode-button', { hasText: 'View Source' }).click();
    const tab = wb!.page.locator('.tabs-container .tab', { hasText: /^message-\d+\.eml/ });
    await tab.waitFor({ timeout: 20_000 });
    const editor = wb!.page.locator('.editor-instance .monaco-editor').first();
    const lines = editor.locator('.view-lines');
    const shown = async () => (await lines.innerText()).replace(/\u00a0/g, ' '); // the editor draws spaces as NBSP
    await eventually('the source in the editor', async () => /List-Unsubscribe-Post/.test(await shown()));
    const before = await shown();
    assert.match(before, /X-Mailroom-Test: shown with all headers/);
    await lines.click();
    await wb!.page.keyboard.type('EDITED');
    await sleep(500);
    assert.equal(await shown(), before, 'typing changed nothing');
    assert.equal(await tab.getAttribute('class').then((c) => /\bdirty\b/.test(c ?? '')), false);
    await wb!.runCommand('View: Close All Editors');
  }),
);

test(
  'a message in Junk never loads remote content, even from a sender whose remote content is always loaded',
  { timeout: 120_000 },
  () =>
    step('junk', async () => {
      const hits = (image: string) => remoteHits.filter((u) => u.includes(image)).length;
      await openMessage(NEWS_SUBJECT);
      await frame().locator('vscode-button', { hasText: 'Always for this sender' }).click();
      await eventually('the allowed sender’s image', async () => hits('allowed.png') > 0);

      await row('Junk').click();
      await openMessage(JUNK_SUBJECT);
      const banner = frame().locator('.banner.junk');
      await banner.waitFor({ timeout: 20_000 });
      assert.match(
        await banner.innerText(),
        /never loaded for mail in the Junk folder, even from a sender you allowed/,
      );
      assert.equal(await banner.locator('vscode-button').count(), 0, 'no button to load it');
      await sleep(2000);
      assert.equal(hits('junk.png'), 0, 'the junk message loaded remote content');
    }),
);

test(
  'a message opened while the server is down shows its own subject and sender with Retry, and shows itself once the server is back',
  { timeout: 180_000 },
  () =>
    step('outage', async () => {
      await openMessage(NEWS_SUBJECT); // another message's title is on the tab before
      await (await wb!.revealTreeRow(VIEW, OUTAGE_SUBJECT)).waitFor();
      await dovecot.stop();
      try {
        await (await wb!.revealTreeRow(VIEW, OUTAGE_SUBJECT)).click();
        const unavailable = frame().locator('.unavailable');
        await unavailable.waitFor({ timeout: 60_000 });
        assert.match(await frame().locator('h1.subject').innerText(), new RegExp(OUTAGE_SUBJECT));
        assert.match(await frame().locator('dl.headers').innerText(), /Ann Lee <ann@example.test>/);
        assert.equal(await unavailable.locator('vscode-button', { hasText: 'Retry' }).count(), 1);
        await wb!.page
          .locator('.tabs-container .tab', { hasText: OUTAGE_SUBJECT })
          .waitFor({ timeout: 5000 })
          .catch(() => assert.fail('the tab has the message’s own title'));
      } finally {
        await dovecot.start();
      }
      await frame()
        .locator('.mail-text', { hasText: 'The body of the mail opened during the outage.' })
        .waitFor({ timeout: 90_000 });
    }),
);
