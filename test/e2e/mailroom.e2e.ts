/**
 * Mailroom end to end: the packaged extension in a real VS Code (code-server) driven through
 * Chromium, against a private Dovecot. Checks what a person sees and what the server holds.
 *
 *   npm run package && node --import tsx --test test/e2e/mailroom.e2e.ts
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { buildMessage, fixture, uidOf } from '../harness/fixtures';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { answerPasswordPrompts, eventually, failureSteps } from './harness/steps';
import { openWorkbench, type Workbench } from './harness/workbench';

const VIEW = 'Mailboxes';
let dovecot: TestServer;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let imap: ImapFlow;
let remote: Server;
let remoteHits = 0;
let workspace: string;
const step = failureSteps('mailroom', () => ({ server, wb }));

/** Flags of the message with `subject` in `path`, as a separate IMAP client sees them. */
async function serverFlags(path: string, subject: string): Promise<Set<string> | undefined> {
  const lock = await imap.getMailboxLock(path, { readOnly: true });
  try {
    await imap.noop(); // this session must see other sessions' expunges before it searches
    const uids = await imap.search({ subject }, { uid: true });
    if (!Array.isArray(uids) || !uids.length) return undefined;
    for await (const m of imap.fetch(uids, { uid: true, flags: true, envelope: true }, { uid: true })) {
      if (m.envelope?.subject === subject) return m.flags;
    }
    return undefined;
  } finally {
    lock.release();
  }
}

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
const description = async (label: string | RegExp) =>
  (await row(label).locator('.label-description').first().textContent())?.trim() ?? '';

