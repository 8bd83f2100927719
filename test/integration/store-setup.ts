// Account stores for the integration tests: real connections to the test Dovecot (directly or
// through the fault proxy), a logger that keeps every line, an event recorder, and a reading of
// the proxy's command log that says which summaries were fetched from which folder.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { AccountConfig } from '../../src/core/session/account';
import type { MessageRef } from '../../src/core/mailbox/messages';
import { type AccountStoreOptions, AccountStore, type StoreSettings } from '../../src/core/sync/store';
import type { StoreEvent } from '../../src/core/sync/store-events';
import { buildMessage } from '../harness/fixtures';
import { MemoryLogger, type ServerContext, type UserName } from './setup';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await ok()); await sleep(25)) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  }
}

export interface TestStore {
  store: AccountStore;
  logger: MemoryLogger;
  events: StoreEvent[];
  /** `forgetPassword` calls. */
  forgotten: string[];
  settings: StoreSettings;
}

const stores: AccountStore[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of stores) s.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-store-'));
  dirs.push(dir);
  return dir;
}

export function storeFor(
  ctx: ServerContext,
  user: UserName = 'alice',
  opts: {
    config?: Partial<AccountConfig>;
    settings?: Partial<StoreSettings>;
    store?: Partial<AccountStoreOptions>;
    password?: () => string;
  } = {},
): TestStore {
  const logger = new MemoryLogger();
  const settings: StoreSettings = {
    pageSize: 50,
    pollIntervalMs: 60_000,
    cacheSizeBytes: 10 * 1024 * 1024,
    confirmPermanentDelete: true,
    ...opts.settings,
  };
  const forgotten: string[] = [];
  const events: StoreEvent[] = [];
  const store = new AccountStore({
    account: ctx.accountConfig(user, opts.config),
    logger,
    settings: () => settings,
    password: async () => opts.password?.() ?? ctx.server.users[user].pass,
    forgetPassword: (a) => {
      forgotten.push(a.name);
    },
    connection: { autoIdleDelayMs: 100, backoff: { baseMs: 50, maxMs: 400 } },
    writeBackDelayMs: 50,
    ...opts.store,
  });
  store.onDidChange((e) => events.push(e));
  stores.push(store);
  return { store, logger, events, forgotten, settings };
}

/** Appends messages with these subjects to `path` as another device would; returns their UIDs. */
export async function seed(
  ctx: ServerContext,
  path: string,
  subjects: string[],
  user: UserName = 'alice',
): Promise<number[]> {
  const other = await ctx.otherClient(user);
  await other.mailboxCreate(path).catch(() => undefined);
  const uids: number[] = [];
  for (const subject of subjects) {
    const r = await other.append(
      path,
      buildMessage({
        from: 'Ann <ann@example.test>',
        to: `${user}@example.test`,
        subject,
        text: subject,
        messageId: `<${subject.replace(/\W/g, '')}.${Date.now()}@mailroom.test>`,
      }),
    );
    assert.ok(r && r.uid, `appended ${subject}`);
    uids.push(r.uid);
  }
  return uids;
}

/** The `messages` events about `path` (optionally only those of one origin). */
export function messageEvents(
  events: StoreEvent[],
  path: string,
  origin?: string,
): Array<Extract<StoreEvent, { kind: 'messages' }>> {
  return events.filter(
    (e): e is Extract<StoreEvent, { kind: 'messages' }> =>
      e.kind === 'messages' && e.path === path && (!origin || e.origin === origin),
  );
}

export const uidsOf = (refs: readonly MessageRef[]) => refs.map((r) => r.uid).sort((a, b) => a - b);
