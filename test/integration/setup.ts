// Shared pieces of the integration tests: a Dovecot per test file, accounts that trust its CA,
// a logger that remembers every line (to prove secrets never reach it) and an independent IMAP
// client to check what really happened on the server.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { AccountConfig } from '../../src/core/session/account';
import { MailAccount, type MailAccountOptions } from '../../src/core/session/mail-account';
import type { Logger } from '../../src/core/log';
import { startDovecot, type StartDovecotOptions, type TestServer } from '../harness/dovecot';

export type UserName = 'alice' | 'bob';

export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  trace(m: string) {
    this.lines.push(`trace ${m}`);
  }
  debug(m: string) {
    this.lines.push(`debug ${m}`);
  }
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/**
 * Every form in which `secret` could show up: itself, URL-encoded, JSON-escaped, and the base64
 * "cores" it has inside ANY base64 text that encodes it (one per alignment of the secret within
 * the payload), so this catches the XOAUTH2/OAUTHBEARER payloads whatever framing surrounds it.
 */
export function secretForms(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), Buffer.from(secret)]).toString('base64');
    forms.push(b64.slice(k ? 4 : 0, -4));
  }
  return forms;
}

export function assertNoSecret(text: string, secret: string, where: string): void {
  for (const form of secretForms(secret)) {
    assert.ok(!text.includes(form), `${where} contains a secret (as ${JSON.stringify(form)}):\n${text}`);
  }
}

export interface ServerContext {
  server: TestServer;
  /** Resolves once the server runs (top-level `before` hooks do not wait for each other). */
  ready: Promise<TestServer>;
  accountConfig(user?: UserName, overrides?: Partial<AccountConfig>): AccountConfig;
  /** A MailAccount (disposed after the file) for `user`. */
  mailAccount(user?: UserName, overrides?: Partial<AccountConfig>, options?: Partial<MailAccountOptions>): MailAccount;
  /** A second, independent client on the server (plain imapflow), logged in. */
  otherClient(user?: UserName): Promise<ImapFlow>;
}

/**
 * Starts a private Dovecot for the calling test file; `ctx` is filled in before the tests run.
 * `options` go to startDovecot (e.g. `{ oauth2: true }`).
 */
export function useServer(options: StartDovecotOptions = {}): ServerContext {
  const disposables: Array<() => Promise<unknown>> = [];
  let server: TestServer | undefined;
  let started!: (s: TestServer) => void;
  let failed!: (e: unknown) => void;
  const ready = new Promise<TestServer>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  ready.catch(() => undefined);
  const ctx: ServerContext = {
    ready,
    get server() {
      if (!server) throw new Error('server not started yet');
      return server;
    },
    accountConfig(user = 'alice', overrides = {}) {
      const s = ctx.server;
      return {
        name: `${user}-test`,
        host: s.host,
        port: s.imapsPort,
        security: 'tls',
        user: s.users[user].user,
        caFile: s.caFile,
        ...overrides,
      };
    },
    mailAccount(user = 'alice', overrides = {}, options = {}) {
      const pass = ctx.server.users[user].pass;
      const account = new MailAccount({
        account: ctx.accountConfig(user, overrides),
        passwords: async () => pass,
        logger: new MemoryLogger(),
        ...options,
      });
      disposables.push(() => account.dispose());
      return account;
    },
    async otherClient(user = 'alice') {
      const s = ctx.server;
      const client = new ImapFlow({
        host: s.host,
        port: s.imapsPort,
        secure: true,
        tls: { ca: [s.ca] },
        auth: { user: s.users[user].user, pass: s.users[user].pass },
        logger: false,
        disableCompression: true,
      });
      await client.connect();
      disposables.push(() => client.logout().catch(() => client.close()));
      return client;
    },
  };
  before(async () => {
    try {
      server = await startDovecot(options);
      started(server);
    } catch (err) {
      failed(err);
      throw err;
    }
  });
  after(async () => {
    for (const d of disposables.reverse()) await d().catch(() => undefined);
    await server?.dispose();
  });
  return ctx;
}

/** UIDs of `path` (with flags) as another client sees them. */
export async function serverView(
  client: ImapFlow,
  path: string,
): Promise<Map<number, { flags: Set<string>; subject: string; messageId?: string }>> {
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const out = new Map<number, { flags: Set<string>; subject: string; messageId?: string }>();
    if (!client.mailbox || client.mailbox.exists === 0) return out;
    for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true })) {
      out.set(m.uid, {
        flags: m.flags ?? new Set(),
        subject: m.envelope?.subject ?? '',
        ...(m.envelope?.messageId ? { messageId: m.envelope.messageId } : {}),
      });
    }
    return out;
  } finally {
    lock.release();
  }
}
