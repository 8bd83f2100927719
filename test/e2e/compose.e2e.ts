/**
 * Writing mail in code-server, against a private Dovecot with a private Postfix in front: a draft
 * typed and left is in Drafts on the server and reopens from the tree; Reply from the reader,
 * typing in the composer and Ctrl+Enter sends through Postfix (a wrong SMTP password first: a
 * precise error, the text kept, only the SMTP entry asked for again), the message arrives in bob's
 * INBOX with the threading headers and in alice's Sent, and the original shows answered in the
 * tree; Forward sends the original's text and attachments and marks it $Forwarded; Attach File…
 * sends a workspace file; text typed just before the extension host is killed is back after the
 * restart. Everything on the server is checked with an independent IMAP client.
 *
 *   npm run package && node --import tsx --test test/e2e/compose.e2e.ts
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { startPostfix, type PostfixServer } from '../harness/postfix';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { openWorkbench, type Workbench } from './harness/workbench';
import { eventually, failureSteps } from './harness/steps';

const VIEW = 'Mailboxes';
const SUBJECT = 'Quarterly report';
let dovecot: TestServer;
let postfix: PostfixServer;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let workspace: string;
const step = failureSteps('compose', () => ({ server, wb }));
const clients: ImapFlow[] = [];

async function client(user: 'alice' | 'bob'): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: dovecot.host,
    port: dovecot.imapsPort,
    secure: true,
    tls: { ca: [dovecot.ca] },
    auth: dovecot.users[user],
    logger: false,
  });
  await c.connect();
  clients.push(c);
  return c;
}

/** What an independent client sees in `path`: each message's flags and parsed source. */
async function messages(c: ImapFlow, path: string): Promise<Array<{ flags: Set<string>; parsed: ParsedMail }>> {
  const lock = await c.getMailboxLock(path, { readOnly: true });
  try {
    await c.noop();
    if (!c.mailbox || c.mailbox.exists === 0) return [];
    const raw: Array<{ flags: Set<string>; source: Buffer }> = [];
    for await (const m of c.fetch('1:*', { flags: true, source: true }))
      raw.push({ flags: m.flags ?? new Set(), source: m.source! });
    return Promise.all(raw.map(async (m) => ({ flags: m.flags, parsed: await simpleParser(m.source) })));
  } finally {
    lock.release();
  }
}

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
/** The visible editor's text (Monaco draws spaces as no-break spaces). */
const editorText = async () =>
  (await wb!.page.locator('.editor-instance .monaco-editor .view-lines:visible').first().innerText()).replace(
    /\u00a0/g,
    ' ',
  );
/** The cursor where the composer puts it (typing before that would land elsewhere). */
const cursorAt = (line: number, column: number) =>
  wb!.page
    .locator('.statusbar-item', { hasText: `Ln ${line}, Col ${column}` })
    .first()
    .waitFor({ timeout: 20_000 });

/** Mail: New Message, then To, Subject and body typed as a person does (the address completion dismissed). */
async function writeNewMessage(to: string, subject: string, body: string): Promise<void> {
  const page = wb!.page;
  await wb!.runCommand('Mail: New Message');
  await page.locator('.tab.active', { hasText: 'New Message.mailroom' }).waitFor({ timeout: 20_000 });
  await cursorAt(2, 5);
  await page.keyboard.type(to);
  await page.keyboard.press('Escape'); // the address completion
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.keyboard.type(subject);
  await page.keyboard.press('Control+End');
  await page.keyboard.type(body);
}

