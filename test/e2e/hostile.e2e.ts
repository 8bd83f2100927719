/**
 * Hostile mail and a hostile repository, end to end: the packaged extension in code-server against a
 * private Dovecot; mail arrives through an independent IMAP client, which also checks what the
 * server holds afterwards.
 *
 *   npm run package && node --import tsx --test test/e2e/hostile.e2e.ts
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { base64Lines, buildMessage, PNG_1X1, rfc5322Date } from '../harness/fixtures';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { eventually, failureSteps } from './harness/steps';
import { openWorkbench, type Workbench } from './harness/workbench';

const VIEW = 'Mailboxes';
const COMMAND_LINK = '[Clean up now](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)';
const PHISH_SUBJECT = `Your mailbox is almost full ${COMMAND_LINK}`;
const TASK_SUBJECT = 'Invoice 4711 $(id > /tmp/mailroom-pwned)\nrm -rf ~';
const ATTACHMENTS_SUBJECT = 'Attachments that want a rich editor';
const TRASHED_SUBJECT = 'Already in the Trash';
const LINKED_SUBJECT = 'Linked from a browser';
const LINKED_ID = 'browser-link@mailroom.test';

let dovecot: TestServer;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let imap: ImapFlow;
let root: string;
let workspace: string;
let outside: string;
let remote: Server;
let remotePort = 0;
const step = failureSteps('hostile', () => ({ server, wb }));
const remoteHits: string[] = [];

/** RFC 2047 B-encoded words (also for ASCII: this is how the hostile subjects travel). */
function encoded(text: string): string {
  const words: string[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += 42) words.push(`=?UTF-8?B?${bytes.subarray(i, i + 42).toString('base64')}?=`);
  return words.join('\r\n ');
}

function mail(opts: { from: string; subject: string; messageId?: string; parts?: string; boundary?: string }): Buffer {
  const head = [
    `Date: ${rfc5322Date(new Date())}`,
    `From: ${opts.from}`,
    'To: alice@example.test',
    `Subject: ${encoded(opts.subject)}`,
    `Message-ID: <${opts.messageId ?? `${Math.random().toString(36).slice(2)}@mailroom.test`}>`,
    'MIME-Version: 1.0',
  ];
  if (!opts.parts)
    return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', 'Hello.', ''].join('\r\n'));
  return Buffer.from(
    [...head, `Content-Type: multipart/mixed; boundary="${opts.boundary}"`, '', opts.parts].join('\r\n'),
  );
}