async function openMessage(subject: string): Promise<void> {
  await row(subject).click();
  await wb!.webviewFrame().locator('h1.subject', { hasText: subject }).waitFor({ timeout: 20_000 });
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot();
    remote = createServer((_req, res) => {
      remoteHits++;
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end();
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    const remotePort = (remote.address() as { port: number }).port;
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
    await imap.append(
      'INBOX',
      buildMessage({
        from: 'News <news@example.test>',
        to: 'alice@example.test',
        subject: 'Newsletter with tracker',
        text: 'See the picture',
        html: `<p>Our news</p><img src="http://127.0.0.1:${remotePort}/pixel.png" alt="tracker">`,
      }),
      [],
    );
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    workspace = mkdtempSync(join(tmpdir(), 'mailroom-e2e-ws-'));
    server = await startCodeServer({
      vsix,
      workspace,
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
          {
            name: 'Bob',
            host: dovecot.host,
            port: dovecot.imapsPort,
            security: 'tls',
            user: 'bob',
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
  await imap?.logout().catch(() => undefined);
  remote?.close();
  await dovecot?.dispose();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test(
  'accounts from settings ask once for their password; folders appear with counts; a wrong password shows on the account',
  { timeout: 180_000 },
  (t) =>
    step('accounts', async () => {
      const t0 = Date.now();
      const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await wb!.openViewContainer('Mailroom');
      lap('view open');
      await answerPasswordPrompts(wb!, { alice: dovecot.users.alice.pass, bob: 'definitely-wrong' });
      lap('passwords answered');
      await row('Inbox').waitFor({ timeout: 30_000 });
      lap('Inbox shown');
      for (const folder of ['Sent', 'Drafts', 'Archive', 'Junk', 'Trash', 'Projects']) await row(folder).waitFor();
      assert.equal(await description('Inbox'), '3', 'unread count of INBOX');
      await eventually('the wrong password on the Bob node', async () =>
        /Wrong password — click to retry/.test(await description('Bob')),
      );
      await wb!.screenshot('tree');
    }),
);

test('opening a message shows its body in the reader', { timeout: 120_000 }, () =>
  step('reader', async () => {
    await row('Inbox').click();
    await row(fixture('plain').subject).waitFor({ timeout: 20_000 });
    await openMessage(fixture('plain').subject);
    const body = await wb!.webviewFrame().locator('.body').innerText();
    assert.match(body, /Hello from the plain fixture/);
    await wb!.page.mouse.move(1000, 800); // no tree tooltip over the README screenshot
    await new Promise((r) => setTimeout(r, 800));
    await wb!.screenshot('reader');
    // The README's screenshot is this one (committed from a run).
    copyFileSync(
      join(REPO_ROOT, '.test-artifacts', 'e2e', 'reader.png'),
      join(REPO_ROOT, 'media', 'screenshot-reader.png'),
    );
    await eventually('\\Seen on the server (markReadOnOpen)', async () =>
      (await serverFlags('INBOX', fixture('plain').subject))?.has('\\Seen'),
    );
  }),
);

test('Toggle Flag from the palette sets \\Flagged on the server', { timeout: 60_000 }, () =>
  step('flag', async () => {
    await wb!.runCommand('Mail: Toggle Flag');
    await eventually('\\Flagged on the server', async () =>
      (await serverFlags('INBOX', fixture('plain').subject))?.has('\\Flagged'),
    );
  }),
);

test('Archive and Delete put messages into Archive and Trash on the server', { timeout: 90_000 }, () =>
  step('archive-delete', async () => {
    await wb!.runCommand('Mail: Archive Message');
    await eventually('the message in Archive', () => serverFlags('Archive', fixture('plain').subject));
    assert.equal(await serverFlags('INBOX', fixture('plain').subject), undefined, 'gone from INBOX');
    await eventually('the row to leave the tree', async () => (await row(fixture('plain').subject).count()) === 0);

    await openMessage(fixture('attachment').subject);
    await wb!.runCommand('Mail: Delete Message');
    await eventually('the message in Trash', () => serverFlags('Trash', fixture('attachment').subject));
    assert.equal(await serverFlags('INBOX', fixture('attachment').subject), undefined);
    void uidOf;
  }),
);

test('mail appended by another client appears in the tree without a refresh', { timeout: 60_000 }, () =>
  step('live', async () => {
    await imap.append(
      'INBOX',
      buildMessage({
        from: 'Live <live@example.test>',
        to: 'alice@example.test',
        subject: 'Arrived live',
        text: 'hello',
      }),
      [],
    );
    await row('Arrived live').waitFor({ timeout: 30_000 });
  }),
);

test('remote images stay blocked until allowed', { timeout: 60_000 }, () =>
  step('remote', async () => {
    await openMessage('Newsletter with tracker');
    const frame = wb!.webviewFrame();
    await frame.locator('.banner', { hasText: 'Remote content blocked' }).waitFor();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(remoteHits, 0, 'no request reached the remote host');
    await frame.locator('vscode-button', { hasText: 'Load remote content' }).click();
    await eventually('the remote image to load after allowing it', async () => remoteHits > 0);
  }),
);

/** Puts the cursor on the first message link of the active editor and runs "Open Link" on it. */
async function clickLinkInEditor(): Promise<void> {
  const page = wb!.page;
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+F');
  await page.keyboard.type('vscode://mailroom');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape'); // the match stays selected: the cursor is on the link
  await wb!.runCommand('Open Link');
}

async function openWorkspaceFile(name: string): Promise<void> {
  await wb!.page.keyboard.press('Control+P');
  await wb!.fillQuickInput(name, false);
  await wb!.quickInput().locator('.monaco-list-row', { hasText: name }).first().click();
  await wb!.page.locator(`.tabs-container .tab[aria-label^="${name}"]`).first().waitFor({ timeout: 10_000 });
}

test('Copy Message Link: pasted into a Markdown file, a click opens that message', { timeout: 90_000 }, () =>
  step('copy-link', async () => {
    const origin = new URL(server!.url).origin;
    await wb!.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await openMessage(fixture('html').subject);
    await wb!.runCommand('Mail: Copy Message Link');
    const copied = await eventually('the link on the clipboard', async () => {
      const text = (await wb!.page.evaluate('navigator.clipboard.readText()')) as string;
      return text.includes('vscode://mailroom.mailroom/message') ? text : undefined;
    });
    assert.match(
      copied,
      new RegExp(
        `^\\[${fixture('html').subject} — Alice Example\\]\\(vscode://mailroom\\.mailroom/message\\?account=Alice&mid=mid%3Ahtml-1%40mailroom\\.test&imap=`,
      ),
    );

    writeFileSync(join(workspace, 'notes.md'), '# Notes\n\n');
    await openWorkspaceFile('notes.md');
    await wb!.page.locator('.monaco-editor .view-lines').first().click();
    await wb!.page.keyboard.press('Control+End');
    await wb!.page.keyboard.press('Control+V');
    await openMessage(fixture('nested').subject); // the reader shows another message now
    await openWorkspaceFile('notes.md');
    await clickLinkInEditor();
    await wb!
      .webviewFrame()
      .locator('h1.subject', { hasText: fixture('html').subject })
      .waitFor({ timeout: 20_000 });
  }),
);

test('Create Task from Message writes a checklist line whose link opens the message', { timeout: 90_000 }, () =>
  step('task', async () => {
    await openMessage(fixture('inline-image').subject);
    await wb!.runCommand('Mail: Create Task from Message');
    const todo = join(workspace, 'TODO.md');
    const text = await eventually('TODO.md with the task', async () => existsSync(todo) && readFileSync(todo, 'utf8'));
    assert.match(
      text,
      new RegExp(
        `^- \\[ \\] \\[${fixture('inline-image').subject} — Alice Example\\]\\(vscode://mailroom\\.mailroom/message\\?[^)\\s]+\\) \\(\\d{4}-\\d\\d-\\d\\d\\)$`,
        'm',
      ),
    );
    await eventually('\\Flagged on the server', async () =>
      (await serverFlags('INBOX', fixture('inline-image').subject))?.has('\\Flagged'),
    );
    await openMessage(fixture('nested').subject);
    await openWorkspaceFile('TODO.md');
    await clickLinkInEditor();
    await wb!
      .webviewFrame()
      .locator('h1.subject', { hasText: fixture('inline-image').subject })
      .waitFor({ timeout: 20_000 });
    // The reader lists the task that links to it.
    await wb!.webviewFrame().locator('.related-section li[data-kind="task"]').waitFor({ timeout: 20_000 });
  }),
);

test(
  'with threading on, a reply that has only References nests under its parent (the server threads it)',
  { timeout: 90_000 },
  () =>
    step('threads', async () => {
      let day = 0;
      const add = (subject: string, id: string, extra: { inReplyTo?: string; references?: string[] } = {}) =>
        imap.append(
          'Projects/Other',
          buildMessage({
            from: 'Ann <ann@example.test>',
            to: 'alice@example.test',
            subject,
            text: subject,
            messageId: id,
            date: new Date(Date.UTC(2026, 1, ++day)),
            ...extra,
          }),
        );
      await add('Budget plan', 'budget@mailroom.test');
      await add('Re: Budget plan', 'budget-1@mailroom.test', { references: ['budget@mailroom.test'] });
      await add('Re: Re: Budget plan', 'budget-2@mailroom.test', {
        inReplyTo: 'budget-1@mailroom.test',
        references: ['budget@mailroom.test', 'budget-1@mailroom.test'],
      });
      mkdirSync(join(workspace, '.vscode'), { recursive: true });
      writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'mailroom.threading': true }));
      await wb!.setTreeRowExpanded(VIEW, 'Projects', true);
      await row('Other').click();
      await row('Budget plan').waitFor({ timeout: 20_000 });
      // By In-Reply-To alone "Budget plan" would have no replies: only the server knows the References.
      await eventually('"Budget plan" with both replies under it', async () =>
        /· 2 replies$/.test(await description('Budget plan')),
      );
      assert.equal(await row('Re: Budget plan').count(), 0, 'the replies are inside the collapsed thread');
    }),
);

// Fixed, sticky and huge-z-index CSS, inline and in a <style>: a fake toolbar over the real one,
// a veil that lets clicks through, a "verified" sender line. Written the way a phisher would.
const HOSTILE_CSS_HTML = `<style>b { position: fixed; bottom: 0; left: 0; z-index: 999999; font-size: 32px; background: #fff }</style>
<div style="position:fixed;top:0;left:0;right:0;height:90px;z-index:2147483647;background:#c00">
  <a href="https://evil.example/toolbar" style="display:block;height:90px;color:#fff">Archive Delete Flag Mark Unread</a></div>
<div style="position:fixed;top:0;left:0;right:0;bottom:0;z-index:2147483646;pointer-events:none;background:rgba(255,0,0,.3)">Verified sender</div>
<p style="position:sticky;top:0;z-index:99999">Sticky banner</p>
<b>From: security@bank.example (verified)</b>
<p>Hostile CSS body text</p>`;

test(
  "a mail's CSS stays inside its box: the real toolbar is not covered, and its buttons do what they say",
  { timeout: 120_000 },
  () =>
    step('hostile-css', async () => {
      const subject = 'Hostile CSS mail';
      await imap.append(
        'INBOX',
        buildMessage({
          from: 'Mallory <mallory@example.test>',
          to: 'alice@example.test',
          subject,
          text: 'plain',
          html: HOSTILE_CSS_HTML,
        }),
        [],
      );
      await row(subject).waitFor({ timeout: 30_000 });
      await openMessage(subject);
      const frame = wb!.webviewFrame();
      await frame.locator('.mail-html').waitFor();
      await eventually('\\Seen on the server (markReadOnOpen)', async () =>
        (await serverFlags('INBOX', subject))?.has('\\Seen'),
      );
      await frame.locator('.toolbar vscode-button', { hasText: /^\s*Mark Unread\s*$/ }).waitFor();

      const geometry = await frame.locator('.mail-html').evaluate((host) => {
        const document = host.ownerDocument;
        const box = host.getBoundingClientRect();
        const outside = [...host.shadowRoot!.querySelectorAll('*')]
          .map((e) => ({ tag: e.tagName, r: e.getBoundingClientRect() }))
          .filter(
            ({ r }) =>
              r.width > 0 &&
              r.height > 0 &&
              (r.top < box.top - 1 || r.left < box.left - 1 || r.bottom > box.bottom + 1 || r.right > box.right + 1),
          )
          .map(
            ({ tag, r }) =>
              `${tag} ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`,
          );
        const covered = [...document.querySelectorAll('.toolbar vscode-button')]
          .filter((b) => {
            const r = b.getBoundingClientRect();
            const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !hit || !(hit === b || b.contains(hit));
          })
          .map((b) => b.textContent?.trim());
        return { outside, covered };
      });
      assert.deepEqual(geometry.outside, [], 'every element the mail renders is inside the mail box');
      assert.deepEqual(geometry.covered, [], 'nothing of the mail lies over the toolbar buttons');
      await wb!.screenshot('hostile-css');

      // A person clicks where they see the buttons: page coordinates, not the element.
      const clickAt = async (label: RegExp) => {
        const box = await frame.locator('.toolbar vscode-button', { hasText: label }).boundingBox();
        assert.ok(box, `${label} is on screen`);
        await wb!.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      };
      await clickAt(/^\s*Flag\s*$/);
      await eventually('\\Flagged on the server after clicking Flag', async () =>
        (await serverFlags('INBOX', subject))?.has('\\Flagged'),
      );
      await clickAt(/^\s*Mark Unread\s*$/);
      await eventually('\\Seen removed on the server after clicking Mark Unread', async () => {
        const flags = await serverFlags('INBOX', subject);
        return flags !== undefined && !flags.has('\\Seen');
      });
    }),
);