async function answerPassword(forWhom: RegExp, password: string): Promise<void> {
  const box = wb!.quickInput();
  await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await box.innerText(), forWhom);
  await wb!.fillQuickInput(password);
  await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'hidden', timeout: 10_000 });
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot({ submission: true });
    postfix = await startPostfix(dovecot);
    const alice = await client('alice');
    await alice.append(
      'INBOX',
      [
        'From: Bob <bob@example.test>',
        'To: Alice Example <alice@example.test>',
        `Subject: ${SUBJECT}`,
        'Message-ID: <qr-1@example.test>',
        'References: <root-1@example.test>',
        'In-Reply-To: <root-1@example.test>',
        `Date: ${new Date().toUTCString()}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Can you send the Q1 figures?',
        '',
      ].join('\r\n'),
      ['\\Seen'],
    );
    await alice.append(
      'INBOX',
      [
        'From: Carol <carol@example.test>',
        'To: Alice Example <alice@example.test>',
        'Subject: Two points',
        'Message-ID: <two-1@example.test>',
        `Date: ${new Date().toUTCString()}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'First point, already settled.',
        '',
        'Second point: who books the room?',
        '',
      ].join('\r\n'),
      ['\\Seen'],
    );
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    workspace = mkdtempSync(join(tmpdir(), 'mailroom-e2e-compose-'));
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
            from: 'Alice Example <alice@example.test>',
            // Its own SMTP login (and so its own secret entry, asked for when sending).
            smtp: { host: postfix.host, port: postfix.smtpsPort, security: 'tls', user: 'alice@example.test' },
          },
        ],
        'mailroom.notifications': false,
        'mailroom.compose.undoSendSeconds': 3,
      },
    });
    wb = await openWorkbench(server);
    await wb.openViewContainer('Mailroom');
    await answerPassword(/for alice on/, dovecot.users.alice.pass);
    await row('Inbox').waitFor({ timeout: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await wb?.close();
  await server?.stop();
  for (const c of clients) await c.logout().catch(() => undefined);
  await postfix?.dispose();
  await dovecot?.dispose();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test('a draft typed and left is in Drafts on the server, and reopens from the tree', { timeout: 180_000 }, () =>
  step('compose-draft', async () => {
    const alice = await client('alice');
    await writeNewMessage('bob@example.test', 'Lunch plans', 'Thursday at noon?');
    const page = wb!.page;
    // Autosave a few seconds after typing stops: the draft is on the server.
    const draft = await eventually(
      'the draft in Drafts',
      async () => (await messages(alice, 'Drafts')).find((m) => m.parsed.subject === 'Lunch plans'),
      30_000,
    );
    assert.ok(draft.flags.has('\\Draft'));
    assert.match(draft.parsed.text ?? '', /Thursday at noon\?/);
    assert.equal((draft.parsed.to as { value: Array<{ address: string }> }).value[0]!.address, 'bob@example.test');

    // Closing a changed composer asks; Save Draft keeps it (one draft, not two).
    await page.waitForTimeout(2000);
    await page.keyboard.press('Control+W');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), /"Lunch plans" was not sent\./);
    await dialog.getByRole('button', { name: 'Save Draft' }).click();
    await eventually(
      'the composer tab to close',
      async () => (await page.locator('.tab', { hasText: 'New Message.mailroom' }).count()) === 0,
    );
    assert.equal((await messages(alice, 'Drafts')).filter((m) => m.parsed.subject === 'Lunch plans').length, 1);

    await row('Drafts').click();
    await row('Lunch plans').click();
    await page.locator('.tab', { hasText: 'New Message.mailroom' }).waitFor({ timeout: 20_000 });
    await eventually('the draft text in the composer', async () => /Thursday at noon\?/.test(await editorText()));
    assert.match(await editorText(), /Subject: Lunch plans/);
    assert.match(await editorText(), /To: bob@example\.test/);

    await wb!.runCommand('Mail: Discard Message');
    await eventually('the draft gone from Drafts', async () =>
      (await messages(alice, 'Drafts')).every((m) => m.parsed.subject !== 'Lunch plans'),
    );
    await eventually('the draft row gone', async () => (await row('Lunch plans').count()) === 0);
  }),
);