function attachmentsMail(): Buffer {
  const b = 'hostile-attachments';
  const part = (name: string, type: string, body: string, encoding = '7bit') =>
    [
      `--${b}`,
      `Content-Type: ${type}; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      `Content-Transfer-Encoding: ${encoding}`,
      '',
      body,
    ].join('\r\n');
  const notebook = JSON.stringify({
    cells: [
      { cell_type: 'code', source: ['import os; os.system("id")'], metadata: {}, outputs: [], execution_count: null },
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
  const parts = [
    [`--${b}`, 'Content-Type: text/plain; charset=utf-8', '', 'See the attachments.'].join('\r\n'),
    part('analysis.ipynb', 'application/x-ipynb+json', notebook),
    part('drawing.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    part('logo.png', 'image/png', base64Lines(PNG_1X1), 'base64'),
    `--${b}--`,
    '',
  ].join('\r\n');
  return mail({ from: 'Ann <ann@example.test>', subject: ATTACHMENTS_SUBJECT, parts, boundary: b });
}

/** Flags of the message with `messageId` in `path`, as a separate IMAP client sees them. */
async function serverFlags(path: string, messageId: string): Promise<Set<string> | undefined> {
  const lock = await imap.getMailboxLock(path, { readOnly: true });
  try {
    await imap.noop();
    const uids = await imap.search({ header: { 'message-id': messageId } }, { uid: true });
    if (!Array.isArray(uids) || !uids.length) return undefined;
    const m = await imap.fetchOne(String(uids[0]), { uid: true, flags: true }, { uid: true });
    return m ? m.flags : undefined;
  } finally {
    lock.release();
  }
}

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
const toasts = () => wb!.page.locator('.notifications-toasts .notification-toast');
const toastWith = (text: string | RegExp) => toasts().filter({ hasText: text }).first();

async function clearToasts(): Promise<void> {
  const clear = wb!.page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear');
  for (let i = (await clear.count()) - 1; i >= 0; i--)
    await clear
      .nth(i)
      .click({ force: true })
      .catch(() => undefined);
}

async function openMessage(label: string | RegExp, subject: string | RegExp = label): Promise<void> {
  await row(label).click();
  await wb!.webviewFrame().locator('h1.subject', { hasText: subject }).waitFor({ timeout: 20_000 });
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot();
    remote = createServer((req, res) => {
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
    await imap.append('INBOX', mail({ from: 'Accounts <billing@example.test>', subject: TASK_SUBJECT }), ['\\Seen']);
    await imap.append('INBOX', attachmentsMail(), ['\\Seen']);
    await imap.append(
      'INBOX',
      mail({ from: 'Ann <ann@example.test>', subject: LINKED_SUBJECT, messageId: LINKED_ID }),
      [],
    );
    await imap.append(
      'Trash',
      mail({ from: 'Ann <ann@example.test>', subject: TRASHED_SUBJECT, messageId: 'trashed@mailroom.test' }),
      ['\\Seen'],
    );

    // The repository sits one level below a folder that stands for the rest of the user's disk.
    root = mkdtempSync(join(tmpdir(), 'mailroom-e2e-hostile-'));
    workspace = join(root, 'repo');
    outside = join(root, 'outside-tasks.md');
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(outside, '# not the workspace\n');
    writeFileSync(
      join(workspace, '.vscode', 'settings.json'),
      JSON.stringify({
        'mailroom.tasksFile': '../outside-tasks.md',
        'mailroom.confirmPermanentDelete': false,
      }),
    );
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
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
    await row(LINKED_SUBJECT).waitFor({ timeout: 20_000 });
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await wb?.close();
  await server?.stop();
  await imap?.logout().catch(() => undefined);
  remote?.close();
  await dovecot?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

test(
  'a new mail whose subject is a command link shows literally in the "New mail" toast, with no link in it',
  { timeout: 90_000 },
  () =>
    step('toast', async () => {
      await clearToasts();
      await imap.append(
        'INBOX',
        mail({
          from: `${encoded('IT [Support](https://evil.example/login)')} <it@evil.example>`,
          subject: PHISH_SUBJECT,
        }),
        [],
      );
      const toast = toastWith('New mail from');
      await toast.waitFor({ timeout: 30_000 });
      const text = toast.locator('.notification-list-item-message');
      const shown = (await text.innerText()).trim();
      assert.ok(shown.includes('[Clean up now]'), `the label is shown as written: ${shown}`);
      assert.ok(
        shown.includes('(command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)'),
        `the target is shown as text: ${shown}`,
      );
      assert.ok(shown.includes('IT [Support]'), `the sender's name is shown as written: ${shown}`);
      assert.equal(await text.locator('a, .monaco-link').count(), 0, 'no link in the toast');
      await wb!.screenshot('hostile-toast');
    }),
);

async function openUrlFromOutside(url: string): Promise<void> {
  await wb!.runCommand('Developer: Open URL');
  await wb!.fillQuickInput(url);
  // VS Code asks before an extension handles a URI from outside.
  const allow = wb!.page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
  await allow.waitFor({ timeout: 5000 }).then(
    () => allow.click(),
    () => undefined,
  );
}

test('a message link from outside VS Code shows the message without marking it read', { timeout: 90_000 }, () =>
  step('uri', async () => {
    assert.equal((await serverFlags('INBOX', LINKED_ID))?.has('\\Seen'), false, 'unread before');
    await openUrlFromOutside(
      `vscode://mailroom.mailroom/message?account=Alice&mid=${encodeURIComponent(`mid:${LINKED_ID}`)}`,
    );
    await wb!.webviewFrame().locator('h1.subject', { hasText: LINKED_SUBJECT }).waitFor({ timeout: 30_000 });
    // Marking read on open happens right after the message shows: give it every chance to happen.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      assert.equal((await serverFlags('INBOX', LINKED_ID))?.has('\\Seen'), false, 'a link from outside set \\Seen');
      await new Promise((r) => setTimeout(r, 500));
    }
    // Opened from the tree, the same message is marked read as usual.
    await openMessage(LINKED_SUBJECT);
    await eventually('\\Seen after opening it in the tree', async () =>
      (await serverFlags('INBOX', LINKED_ID))?.has('\\Seen'),
    );
  }),
);

