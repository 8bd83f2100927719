/**
 * Live updates as a person sees them, in a real VS Code against a private Dovecot reached through
 * the fault-injecting proxy (which also counts the connections Mailroom holds).
 *
 *   npm run package && node --import tsx --test test/e2e/live.e2e.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
const step = failureSteps('live', () => ({ server, wb }));

const row = (label: string | RegExp) => wb!.treeRow(VIEW, label);
const description = async (label: string | RegExp) =>
  (await row(label).locator('.label-description').first().textContent())?.trim() ?? '';

/** Appends as another device would (straight to Dovecot, not through the proxy). */
async function deliver(subject: string): Promise<void> {
  await asAnotherDevice(dovecot, 'alice', (client) =>
    client.append(
      'INBOX',
      buildMessage({ from: 'Live <live@example.test>', to: 'alice@example.test', subject, text: subject }),
      [],
    ),
  );
}

before(
  async () => {
    await codeServerInstall();
    dovecot = await startDovecot();
    proxy = await startProxy(dovecot);
    const vsix = join(REPO_ROOT, 'mailroom.vsix');
    assert.ok(existsSync(vsix), 'run `npm run package` first (npm test does)');
    workspace = mkdtempSync(join(tmpdir(), 'mailroom-e2e-live-'));
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
      },
    });
    wb = await openWorkbench(server);
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
  'a Refresh while live updates are still connecting leaves one IDLE connection, and new mail shows once',
  { timeout: 180_000 },
  () =>
    step('race', async () => {
      // Every login takes 2 s: the Refresh below lands while the INBOX watcher is still logging in.
      proxy.setConnectDelay(2000);
      await wb!.openViewContainer('Mailroom');
      await answerPasswordPrompts(wb!, { alice: dovecot.users.alice.pass });
      await row('Inbox').waitFor({ timeout: 30_000 });
      await wb!.runCommand('Mail: Refresh');
      await new Promise((r) => setTimeout(r, 5000));
      proxy.setConnectDelay(0);
      // The command connection and one watcher of INBOX, nothing more, for a while.
      await eventually('two connections', async () => {
        if (proxy.openConnections !== 2) throw new Error(`${proxy.openConnections} open`);
        return true;
      });
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(proxy.openConnections, 2, 'no duplicate IDLE connection');

      await row('Inbox').click();
      await deliver('Arrived once');
      await row('Arrived once').waitFor({ timeout: 30_000 });
      assert.equal(await row('Arrived once').count(), 1);
    }),
);

test(
  'live updates that lose the server say so on the account, and catch up when it is back',
  { timeout: 120_000 },
  () =>
    step('paused', async () => {
      proxy.setAccepting(false);
      proxy.cutAll();
      await eventually('the dropped connection on the account', async () =>
        /Disconnected — reconnecting…/.test(await description('Alice')),
      );
      await wb!.screenshot('live-paused');
      await deliver('Sent while paused');
      proxy.setAccepting(true);
      await row('Sent while paused').waitFor({ timeout: 60_000 });
      await eventually(
        'the account line without the pause',
        async () => !/reconnecting/.test(await description('Alice')),
      );
      await wb!.screenshot('live-caught-up');
    }),
);

test(
  'a password changed elsewhere: the account says so, Retry asks for the new one, and live updates start again',
  { timeout: 180_000 },
  () =>
    step('password', async () => {
      await dovecot.setPassword('alice', 'changed-elsewhere');
      proxy.cutAll(); // every connection has to log in again
      await eventually(
        'the wrong password on the account',
        async () => /Wrong password — click to retry/.test(await description('Alice')),
        60_000,
      );
      await row('Alice').click();
      await answerPasswordPrompts(wb!, { alice: 'changed-elsewhere' });
      await eventually(
        'the account line without the error',
        async () => !/Wrong password|live updates/.test(await description('Alice')),
        60_000,
      );
      await row('Inbox').waitFor({ timeout: 30_000 });
      if (!(await row('Arrived once').count())) await row('Inbox').click();
      await deliver('After the new password');
      await row('After the new password').waitFor({ timeout: 30_000 });
    }),
);
