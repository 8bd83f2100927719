// `npm run demo`: a private Dovecot with sample mailboxes for alice and bob, a private Postfix for
// submission (so a reply to the sample mail really goes out, arrives in bob's INBOX and is in
// alice's Sent), and a code-server with Mailroom installed and the demo account configured.
// Prints the URL; Ctrl+C stops everything.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startCodeServer } from '../test/e2e/harness/code-server';
import { startDovecot } from '../test/harness/dovecot';
import { startPostfix } from '../test/harness/postfix';
import { buildMessage } from '../test/harness/fixtures';

const root = resolve(__dirname, '..');
const vsix = process.argv[2] ?? join(root, 'mailroom.vsix');

const SAMPLES = [
  {
    from: 'Grace Hopper <grace@example.test>',
    subject: 'Welcome to Mailroom',
    text: 'This is your demo mailbox.\n\nOpen messages from the Mailboxes view, triage with "Mail: Triage Inbox", search with "Mail: Search Mail…".\n\nhttps://example.com/docs',
  },
  {
    from: 'Release Bot <releases@example.test>',
    subject: 'v2.3.0 is out',
    text: 'Changelog:\n- faster sync\n- fewer bugs',
    html: '<h2>v2.3.0 is out</h2><p>Faster sync, fewer bugs.</p><p><img src="https://example.com/banner.png" alt="banner (remote, blocked until you allow it)"></p>',
  },
  {
    from: 'Linus <linus@example.test>',
    subject: 'Re: patch review',
    text: 'Looks good to me. Please rebase on main and resend.',
  },
  {
    from: 'Bob <bob@example.test>',
    subject: 'Quarterly report',
    text: "Hi Alice,\n\nCan you send me the Q1 figures? Reply to this message (R in the Mailboxes view, or Reply in the reader) and press Ctrl+Enter: it goes out through the demo's submission server to my mailbox.\n\nBob",
  },
];

/** Bob's own mailbox (the demo's second user): what he has before alice answers. */
const BOB_SAMPLES = [
  { from: 'Alice Example <alice@example.test>', subject: 'Kick-off notes', text: 'Notes from Monday attached soon.' },
];

async function main(): Promise<void> {
  const server = await startDovecot({ submission: true });
  const postfix = await startPostfix(server);
  const client = new ImapFlow({
    host: server.host,
    port: server.imapsPort,
    secure: true,
    tls: { ca: [server.ca] },
    auth: server.users.alice,
    logger: false,
  });
  await client.connect();
  for (const [i, s] of SAMPLES.entries()) {
    await client.append(
      'INBOX',
      buildMessage({ ...s, to: 'alice@example.test', date: new Date(Date.now() - (SAMPLES.length - i) * 3600_000) }),
      [],
    );
  }
  await client.logout();
  const bob = new ImapFlow({
    host: server.host,
    port: server.imapsPort,
    secure: true,
    tls: { ca: [server.ca] },
    auth: server.users.bob,
    logger: false,
  });
  await bob.connect();
  for (const s of BOB_SAMPLES)
    await bob.append('INBOX', buildMessage({ ...s, to: 'bob@example.test', date: new Date(Date.now() - 86_400_000) }), [
      '\\Seen',
    ]);
  await bob.logout();

  const workspace = join(server.dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Demo workspace\n\nMailroom is in the activity bar (envelope icon).\n');
  const codeServer = await startCodeServer({
    vsix,
    workspace,
    ...(process.env.MAILROOM_DEMO_PORT ? { port: Number(process.env.MAILROOM_DEMO_PORT) } : {}),
    userSettings: {
      'mailroom.accounts': [
        {
          name: 'Demo (alice)',
          host: server.host,
          port: server.imapsPort,
          security: 'tls',
          user: server.users.alice.user,
          caFile: server.caFile,
          from: 'Alice Example <alice@example.test>',
          smtp: { host: postfix.host, port: postfix.smtpsPort, security: 'tls' },
        },
      ],
    },
  });
  process.stdout.write(
    [
      '',
      'Mailroom demo is running.',
      `  Open:      ${codeServer.url}`,
      `  Password:  ${server.users.alice.pass}   (asked once, then kept in VS Code's secret storage)`,
      `  IMAP:      ${server.host}:${server.imapsPort} (TLS, self-signed demo CA at ${server.caFile})`,
      `  SMTP:      ${postfix.host}:${postfix.smtpsPort} (TLS, same CA; submission for alice@ and bob@example.test)`,
      `  Bob:       user ${server.users.bob.user}, password ${server.users.bob.pass} (add him with "Mail: Add Account" to see a reply arrive)`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await codeServer.stop().catch(() => undefined);
    await postfix.dispose().catch(() => undefined);
    await server.dispose().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => {
  process.stderr.write(`Demo failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
