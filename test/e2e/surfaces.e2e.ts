/**
 * Every surface shows the store's state, whoever changed it: the reader, the tree and triage in a
 * real VS Code (code-server) against a private Dovecot behind the fault proxy (whose command log
 * says what Mailroom fetched). Changes "elsewhere" are made by an independent IMAP client.
 *
 *   npm run package && node --import tsx --test test/e2e/surfaces.e2e.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { Flag } from '../../src/shared/flags';
import { pageFetches, summaryFetches } from '../harness/command-log';
import { startDovecot, type TestServer } from '../harness/dovecot';
import { buildMessage } from '../harness/fixtures';
import { type ImapProxy, startProxy } from '../harness/proxy';
import { codeServerInstall, REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { answerPasswordPrompts, asAnotherDevice, eventually, failureSteps } from './harness/steps';
import { openWorkbench, type Workbench } from './harness/workbench';

const VIEW = 'Mailboxes';
let dovecot: TestServer;
let proxy: ImapProxy;
let server: CodeServer | undefined;
let wb: Workbench | undefined;
let workspace: string;
const step = failureSteps('surfaces', () => ({ server, wb }));

/** Another device: a client straight to Dovecot (not through the proxy). */
const elsewhere = <T>(work: (client: ImapFlow) => Promise<T>) => asAnotherDevice(dovecot, 'alice', work);

const deliver = (subject: string, flags: string[] = []) =>
  elsewhere(async (c) => {
    const r = await c.append(
      'INBOX',
      buildMessage({ from: 'Ann <ann@example.test>', to: 'alice@example.test', subject, text: subject }),
      flags,
    );
    assert.ok(r && r.uid);
    return r.uid;
  });

const onMessage = (subject: string, work: (c: ImapFlow, uid: number) => Promise<unknown>) =>
  elsewhere(async (c) => {
    await c.mailboxOpen('INBOX');
    const uids = await c.search({ subject }, { uid: true });
    assert.ok(Array.isArray(uids) && uids.length === 1, `one "${subject}" in INBOX`);
    await work(c, uids[0]!);
  });

const serverFlags = (subject: string) =>
  elsewhere(async (c) => {
    await c.mailboxOpen('INBOX', { readOnly: true });
    const uids = await c.search({ subject }, { uid: true });
    if (!Array.isArray(uids) || !uids.length) return undefined;
    const m = await c.fetchOne(String(uids[0]), { flags: true }, { uid: true });
    return m ? m.flags : undefined;
  });

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
const reader = () => wb!.webviewFrame();
const toolbarButton = (label: RegExp) => reader().locator('.toolbar vscode-button', { hasText: label });