test(
  'Reply from the reader, Ctrl+Enter: a wrong SMTP password says so and keeps the text; Retry sends it to bob with the threading headers, into Sent, and the original shows answered',
  { timeout: 240_000 },
  (t) =>
    step('compose-reply', async () => {
      const page = wb!.page;
      const alice = await client('alice');
      const bob = await client('bob');
      const bobBefore = (await messages(bob, 'INBOX')).length;
      await row('Inbox').click();
      await row(SUBJECT).click();
      const reader = wb!.webviewFrame();
      await reader.locator('h1.subject', { hasText: SUBJECT }).waitFor({ timeout: 20_000 });
      await reader.locator('vscode-button[title^="Reply (R)"]').click();
      await page.locator('.tab', { hasText: 'Reply.mailroom' }).waitFor({ timeout: 20_000 });
      await eventually('the quoted original', async () => /> Can you send the Q1 figures\?/.test(await editorText()));
      assert.match(await editorText(), /Subject: Re: Quarterly report/);
      assert.match(await editorText(), /To: Bob <bob@example\.test>/);
      await cursorAt(6, 1);
      await page.keyboard.type('Numbers attached tomorrow — here is the summary.');
      await page.waitForTimeout(800); // diagnostics and CodeLens drawn
      await page.mouse.move(1300, 850);
      await wb!.screenshot('composer');
      copyFileSync(
        join(REPO_ROOT, '.test-artifacts', 'e2e', 'composer.png'),
        join(REPO_ROOT, 'media', 'screenshot-composer.png'),
      );

      await page.keyboard.press('Control+Enter');
      await answerPassword(/for alice@example\.test on 127\.0\.0\.1/, 'wrong-smtp-password');
      const error = await eventually(
        'the precise SMTP error',
        async () =>
          (await wb!.notifications().allTextContents()).find((n) => /Not sent — the SMTP login failed/.test(n)),
        30_000,
      );
      assert.match(error, /Wrong SMTP user name or password for alice@example\.test on 127\.0\.0\.1/);
      assert.match(error, /Your text is in the composer and saved as a draft/);
      await page.locator('.tab', { hasText: 'Reply.mailroom' }).waitFor();
      await eventually('the typed text kept', async () => /here is the summary\./.test(await editorText()));
      assert.equal((await messages(bob, 'INBOX')).length, bobBefore, 'nothing was sent');
      await eventually('the text saved as a draft', async () =>
        (await messages(alice, 'Drafts')).some((m) => m.parsed.subject === 'Re: Quarterly report'),
      );

      // Retry: the SMTP password is asked for again (it was forgotten); the IMAP one is not.
      const t0 = Date.now();
      await page
        .locator('.notification-list-item', { hasText: 'Not sent' })
        .getByRole('button', { name: 'Retry' })
        .click();
      await answerPassword(/for alice@example\.test on 127\.0\.0\.1/, dovecot.users.alice.pass);
      const got = await eventually(
        "the reply in bob's INBOX",
        async () =>
          (await messages(bob, 'INBOX')).slice(bobBefore).find((m) => m.parsed.subject === 'Re: Quarterly report'),
        30_000,
      );
      t.diagnostic(
        `Retry click → in bob's INBOX: ${Date.now() - t0} ms (incl. the password prompt and the 3 s undo-send hold)`,
      );
      assert.equal(got.parsed.inReplyTo, '<qr-1@example.test>');
      assert.deepEqual(got.parsed.references, ['<root-1@example.test>', '<qr-1@example.test>']);
      assert.deepEqual(got.parsed.from?.value, [{ name: 'Alice Example', address: 'alice@example.test' }]);
      assert.match(got.parsed.text ?? '', /here is the summary\./);
      assert.match(got.parsed.text ?? '', /> Can you send the Q1 figures\?/);
      assert.equal(got.parsed.headers.get('x-mailroom-compose'), undefined, 'no draft header in sent mail');

      const sent = await eventually('the copy in Sent', async () =>
        (await messages(alice, 'Sent')).find((m) => m.parsed.messageId === got.parsed.messageId),
      );
      assert.ok(sent.flags.has('\\Seen'));
      const original = (await messages(alice, 'INBOX')).find((m) => m.parsed.subject === SUBJECT)!;
      assert.ok(original.flags.has('\\Answered'), '\\Answered on the server');
      await eventually(
        'the original answered in the tree',
        async () => (await row(SUBJECT).locator('.codicon-reply').count()) > 0,
      );
      await eventually(
        'the composer closed',
        async () => (await page.locator('.tab', { hasText: 'Reply.mailroom' }).count()) === 0,
      );
      // The draft saved after the failure went when the message was sent.
      assert.ok((await messages(alice, 'Drafts')).every((m) => m.parsed.subject !== 'Re: Quarterly report'));
    }),
);

test(
  'Undo send: Cancel in the "Sending…" notification reopens the composer unchanged, and nothing is sent',
  { timeout: 120_000 },
  () =>
    step('compose-undo', async () => {
      const page = wb!.page;
      const bob = await client('bob');
      await writeNewMessage('bob@example.test', 'Undo me', 'Second thoughts.');
      await page.keyboard.press('Control+Enter');
      const sending = page.locator('.notification-list-item', { hasText: 'Sending "Undo me"' });
      await sending.waitFor({ timeout: 10_000 });
      assert.equal(
        await page.locator('.tab', { hasText: 'New Message.mailroom' }).count(),
        0,
        'the tab closed on Send',
      );
      await sending.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('.tab', { hasText: 'New Message.mailroom' }).waitFor({ timeout: 10_000 });
      await eventually('the text back as it was', async () => /Second thoughts\./.test(await editorText()));
      assert.match(await editorText(), /Subject: Undo me/);
      await page.waitForTimeout(4000); // longer than the hold
      assert.ok(
        (await messages(bob, 'INBOX')).every((m) => m.parsed.subject !== 'Undo me'),
        'not sent',
      );
      await wb!.runCommand('Mail: Discard Message');
      await eventually(
        'the composer gone',
        async () => (await page.locator('.tab', { hasText: 'New Message.mailroom' }).count()) === 0,
      );
    }),
);

