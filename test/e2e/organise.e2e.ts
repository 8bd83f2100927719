/**
 * Organising mail in a real VS Code (code-server, dark theme) against a private Dovecot: folder
 * create / rename / delete from the tree's context menu, Mark as Junk and its Undo, Search Mail
 * over all folders, drag and drop onto a folder, keywords, Mark All as Read, Empty Trash, a saved
 * search over all folders, Reveal in Mailboxes, a folder expanded again catching up, and how unread
 * rows look (screenshot for the README). What happened is checked on the server by an independent IMAP client.
 *
 *   npm run package && node --import tsx --test test/e2e/organise.e2e.ts
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { Flag, Keyword } from '../../src/shared/flags';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { buildMessage } from '../harness/fixtures';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { openWorkbench, type Workbench } from './harness/workbench';
import { asAnotherDevice, eventually, failureSteps } from './harness/steps';

const VIEW = 'Mailboxes';
let dovecot: TestServer;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let workspace: string;
const step = failureSteps('organise', () => ({ server, wb }));

/** Another device: a client straight to Dovecot. */
const elsewhere = <T>(work: (client: ImapFlow) => Promise<T>) => asAnotherDevice(dovecot, 'alice', work);

const deliver = (subject: string, path = 'INBOX', flags: string[] = []) =>
  elsewhere(async (c) => {
    const r = await c.append(
      path,
      buildMessage({ from: 'Ann Lee <ann@example.test>', to: 'alice@example.test', subject, text: subject }),
      flags,
    );
    assert.ok(r && r.uid);
    return r.uid;
  });

const serverFolders = () => elsewhere(async (c) => new Set((await c.list()).map((f) => f.path)));

/** Flags of the message with this subject in `path` on the server (undefined: not there). */
const serverFlags = (path: string, subject: string) =>
  elsewhere(async (c) => {
    await c.mailboxOpen(path, { readOnly: true });
    const uids = await c.search({ subject }, { uid: true });
    if (!Array.isArray(uids) || !uids.length) return undefined;
    const m = await c.fetchOne(String(uids[0]), { flags: true }, { uid: true });
    return m ? m.flags : undefined;
  });

/** How many messages `path` holds on the server. */
const serverCount = (path: string) =>
  elsewhere(async (c) => {
    const status = await c.status(path, { messages: true });
    assert.ok(status, `STATUS ${path} answered`); // imapflow answers false on a dropped connection
    return status.messages;
  });

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);

/**
 * A message just delivered to Inbox: at the top of the list once the tree has it. Looked for at the
 * top each time (a search down the list ends at the bottom, and the redraws the new mail causes
 * move the list while it runs).
 */
const newRow = (label: string) =>
  eventually(`"${label}" at the top of Inbox`, async () => {
    const list = wb!.page.locator('.pane:has(.pane-header[aria-label^="Mailboxes"]) .monaco-list').first();
    await list.hover();
    await wb!.page.mouse.wheel(0, -1e6);
    await wb!.page.waitForTimeout(300);
    const r = row(label);
    return (await r.count()) === 1 && r;
  });

async function contextMenu(rowLabel: string, item: string): Promise<void> {
  const r = await wb!.revealTreeRow(VIEW, rowLabel);
  await r.click({ button: 'right' });
  const entry = wb!.page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
  await entry.waitFor({ timeout: 10_000 });
  await entry.click();
  // Now and then the menu stays open with the entry highlighted and nothing run (seen locally:
  // the next test then found the menu over its rows). The highlighted entry has the keyboard, so
  // Enter runs exactly it; an open menu means the click ran nothing, so nothing runs twice.
  const menu = wb!.page.locator('.context-view .monaco-menu');
  const stayedOpen = await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(
    () => false,
    () => true,
  );
  if (stayedOpen) {
    await entry.hover();
    await wb!.page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
  }
}

