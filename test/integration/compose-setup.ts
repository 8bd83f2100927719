// A private Dovecot with a private Postfix in front (test/harness/postfix.ts) for the tests of
// writing mail, and the pieces those tests share: a ComposeAccount for alice or bob, and what an
// independent IMAP client sees of a message.
import { after, before } from 'node:test';
import type { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AccountConfig } from '../../src/core/session/account';
import type { ComposeAccount } from '../../src/core/compose/send';
import { ImapConnection } from '../../src/core/session/connection';
import type { MessageRef } from '../../src/core/mailbox/messages';
import type { StartDovecotOptions } from '../harness/dovecot';
import { startPostfix, type PostfixServer, type StartPostfixOptions } from '../harness/postfix';
import { MemoryLogger, type ServerContext, type UserName, useServer } from './setup';

export interface SubmissionContext extends ServerContext {
  postfix: PostfixServer;
  submissionReady: Promise<PostfixServer>;
  /** alice's (or bob's) account with SMTP on Postfix (implicit TLS unless overridden). */
  composeAccount(
    user?: UserName,
    overrides?: Partial<AccountConfig>,
    opts?: { pass?: string },
  ): ComposeAccount & { logs: MemoryLogger };
}

export function useSubmission(
  options: StartDovecotOptions & { postfix?: StartPostfixOptions } = {},
): SubmissionContext {
  const { postfix: postfixOptions, ...dovecotOptions } = options;
  const base = useServer({ ...dovecotOptions, submission: true });
  let postfix: PostfixServer | undefined;
  let started!: (p: PostfixServer) => void;
  let failed!: (e: unknown) => void;
  const submissionReady = new Promise<PostfixServer>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  submissionReady.catch(() => undefined);
  const connections: ImapConnection[] = [];
  before(async () => {
    try {
      postfix = await startPostfix(await base.ready, postfixOptions);
      started(postfix);
    } catch (err) {
      failed(err);
      throw err;
    }
  });
  after(async () => {
    for (const c of connections) await c.dispose();
    await postfix?.dispose();
  });
  const ctx = Object.create(base) as SubmissionContext;
  Object.defineProperty(ctx, 'postfix', {
    get: () => {
      if (!postfix) throw new Error('postfix not started yet');
      return postfix;
    },
  });
  ctx.submissionReady = submissionReady;
  ctx.composeAccount = (user = 'alice', overrides = {}, opts = {}) => {
    const s = base.server;
    const account: AccountConfig = {
      ...base.accountConfig(user),
      from: user === 'alice' ? 'Alice Example <alice@example.test>' : 'Bob <bob@example.test>',
      smtp: { host: ctx.postfix.host, port: ctx.postfix.smtpsPort, security: 'tls' },
      ...overrides,
    };
    const pass = opts.pass ?? s.users[user].pass;
    const logs = new MemoryLogger();
    const imap = new ImapConnection({
      account,
      passwords: async () => s.users[user].pass,
      logger: logs,
      label: 'compose',
    });
    connections.push(imap);
    return { account, imap, logger: logs, logs, smtpCredentials: async ({ user: u }) => ({ user: u, pass }) };
  };
  return ctx;
}

export interface SeenMessage {
  uid: number;
  flags: Set<string>;
  source: Buffer;
  parsed: ParsedMail;
}

/** Every message of `path` as another client sees it, oldest first, parsed by mailparser. */
export async function messagesIn(client: ImapFlow, path: string): Promise<SeenMessage[]> {
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const out: Array<Omit<SeenMessage, 'parsed'>> = [];
    // Already selected by an earlier call: its message count is only news after a command.
    await client.noop();
    if (!client.mailbox || client.mailbox.exists === 0) return [];
    for await (const m of client.fetch('1:*', { uid: true, flags: true, source: true })) {
      out.push({ uid: m.uid, flags: m.flags ?? new Set(), source: m.source! });
    }
    return Promise.all(out.map(async (m) => ({ ...m, parsed: await simpleParser(m.source) })));
  } finally {
    lock.release();
  }
}

/** Waits until `path` holds `count` messages (LMTP delivery is asynchronous to the SMTP 250). */
export async function waitForCount(client: ImapFlow, path: string, count: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lock = await client.getMailboxLock(path, { readOnly: true });
    let n = 0;
    try {
      await client.noop();
      n = client.mailbox ? client.mailbox.exists : 0;
    } finally {
      lock.release();
    }
    if (n >= count) return;
    if (Date.now() > until) throw new Error(`${path} has ${n} messages, expected ${count}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** APPENDs a raw message for `user` through an independent client and returns its ref. */
export async function seedMessage(
  client: ImapFlow,
  path: string,
  raw: Buffer | string,
  flags: string[] = [],
): Promise<MessageRef> {
  const r = await client.append(path, raw, flags);
  if (!r || !r.uid || r.uidValidity === undefined) throw new Error(`APPEND to ${path} failed`);
  return { mailbox: path, uidValidity: r.uidValidity.toString(), uid: r.uid };
}