test(
  'a message link from outside whose Message-ID is just "@" is refused before any folder is searched',
  { timeout: 60_000 },
  () =>
    step('uri-degenerate', async () => {
      await clearToasts();
      await openUrlFromOutside('vscode://mailroom.mailroom/message?account=Alice&mid=mid%3A%40');
      const toast = toastWith(/Open Message Link/);
      await toast.waitFor({ timeout: 20_000 });
      const text = await toast.innerText();
      assert.match(text, /not a Message-ID/, text);
      assert.doesNotMatch(text, /searched/, text);
    }),
);

test(
  '"Open" on a notebook or SVG attachment shows read-only plain text; an image opens in the image viewer; the copies go when the reader closes',
  { timeout: 120_000 },
  () =>
    step('attachments', async () => {
      const page = wb!.page;
      await wb!.runCommand('View: Close All Editors');
      await openMessage(ATTACHMENTS_SUBJECT);
      const openAttachment = async (name: string) => {
        await wb!
          .webviewFrame()
          .locator('.attachments li', { hasText: name })
          .locator('vscode-button', { hasText: 'Open' })
          .click();
      };
      await openAttachment('analysis.ipynb');
      const tab = page.locator('.tabs-container .tab.active');
      await eventually('the notebook as a text tab', async () =>
        /analysis\.ipynb/.test((await tab.getAttribute('aria-label')) ?? ''),
      );
      assert.equal(await page.locator('.notebook-editor').count(), 0, 'no notebook editor');
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.waitFor();
      assert.match(await editor.locator('.view-lines').innerText(), /os\.system/, "the notebook's JSON as text");
      await editor.locator('.view-lines').click();
      await page.keyboard.type('x');
      await page.locator('.monaco-editor-overlaymessage', { hasText: /read-only/i }).waitFor({ timeout: 10_000 });

      await openMessage(ATTACHMENTS_SUBJECT);
      await openAttachment('drawing.svg');
      await eventually('the SVG as a text tab', async () =>
        /drawing\.svg/.test((await tab.getAttribute('aria-label')) ?? ''),
      );
      assert.match(
        await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText(),
        /<script>/,
        'the SVG source, not a picture',
      );

      await openMessage(ATTACHMENTS_SUBJECT);
      await openAttachment('logo.png');
      await eventually('the image viewer', async () => /logo\.png/.test((await tab.getAttribute('aria-label')) ?? ''));
      const copies = () => {
        const found: string[] = [];
        const walk = (dir: string) => {
          for (const e of readdirSync(dir, { withFileTypes: true })) {
            const p = join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (p.includes('mailroom.mailroom') && /logo|analysis|drawing/.test(e.name)) found.push(p);
          }
        };
        walk(server!.runDir);
        return found;
      };
      assert.ok(copies().length > 0, 'the image is on disk while it is shown');
      await wb!.runCommand('View: Close All Editors');
      await eventually('the temporary copies to be removed', async () => copies().length === 0);
    }),
);

/** A newsletter with a remote image; `authResults` is what the receiving server would have added on top. */
function newsletter(subject: string, from: string, image: string, authResults?: string): Buffer {
  return buildMessage({
    from,
    to: 'alice@example.test',
    subject,
    text: subject,
    html: `<p>${subject}</p><img src="http://127.0.0.1:${remotePort}/${image}" alt="pixel">`,
    ...(authResults ? { headers: { 'Authentication-Results': authResults } } : {}),
  });
}