async function answerPassword(): Promise<void> {
  const box = wb!.quickInput();
  await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'visible', timeout: 60_000 });
  await wb!.fillQuickInput(dovecot.users.alice.pass);
  await box
    .locator('.quick-input-box input[type="password"]')
    .waitFor({ state: 'hidden', timeout: 10_000 })
    .catch(() => undefined);
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot();
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    workspace = mkdtempSync(join(tmpdir(), 'mailroom-e2e-organise-'));
    writeFileSync(join(workspace, 'notes.md'), '# Notes\n');
    server = await startCodeServer({
      vsix,
      workspace,
      userSettings: {
        'workbench.colorTheme': 'Default Dark Modern',
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
        'mailroom.notifications': false,
        'mailroom.markReadOnOpen': false,
        'mailroom.savedSearches': [
          { name: 'Unified Inbox', query: '', folders: ['INBOX'] },
          { name: 'Flagged everywhere', query: 'is:flagged', folders: 'all' },
        ],
      },
    });
    wb = await openWorkbench(server);
    await wb.openViewContainer('Mailroom');
    await answerPassword();
    await row('Inbox').waitFor({ timeout: 30_000 });
    await row('Inbox').click();
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await wb?.close();
  await server?.stop();
  await dovecot?.dispose();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test(
  'unread rows are coloured by a decoration, not painted as search matches, in the dark theme',
  { timeout: 120_000 },
  () =>
    step('unread-dark', async () => {
      await deliver('Quarterly report');
      await deliver('Already read minutes', 'INBOX', [Flag.Seen]);
      await row('Quarterly report').waitFor({ timeout: 30_000 });
      await row('Already read minutes').waitFor({ timeout: 30_000 });
      const unread = row('Quarterly report');
      assert.equal(await unread.locator('.highlight').count(), 0, 'no search-match highlight on an unread subject');
      const colour = (r: typeof unread) =>
        r
          .locator('.label-name')
          .first()
          .evaluate(
            (el) =>
              (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color,
          );
      // The decoration arrives a moment after the row.
      await eventually('an unread row to look different from a read one', async () => {
        const [u, r] = [await colour(unread), await colour(row('Already read minutes'))];
        return u !== r;
      });
      assert.match(
        (await unread.getAttribute('aria-label')) ?? '',
        /^Unread: Quarterly report from Ann Lee, /,
        'the row says its state in words',
      );
      const shot = await wb!.screenshot('organise-unread-dark');
      copyFileSync(shot, join(REPO_ROOT, 'media', 'unread-dark.png'));
    }),
);

test('New Folder, Rename and Delete from the context menu change the folders on the server', { timeout: 150_000 }, () =>
  step('folders', async () => {
    await contextMenu('Projects', 'New Folder…');
    await wb!.fillQuickInput('Clients');
    await eventually('Projects/Clients on the server', async () => (await serverFolders()).has('Projects/Clients'));
    await eventually('the new folder in the tree', async () => (await row('Clients').count()) === 1);

    await contextMenu('Clients', 'Rename Folder…');
    await wb!.fillQuickInput('Customers');
    await eventually('Projects/Customers on the server', async () => {
      const f = await serverFolders();
      return f.has('Projects/Customers') && !f.has('Projects/Clients');
    });
    await eventually('the renamed folder in the tree', async () => (await row('Customers').count()) === 1);

    await deliver('Customer letter', 'Projects/Customers');
    await contextMenu('Customers', 'Delete Folder…');
    const dialog = wb!.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), /Delete the folder "Projects\/Customers" and the 1 message in it\?/);
    await dialog.locator('.monaco-button', { hasText: 'Delete Folder' }).click();
    await eventually('the folder gone from the server', async () => !(await serverFolders()).has('Projects/Customers'));
    await eventually('the folder gone from the tree', async () => (await row('Customers').count()) === 0);
  }),
);

test(
  'Mark as Junk moves the message to Junk with $Junk; Undo in the notification brings it back',
  { timeout: 120_000 },
  () =>
    step('junk', async () => {
      await deliver('Cheap watches');
      await newRow('Cheap watches');
      await contextMenu('Cheap watches', 'Mark as Junk');
      const flags = await eventually('the message in Junk on the server', () => serverFlags('Junk', 'Cheap watches'));
      assert.ok(flags.has(Keyword.Junk));
      assert.equal(await serverFlags('INBOX', 'Cheap watches'), undefined, 'not in INBOX any more');
      await eventually('the row to leave Inbox', async () => (await row('Cheap watches').count()) === 0);

      const toast = wb!.page.locator('.notifications-toasts .notification-toast', { hasText: 'Marked as junk' });
      await toast.waitFor({ timeout: 10_000 });
      await toast.locator('.monaco-button', { hasText: 'Undo' }).click();
      const back = await eventually('the message back in INBOX', () => serverFlags('INBOX', 'Cheap watches'));
      assert.ok(!back.has(Keyword.Junk), 'without $Junk');
      assert.equal(await serverFlags('Junk', 'Cheap watches'), undefined);
      await newRow('Cheap watches'); // back, with a new UID
    }),
);

