// What every e2e file does between its clicks: wait for something to become true, answer the
// password prompts Mailroom shows, act as another device on the server, and keep the evidence
// when a step fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { TestServer } from '../../harness/dovecot';
import type { CodeServer } from './code-server';
import { DEFAULT_ARTIFACTS_DIR, saveFailureArtifacts, type Workbench } from './workbench';

/** Polls `probe` until it returns something truthy; a timeout names what was awaited and the last error. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
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

/**
 * Answers one password prompt per entry of `answers` (user → password), in whatever order
 * Mailroom asks; each prompt must name one of the users.
 */
export async function answerPasswordPrompts(wb: Workbench, answers: Record<string, string>): Promise<void> {
  for (let i = 0; i < Object.keys(answers).length; i++) {
    const box = wb.quickInput();
    await box.locator('.quick-input-box input[type="password"]').waitFor({ state: 'visible', timeout: 60_000 });
    const prompt = (await box.innerText()).toLowerCase();
    assert.match(prompt, /password/, `the prompt asks for a password: ${prompt}`);
    const user = Object.keys(answers).find((u) => prompt.includes(`password for ${u} on`));
    assert.ok(user, `prompt names a known user: ${prompt}`);
    await wb.fillQuickInput(answers[user]!);
    await box
      .locator('.quick-input-box input[type="password"]')
      .waitFor({ state: 'hidden', timeout: 10_000 })
      .catch(() => undefined);
  }
}

const MAILROOM_LOG_LINES = 40;

/**
 * A `step(name, body)` for one e2e file: a failing body leaves a screenshot, the console, the
 * extension host's and code-server's logs and Mailroom's output channel under `<prefix>-<name>`.
 */
export function failureSteps(
  prefix: string,
  current: () => { server: CodeServer | undefined; wb: Workbench | undefined },
): (name: string, body: () => Promise<void>) => Promise<void> {
  return async (name, body) => {
    try {
      await body();
    } catch (err) {
      const { server, wb } = current();
      const label = `${prefix}-${name}`;
      const where = await saveFailureArtifacts(label, server, wb).catch(() => '');
      let tail = '';
      try {
        const log = server?.outputChannel('Mailroom') ?? '';
        if (server) fs.writeFileSync(path.join(DEFAULT_ARTIFACTS_DIR, `${label}-mailroom.log`), log);
        // The files stay on the machine that ran the test; a CI report only carries this message.
        const lines = log.trimEnd().split('\n').slice(-MAILROOM_LOG_LINES);
        if (log) tail = `\nMailroom's log, last ${lines.length} lines:\n${lines.join('\n')}`;
      } catch {
        // the evidence is a bonus; the failure itself is what must reach the runner
      }
      // A menu or quick input left open by the failure would sit over the next test's rows.
      for (let i = 0; i < 3; i++) await wb?.page.keyboard.press('Escape').catch(() => undefined);
      throw new Error(`${(err as Error).message}\n${where}${tail}`, { cause: err });
    }
  };
}

/** Another device: an IMAP client straight to Dovecot (not through any proxy) for one piece of work. */
export async function asAnotherDevice<T>(
  dovecot: TestServer,
  user: 'alice' | 'bob',
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.imapsPort,
    secure: true,
    tls: { ca: [dovecot.ca] },
    auth: dovecot.users[user],
    logger: false,
    disableCompression: true,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}