test('R in the reader with text selected: the reply quotes only the selection', { timeout: 120_000 }, () =>
  step('compose-selection', async () => {
    const page = wb!.page;
    if ((await row('Two points').count()) === 0) await row('Inbox').click(); // expanded by the reply test
    await row('Two points').click();
    const reader = wb!.webviewFrame();
    const body = reader.locator('.mail-text').first();
    await body.waitFor({ timeout: 20_000 });
    await body.click();
    await body.evaluate((el) => {
      const walker = el.ownerDocument.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const i = n.textContent!.indexOf('Second point');
        if (i < 0) continue;
        const range = el.ownerDocument.createRange();
        range.setStart(n, i);
        range.setEnd(n, i + 'Second point: who books the room?'.length);
        const sel = el.ownerDocument.getSelection()!;
        sel.removeAllRanges();
        sel.addRange(range);
        return;
      }
      throw new Error('text not found');
    });
    await page.keyboard.press('r');
    await page.locator('.tab', { hasText: 'Reply.mailroom' }).waitFor({ timeout: 20_000 });
    await eventually('the quoted selection', async () =>
      /> Second point: who books the room\?/.test(await editorText()),
    );
    assert.doesNotMatch(await editorText(), /First point/);
    await wb!.runCommand('Mail: Discard Message');
    await eventually(
      'the composer gone',
      async () => (await page.locator('.tab', { hasText: 'Reply.mailroom' }).count()) === 0,
    );
  }),
);

test(
  "Forward from the reader: bob gets the forwarded header block, the original's text and its attachment; the original gets $Forwarded",
  { timeout: 180_000 },
  () =>
    step('compose-forward', async () => {
      const page = wb!.page;
      const alice = await client('alice');
      const bob = await client('bob');
      const csv = 'quarter,revenue\nQ1,1200\n';
      await alice.append(
        'INBOX',
        [
          'From: Dana <dana@example.test>',
          'To: Alice Example <alice@example.test>',
          'Subject: Figures for Q1',
          'Message-ID: <fig-1@example.test>',
          `Date: ${new Date().toUTCString()}`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'The figures are attached.',
          '--b1',
          'Content-Type: text/csv; name="figures.csv"',
          'Content-Disposition: attachment; filename="figures.csv"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from(csv).toString('base64'),
          '--b1--',
          '',
        ].join('\r\n'),
        ['\\Seen'],
      );
      await wb!.setTreeRowExpanded(VIEW, 'Inbox', true);
      const original = await eventually('the new message in the tree', async () => {
        const r = await wb!.revealTreeRow(VIEW, 'Figures for Q1');
        return (await r.count()) === 1 && r;
      });
      await original.click();
      const reader = wb!.webviewFrame();
      await reader.locator('h1.subject', { hasText: 'Figures for Q1' }).waitFor({ timeout: 20_000 });
      await reader.locator('vscode-button[title^="Forward (F)"]').click();
      await page.locator('.tab', { hasText: 'Forward.mailroom' }).waitFor({ timeout: 20_000 });
      await eventually('the forwarded header block', async () =>
        /---------- Forwarded message ----------/.test(await editorText()),
      );
      assert.match(await editorText(), /Subject: Fwd: Figures for Q1/);
      assert.match(await editorText(), /figures\.csv/, 'the attachment is listed');
      await cursorAt(2, 5);
      await page.keyboard.type('bob@example.test');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Enter');

      const got = await eventually(
        "the forward in bob's INBOX",
        async () => (await messages(bob, 'INBOX')).find((m) => m.parsed.subject === 'Fwd: Figures for Q1'),
        30_000,
      );
      assert.match(got.parsed.text ?? '', /---------- Forwarded message ----------/);
      assert.match(got.parsed.text ?? '', /From: Dana <dana@example\.test>/);
      assert.match(got.parsed.text ?? '', /The figures are attached\./);
      const attached = got.parsed.attachments.find((a) => a.filename === 'figures.csv');
      assert.ok(attached, 'figures.csv attached');
      assert.equal(attached.content.toString('utf8'), csv);
      await eventually('the copy in Sent', async () =>
        (await messages(alice, 'Sent')).some((m) => m.parsed.messageId === got.parsed.messageId),
      );
      const forwarded = (await messages(alice, 'INBOX')).find((m) => m.parsed.subject === 'Figures for Q1');
      assert.ok(forwarded?.flags.has('$Forwarded'), '$Forwarded on the original');
    }),
);