test(
  'Search Mail over all folders lists matches from several folders, each saying where it is',
  { timeout: 120_000 },
  () =>
    step('search', async () => {
      await deliver('Needle in the inbox');
      await deliver('Needle in a project', 'Projects');
      await wb!.runCommand('Mail: Search Mail…');
      await wb!.pickQuickItem('All folders of Alice');
      await wb!.fillQuickInput('subject:Needle');
      const items = wb!.quickInput().locator('.monaco-list-row');
      await eventually('two results', async () => (await items.count()) === 2);
      const texts = await items.allInnerTexts();
      const inbox = texts.find((t) => t.includes('Needle in the inbox'));
      const project = texts.find((t) => t.includes('Needle in a project'));
      assert.match(inbox ?? '', /Inbox/);
      assert.match(project ?? '', /Projects/);
      await wb!.screenshot('organise-search');
      await wb!.page.keyboard.press('Escape');
    }),
);

test('dragging a message onto a folder moves it there on the server', { timeout: 120_000 }, () =>
  step('drag', async () => {
    // A window tall enough for the new row at the top of Inbox and the Projects folder below it to be
    // on screen together: a drag that has to scroll the list on its way lost its source row (the
    // rows are virtualised) and dropped nothing.
    const size = wb!.page.viewportSize();
    await wb!.page.setViewportSize({ width: size?.width ?? 1400, height: 2000 });
    try {
      await deliver('Drag me to projects');
      const source = await newRow('Drag me to projects');
      const target = row('Projects');
      await eventually('Inbox and Projects on screen together', async () => (await target.count()) === 1);
      await source.dragTo(target);
    } finally {
      if (size) await wb!.page.setViewportSize(size);
    }
    await eventually('the message in Projects on the server', () => serverFlags('Projects', 'Drag me to projects'));
    assert.equal(await serverFlags('INBOX', 'Drag me to projects'), undefined);
  }),
);

test('Edit Keywords adds a keyword on the server, and the row shows it', { timeout: 120_000 }, () =>
  step('keywords', async () => {
    // A folder another client makes: it shows after Refresh.
    await elsewhere(async (c) => {
      await c.mailboxCreate('Tagged');
      await c.mailboxSubscribe('Tagged');
    });
    await deliver('Tag me please', 'Tagged');
    await wb!.runCommand('Mail: Refresh');
    const tagged = await eventually('the new folder in the tree', async () => {
      const r = await wb!.revealTreeRow(VIEW, 'Tagged');
      return (await r.count()) === 1 && r;
    });
    await tagged.click();
    await eventually(
      'the message in the new folder',
      async () => (await (await wb!.revealTreeRow(VIEW, 'Tag me please')).count()) === 1,
    );
    await contextMenu('Tag me please', 'Edit Keywords…');
    await wb!.fillQuickInput('invoice', false);
    await wb!.quickInput().locator('.monaco-list-row', { hasText: 'new keyword' }).waitFor({ timeout: 10_000 });
    assert.match(await wb!.quickInput().innerText(), /new keyword — Enter adds it/);
    await wb!.page.keyboard.press('Enter');
    await eventually('the keyword on the server', async () =>
      (await serverFlags('Tagged', 'Tag me please'))?.has('invoice'),
    );
    await eventually('the row to show #invoice', async () =>
      /tagged invoice/.test((await row('Tag me please').getAttribute('aria-label')) ?? ''),
    );
  }),
);

test(
  'Mark All as Read on a folder sets \\Seen on every message there and on nothing elsewhere',
  { timeout: 120_000 },
  () =>
    step('mark-all-read', async () => {
      const later = ['Later one', 'Later two', 'Later three'];
      await elsewhere(async (c) => {
        await c.mailboxCreate('Later');
        await c.mailboxSubscribe('Later');
      });
      for (const subject of later) await deliver(subject, 'Later');
      await deliver('Stays unread in the inbox');
      await wb!.runCommand('Mail: Refresh');
      const label = async () => (await (await wb!.revealTreeRow(VIEW, 'Later')).getAttribute('aria-label')) ?? '';
      await eventually('the folder row with 3 unread', async () => /, 3 unread,/.test(await label()));

      await contextMenu('Later', 'Mark All as Read');
      await eventually('every message in Later seen on the server', async () =>
        (await Promise.all(later.map((s) => serverFlags('Later', s)))).every((f) => f?.has(Flag.Seen)),
      );
      const inbox = await serverFlags('INBOX', 'Stays unread in the inbox');
      assert.ok(inbox && !inbox.has(Flag.Seen), 'the Inbox message is still unread');
      await eventually('the folder row without an unread count', async () => !/unread/.test(await label()));
    }),
);