test(
  '"Always for this sender" is remembered and honoured only for mail the receiving server authenticated',
  { timeout: 150_000 },
  () =>
    step('always', async () => {
      const pass = 'mx.example.test; dkim=pass header.d=news.example; dmarc=pass header.from=news.example';
      await imap.append('INBOX', newsletter('Authenticated news 1', 'News <letter@news.example>', 'first.png', pass), [
        '\\Seen',
      ]);
      await imap.append('INBOX', newsletter('Forged news', 'News <letter@news.example>', 'forged.png'), ['\\Seen']);
      await imap.append('INBOX', newsletter('Authenticated news 2', 'News <letter@news.example>', 'second.png', pass), [
        '\\Seen',
      ]);
      await imap.append('INBOX', newsletter('Unauthenticated offer', 'Shop <deals@shop.example>', 'offer.png'), [
        '\\Seen',
      ]);
      await wb!.runCommand('View: Close All Editors');
      const hits = (image: string) => remoteHits.filter((u) => u.includes(image)).length;
      const frame = () => wb!.webviewFrame();

      await openMessage('Authenticated news 1');
      await frame().locator('.banner', { hasText: 'Remote content blocked' }).waitFor();
      await frame().locator('vscode-button', { hasText: 'Always for this sender' }).click();
      await eventually('the first image', async () => hits('first.png') > 0);

      // Same From:, but no server vouches for it: the choice does not carry over.
      await openMessage('Forged news');
      await frame().locator('.banner', { hasText: 'Remote content blocked' }).waitFor();
      await frame()
        .locator('.warning', {
          hasText: /You always load remote content from letter@news\.example, but this message is not authenticated/,
        })
        .waitFor();
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(hits('forged.png'), 0, 'the forged message loaded remote content');

      await openMessage('Authenticated news 2');
      await eventually('the second image without asking', async () => hits('second.png') > 0);

      await openMessage('Unauthenticated offer');
      await frame().locator('vscode-button', { hasText: 'Always for this sender' }).click();
      await eventually('the offer image, this once', async () => hits('offer.png') > 0);
      await frame()
        .locator('.warning', {
          hasText:
            /"Always for this sender" was not remembered: your mail server added no Authentication-Results header/,
        })
        .waitFor();
      await openMessage('Authenticated news 1'); // away and back: still not remembered
      await openMessage('Unauthenticated offer');
      await frame().locator('.banner', { hasText: 'Remote content blocked' }).waitFor();
    }),
);

test('a repository cannot turn off the confirmation before deleting for good', { timeout: 90_000 }, () =>
  step('confirm', async () => {
    await wb!.runCommand('View: Close All Editors');
    await (await wb!.revealTreeRow(VIEW, 'Trash')).click();
    await openMessage(TRASHED_SUBJECT);
    await wb!.runCommand('Mail: Delete Message');
    const dialog = wb!.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), /for good/);
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(await serverFlags('Trash', 'trashed@mailroom.test'), 'still in Trash on the server');
  }),
);

test(
  'Create Task from Message never writes outside the workspace, and writes the subject as one inert line',
  { timeout: 150_000 },
  () =>
    step('task', async () => {
      const before = readFileSync(outside, 'utf8');
      await wb!.runCommand('View: Close All Editors');
      await openMessage(/^Invoice 4711/, /Invoice 4711/);
      await clearToasts();
      await wb!.runCommand('Mail: Create Task from Message');
      await toastWith(/outside the workspace folder/).waitFor({ timeout: 20_000 });
      assert.equal(readFileSync(outside, 'utf8'), before, 'the file outside is untouched');

      // The repository's own TODO.md is a symbolic link to the same place.
      writeFileSync(
        join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({ 'mailroom.tasksFile': 'TODO.md', 'mailroom.confirmPermanentDelete': false }),
      );
      symlinkSync(outside, join(workspace, 'TODO.md'));
      await eventually(
        'the symbolic link refused',
        async () => {
          await clearToasts();
          await wb!.runCommand('Mail: Create Task from Message');
          return toastWith(/symbolic link/)
            .waitFor({ timeout: 5000 })
            .then(
              () => true,
              () => false,
            );
        },
        60_000,
      );
      assert.equal(readFileSync(outside, 'utf8'), before, 'the file behind the link is untouched');

      unlinkSync(join(workspace, 'TODO.md'));
      await wb!.runCommand('Mail: Create Task from Message');
      const todo = join(workspace, 'TODO.md');
      const text = await eventually(
        'TODO.md with the task',
        async () => existsSync(todo) && readFileSync(todo, 'utf8'),
      );
      const lines = text.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `one line: ${JSON.stringify(text)}`);
      assert.match(
        lines[0]!,
        /^- \[ \] Invoice 4711 \$\(id > \/tmp\/mailroom-pwned\) rm -rf ~ — Accounts, \d{4}-\d\d-\d\d vscode:\/\/mailroom\.mailroom\/message\?\S+$/,
      );
      assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f]/);
    }),
);