test('Attach File… picks a workspace file; bob gets it attached, byte for byte', { timeout: 180_000 }, () =>
  step('compose-attach', async () => {
    const page = wb!.page;
    const bob = await client('bob');
    const budget = 'item,cost\nroom,300\ncoffee,40\n';
    writeFileSync(join(workspace, 'budget.csv'), budget);
    await writeNewMessage('bob@example.test', 'The budget', 'Attached.');
    await wb!.runCommand('Mail: Attach File…');
    // code-server's own file dialog: a path box; Enter on a file's path picks it. It fills the box
    // with the workspace folder once it has listed it: typed before that, the path is overwritten.
    await wb!.quickInput().locator('.monaco-list-row', { hasText: 'budget.csv' }).waitFor({ timeout: 20_000 });
    await wb!.fillQuickInput(join(workspace, 'budget.csv'));
    await eventually('the Attach line in the composer', async () => /Attach: \.\/budget\.csv/.test(await editorText()));
    await page.locator('.editor-instance .monaco-editor .view-lines:visible').first().click();
    await page.keyboard.press('Control+Enter');
    const got = await eventually(
      "the message in bob's INBOX",
      async () => (await messages(bob, 'INBOX')).find((m) => m.parsed.subject === 'The budget'),
      30_000,
    );
    const attached = got.parsed.attachments.find((a) => a.filename === 'budget.csv');
    assert.ok(attached, 'budget.csv attached');
    assert.equal(attached.content.toString('utf8'), budget);
    assert.match(got.parsed.text ?? '', /Attached\./);
  }),
);

test(
  'the extension host killed while a message is being written: after the restart the text is back',
  { timeout: 180_000 },
  () =>
    step('compose-crash', async () => {
      const page = wb!.page;
      const copies = join(server!.runDir, 'user-data', 'User', 'globalStorage', 'mailroom.mailroom', 'compose');
      await writeNewMessage('bob@example.test', 'Survives a crash', 'Typed just before the crash.');
      // Killed as soon as the local copy has the text: before the autosave to Drafts, like a crash.
      await eventually(
        'the local copy on disk',
        async () =>
          existsSync(copies) &&
          readdirSync(copies).some((f) =>
            readFileSync(join(copies, f), 'utf8').includes('Typed just before the crash.'),
          ),
        10_000,
      );
      const pids = [...server!.extensionHostLog().matchAll(/Extension host with pid (\d+) started/g)];
      const pid = Number(pids.at(-1)?.[1]);
      assert.ok(pid > 0, 'the extension host pid is in its log');
      process.kill(pid, 'SIGKILL');

      await page.reload();
      await page.locator('.monaco-workbench .activitybar .action-item').first().waitFor({ timeout: 60_000 });
      const reopen = page
        .locator('.notification-list-item', { hasText: 'unsent message' })
        .getByRole('button', { name: 'Reopen' });
      const password = wb!.quickInput().locator('.quick-input-box input[type="password"]');
      await eventually(
        'the typed text back in a composer',
        async () => {
          if (await password.isVisible()) await answerPassword(/for alice on/, dovecot.users.alice.pass);
          if (await reopen.isVisible()) await reopen.click();
          const tab = page.locator('.tab', { hasText: 'New Message.mailroom' });
          if (!(await tab.count())) return false;
          await tab.first().click();
          return /Typed just before the crash\./.test(await editorText().catch(() => ''));
        },
        60_000,
      );
      assert.match(await editorText(), /Subject: Survives a crash/);
      assert.match(await editorText(), /To: bob@example\.test/);
      await wb!.runCommand('Mail: Discard Message');
      await eventually(
        'the composer gone',
        async () => (await page.locator('.tab', { hasText: 'New Message.mailroom' }).count()) === 0,
      );
    }),
);