test(
  'Empty Trash asks first with the count, then removes exactly those: mail arriving meanwhile stays',
  { timeout: 120_000 },
  () =>
    step('empty-trash', async () => {
      await deliver('Thrown away one', 'Trash');
      await deliver('Thrown away two', 'Trash');
      const count = await serverCount('Trash');
      await contextMenu('Trash', 'Empty Trash…');
      const dialog = wb!.page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 10_000 });
      assert.match(await dialog.innerText(), new RegExp(`Delete the ${count} messages in "Trash" for good\\?`));
      await deliver('Arrived while asking', 'Trash');
      await dialog.locator('.monaco-button', { hasText: 'Empty' }).click();
      await eventually('the thrown-away messages gone from the server', async () => {
        const [one, two] = [
          await serverFlags('Trash', 'Thrown away one'),
          await serverFlags('Trash', 'Thrown away two'),
        ];
        return one === undefined && two === undefined;
      });
      assert.ok(
        await serverFlags('Trash', 'Arrived while asking'),
        'the message that arrived after the question stays',
      );
      assert.equal(await serverCount('Trash'), 1, 'only that one is left');
    }),
);

test(
  'a saved search over all folders lists the matching mail of every folder, each row saying where it is',
  { timeout: 120_000 },
  () =>
    step('saved-search', async () => {
      await deliver('Flagged in the inbox', 'INBOX', [Flag.Flagged]);
      await deliver('Flagged in a project', 'Projects', [Flag.Flagged]);
      await deliver('Not flagged at all', 'Projects');
      // By keyboard: End focuses the last row (the saved searches come last) and scrolls to it, which a
      // wheel over the list did not always do while redraws kept the selected row in view.
      const list = wb!.page.locator('.pane:has(.pane-header[aria-label^="Mailboxes"]) .monaco-list').first();
      const toBottom = async () => {
        await list.focus();
        await wb!.page.keyboard.press('End');
      };
      await toBottom();
      await eventually('the saved search focused', async () =>
        /\bfocused\b/.test((await row('Flagged everywhere').getAttribute('class')) ?? ''),
      );
      await wb!.page.keyboard.press('ArrowRight'); // expands it
      // A result row says "account / folder"; the folders' own rows do not.
      const result = (subject: string, where: string) =>
        wb!
          .treeRows(VIEW)
          .filter({ has: wb!.page.locator('.label-name', { hasText: subject }) })
          .filter({ hasText: where });
      await eventually('both flagged messages listed under the saved search', async () => {
        await toBottom();
        return (
          (await result('Flagged in a project', 'Alice / Projects').count()) === 1 &&
          (await result('Flagged in the inbox', 'Alice / Inbox').count()) === 1
        );
      });
      assert.equal(await result('Not flagged at all', 'Alice / ').count(), 0, 'an unflagged message is not listed');
    }),
);

test(
  'Reveal in Mailboxes opens the folder of the message a search showed and selects its row',
  { timeout: 120_000 },
  () =>
    step('reveal', async () => {
      await deliver('Findable in projects', 'Projects');
      await wb!.setTreeRowExpanded(VIEW, 'Projects', false);
      await eventually('Projects collapsed', async () => (await row('Findable in projects').count()) === 0);
      await wb!.runCommand('Mail: Search Mail…');
      await wb!.pickQuickItem('All folders of Alice');
      await wb!.fillQuickInput('subject:Findable');
      const hit = wb!.quickInput().locator('.monaco-list-row', { hasText: 'Findable in projects' });
      await hit.waitFor({ timeout: 20_000 });
      await hit.click();
      await wb!.webviewFrame().locator('h1.subject', { hasText: 'Findable in projects' }).waitFor({ timeout: 20_000 });

      await wb!.runCommand('Mail: Reveal in Mailboxes');
      await eventually('the row shown and selected', async () => {
        const r = row('Findable in projects');
        return (await r.count()) === 1 && (await r.getAttribute('aria-selected')) === 'true';
      });
      assert.equal(await row('Projects').getAttribute('aria-expanded'), 'true', 'its folder opened');
    }),
);

test(
  'a folder expanded again after another one was opened shows the mail that arrived meanwhile',
  { timeout: 120_000 },
  () =>
    step('reopen', async () => {
      await wb!.setTreeRowExpanded(VIEW, 'Projects', false);
      await eventually('Projects collapsed', async () => (await row('Findable in projects').count()) === 0);
      // Another folder opened: it takes the live connection from Projects.
      await wb!.setTreeRowExpanded(VIEW, 'Later', true);
      await eventually('Later open', async () => (await row('Later one').count()) === 1);
      await deliver('Arrived while collapsed', 'Projects');
      await wb!.setTreeRowExpanded(VIEW, 'Projects', true);
      await eventually(
        'the new message under Projects',
        async () => (await (await wb!.revealTreeRow(VIEW, 'Arrived while collapsed')).count()) === 1,
      );
    }),
);