async function openMessage(subject: string): Promise<void> {
  await (await wb!.revealTreeRow(VIEW, subject)).click();
  await reader().locator('h1.subject', { hasText: subject }).waitFor({ timeout: 20_000 });
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot();
    proxy = await startProxy(dovecot);
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    workspace = mkdtempSync(join(tmpdir(), 'mailroom-e2e-surfaces-'));
    writeFileSync(join(workspace, 'notes.md'), '# Notes\n');
    server = await startCodeServer({
      vsix,
      workspace,
      userSettings: {
        'mailroom.accounts': [
          {
            name: 'Alice',
            host: dovecot.host,
            port: proxy.port,
            security: 'tls',
            user: 'alice',
            caFile: dovecot.caFile,
          },
        ],
        'mailroom.notifications': false,
        'mailroom.markReadOnOpen': false,
      },
    });
    wb = await openWorkbench(server);
    await wb.openViewContainer('Mailroom');
    await answerPasswordPrompts(wb!, { alice: dovecot.users.alice.pass });
    await row('Inbox').waitFor({ timeout: 30_000 });
    await row('Inbox').click();
    await row('Plain fixture').waitFor({ timeout: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await wb?.close();
  await server?.stop();
  await proxy?.close();
  await dovecot?.dispose();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

test(
  "a flag changed by another client while the message is open updates the reader's buttons",
  { timeout: 120_000 },
  () =>
    step('reader-flags', async () => {
      await deliver('Flag me elsewhere');
      await row('Flag me elsewhere').waitFor({ timeout: 30_000 });
      await openMessage('Flag me elsewhere');
      await toolbarButton(/^\s*Flag\s*$/).waitFor();
      await toolbarButton(/^\s*Mark Read\s*$/).waitFor();
      await onMessage('Flag me elsewhere', (c, uid) =>
        c.messageFlagsAdd(String(uid), [Flag.Flagged, Flag.Seen], { uid: true }),
      );
      await toolbarButton(/^\s*Unflag\s*$/).waitFor({ timeout: 30_000 });
      await toolbarButton(/^\s*Mark Unread\s*$/).waitFor({ timeout: 30_000 });
      assert.equal(await reader().locator('.badges vscode-badge', { hasText: 'Flagged' }).count(), 1);
      await wb!.screenshot('surfaces-reader-flags');
    }),
);

test(
  'a message archived elsewhere while it is open: the reader says so and offers to close',
  { timeout: 120_000 },
  () =>
    step('reader-gone', async () => {
      await deliver('Archived elsewhere');
      await row('Archived elsewhere').waitFor({ timeout: 30_000 });
      await openMessage('Archived elsewhere');
      await onMessage('Archived elsewhere', (c, uid) => c.messageMove(String(uid), 'Archive', { uid: true }));
      const banner = reader().locator('.banner.gone');
      await banner.waitFor({ timeout: 30_000 });
      assert.match(await banner.innerText(), /no longer in "INBOX"/);
      await eventually('the row to leave the tree', async () => (await row('Archived elsewhere').count()) === 0);
      await wb!.screenshot('surfaces-reader-gone');
      await banner.locator('vscode-button', { hasText: 'Close' }).click();
      await eventually(
        'the reader to close',
        async () => (await wb!.page.locator('.tabs-container .tab', { hasText: 'Archived elsewhere' }).count()) === 0,
      );
    }),
);

test('triage and the tree show the same state after every action, whichever surface did it', { timeout: 150_000 }, () =>
  step('triage', async () => {
    await deliver('Triage one');
    await deliver('Triage two');
    await row('Triage two').waitFor({ timeout: 30_000 });
    await wb!.runCommand('Mail: Triage Inbox');
    const pickRow = (subject: string) => wb!.quickInput().locator('.monaco-list-row', { hasText: subject });
    await pickRow('Triage one').waitFor({ timeout: 30_000 });

    // Flag in the tree (its inline button): triage shows the star.
    await row('Triage one').hover();
    await row('Triage one').locator('.action-label[aria-label^="Toggle Flag"]').click();
    await eventually(
      'the tree row flagged',
      // The row's own icon (the inline Unflag button of a flagged row is a full star too).
      async () => (await row('Triage one').locator('.custom-view-tree-node-item-icon.codicon-star-full').count()) === 1,
    );
    await eventually(
      'the triage item flagged',
      async () => (await pickRow('Triage one').locator('.codicon-star-full').count()) === 1,
    );

    // Mark read in triage (the item's button): the tree row is read, the item leaves the list.
    await pickRow('Triage two').hover();
    await pickRow('Triage two').locator('.action-label[aria-label="Mark read (Alt+R)"]').click();
    await eventually('\\Seen on the server', async () => (await serverFlags('Triage two'))?.has(Flag.Seen));
    await eventually('the item to leave triage', async () => (await pickRow('Triage two').count()) === 0);
    await eventually(
      'the tree row read',
      async () => (await row('Triage two').locator('.codicon-mail-read').count()) === 1,
    );

    // Read elsewhere: it leaves triage too.
    await onMessage('Triage one', (c, uid) => c.messageFlagsAdd(String(uid), [Flag.Seen], { uid: true }));
    await eventually(
      'the item read elsewhere to leave triage',
      async () => (await pickRow('Triage one').count()) === 0,
    );
    await wb!.page.keyboard.press('Escape');
  }),
);

test('the reader shows the same message after its tab was hidden and after a window reload', { timeout: 180_000 }, () =>
  step('reader-state', async () => {
    await openMessage('Plain fixture');
    await wb!.page.keyboard.press('Control+P');
    await wb!.fillQuickInput('notes.md', false);
    await wb!.quickInput().locator('.monaco-list-row', { hasText: 'notes.md' }).first().click();
    await wb!.page.locator('.tabs-container .tab.active[aria-label^="notes.md"]').waitFor({ timeout: 10_000 });
    await wb!.page.locator('.tabs-container .tab', { hasText: 'Plain fixture' }).click();
    await reader().locator('h1.subject', { hasText: 'Plain fixture' }).waitFor({ timeout: 20_000 });

    await wb!.page.reload();
    await wb!.page.locator('.monaco-workbench .activitybar .action-item').first().waitFor({ timeout: 60_000 });
    await wb!.page.locator('.tabs-container .tab', { hasText: 'Plain fixture' }).click({ timeout: 30_000 });
    // A new extension host: it may have to ask for the password again.
    const restored = reader().locator('h1.subject', { hasText: 'Plain fixture' });
    await Promise.race([
      restored.waitFor({ timeout: 60_000 }),
      wb!
        .quickInput()
        .locator('.quick-input-box input[type="password"]')
        .waitFor({ state: 'visible', timeout: 60_000 })
        .then(() => answerPasswordPrompts(wb!, { alice: dovecot.users.alice.pass })),
    ]);
    await restored.waitFor({ timeout: 60_000 });
    await wb!.screenshot('surfaces-reader-restored');
  }),
);

test(
  'a server restart shows on the account and the watched folder, recovers by itself, and fetches the new mail once',
  { timeout: 240_000 },
  () =>
    step('restart', async () => {
      const line = async (label: string) =>
        (await (await wb!.revealTreeRow(VIEW, label)).locator('.label-description').first().textContent())?.trim() ??
        '';
      const expand = (label: string) => wb!.setTreeRowExpanded(VIEW, label, true);
      await wb!.openViewContainer('Mailroom');
      await expand('Inbox');
      await expand('Projects');
      await (await wb!.revealTreeRow(VIEW, 'Mailroom')).click(); // Projects/Mailroom: the live folder next to INBOX
      await wb!.revealTreeRow(VIEW, 'No messages'); // it is empty: listed, and now watched
      const from = proxy.commands.length;
      await dovecot.stop();
      await eventually(
        'the folder to say live updates paused',
        async () => /live updates paused/.test(await line('Mailroom')),
        60_000,
      );
      await eventually(
        'the account to say so too',
        async () => /Disconnected — reconnecting…/.test(await line('Alice')),
        60_000,
      );
      await wb!.screenshot('surfaces-restart-paused');
      await dovecot.start();
      const uid = await deliver('After the restart');
      await eventually(
        'the folder line without the pause',
        async () => !/live updates/.test(await line('Mailroom')),
        90_000,
      );
      // Back to its everyday line (the unread count), not merely no longer "reconnecting".
      await eventually('the account line as before', async () => /^(\d+ unread)?$/.test(await line('Alice')), 90_000);
      await eventually(
        'the new mail in the tree',
        async () => (await (await wb!.revealTreeRow(VIEW, 'After the restart')).count()) === 1,
        60_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(await (await wb!.revealTreeRow(VIEW, 'After the restart')).count(), 1);
      assert.equal(summaryFetches(proxy, 'INBOX', uid, from), 1, "the new mail's summary was fetched once");
      assert.equal(pageFetches(proxy, 'INBOX', from), 0, 'INBOX was not read again');
    }),
);
