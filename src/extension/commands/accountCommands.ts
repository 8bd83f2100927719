// Add/remove accounts, refresh, retry, load more, open.
import * as vscode from 'vscode';
import { MailAccount } from '../../core/session/mail-account';
import { type AccountConfig, type Security, validateAccount } from '../../core/session/account';
import { nullLogger } from '../../core/log';
import { readAccounts, writeAccounts } from '../settings';
import type { TreeNode } from '../tree';
import { ask, input, label, message, notificationProgress, notify, pick, quietProgress } from '../ui';
import { command, type CommandContext, resolveAccount, resolveTargets } from './context';
import { Command } from './ids';

interface Provider {
  host: string;
  port: number;
  security: Security;
  note?: string;
}

const PROVIDERS: Array<[RegExp, Provider]> = [
  [
    /^(gmail|googlemail)\.com$/,
    {
      host: 'imap.gmail.com',
      port: 993,
      security: 'tls',
      note: 'Gmail: use an app password (Google Account → Security → App passwords), or an OAuth2 token command.',
    },
  ],
  [
    /^(outlook|hotmail|live|msn)\.[a-z.]+$|^office365\.com$/,
    {
      host: 'outlook.office365.com',
      port: 993,
      security: 'tls',
      note: 'Outlook.com / Microsoft 365 require OAuth2: set "oauth2TokenCommand" for this account.',
    },
  ],
  [
    /^(yahoo|ymail)\.[a-z.]+$/,
    { host: 'imap.mail.yahoo.com', port: 993, security: 'tls', note: 'Yahoo: use an app password.' },
  ],
  [
    /^(icloud|me|mac)\.com$/,
    { host: 'imap.mail.me.com', port: 993, security: 'tls', note: 'iCloud: use an app-specific password.' },
  ],
  [
    /^(fastmail\.(com|fm)|messagingengine\.com)$/,
    { host: 'imap.fastmail.com', port: 993, security: 'tls', note: 'Fastmail: use an app password.' },
  ],
  [/^(gmx\.[a-z.]+)$/, { host: 'imap.gmx.net', port: 993, security: 'tls' }],
  [/^posteo\.(de|net)$/, { host: 'posteo.de', port: 993, security: 'tls' }],
];

export function suggestServer(email: string): Provider {
  const domain = email.split('@')[1]?.toLowerCase() ?? '';
  return PROVIDERS.find(([re]) => re.test(domain))?.[1] ?? { host: `imap.${domain}`, port: 993, security: 'tls' };
}

async function askAccount(
  previous?: Partial<AccountConfig> & { email?: string },
): Promise<{ config: AccountConfig; password: string } | undefined> {
  const title = 'Add Mail Account';
  const email = await input({
    title: label`${title} (1/5)`,
    prompt: label`Email address`,
    value: previous?.email ?? '',
    ignoreFocusOut: true,
    validateInput: (v) =>
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.trim()) ? undefined : 'Enter an address like you@example.com',
  });
  if (!email) return undefined;
  const suggestion = suggestServer(email.trim());
  const host = await input({
    title: label`${title} (2/5)`,
    prompt: suggestion.note ? label`IMAP server — ${suggestion.note}` : label`IMAP server`,
    value: previous?.host ?? suggestion.host,
    ignoreFocusOut: true,
    validateInput: (v) => (/^[A-Za-z0-9.\-:[\]]+$/.test(v.trim()) ? undefined : 'A host name or address'),
  });
  if (!host) return undefined;
  const sec = await pick(
    [
      {
        label: label`TLS`,
        description: label`IMAPS, usually port 993 (recommended)`,
        security: 'tls' as const,
        port: 993,
      },
      {
        label: label`STARTTLS`,
        description: label`upgrade to TLS, usually port 143`,
        security: 'starttls' as const,
        port: 143,
      },
      {
        label: label`None (unencrypted)`,
        description: label`sends your password in clear text — only for a server on this machine`,
        security: 'plain' as const,
        port: 143,
      },
    ],
    { title: label`${title} (3/5)`, placeHolder: label`Connection security`, ignoreFocusOut: true },
  );
  if (!sec) return undefined;
  const port = await input({
    title: label`${title} (3/5)`,
    prompt: label`Port`,
    value: String(previous?.port ?? (sec.security === suggestion.security ? suggestion.port : sec.port)),
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number'),
  });
  if (!port) return undefined;
  const user = await input({
    title: label`${title} (4/5)`,
    prompt: label`User name`,
    value: previous?.user ?? email.trim(),
    ignoreFocusOut: true,
  });
  if (!user) return undefined;
  const password = await input({
    title: label`${title} (5/5)`,
    prompt: label`Password for ${user}`,
    password: true,
    ignoreFocusOut: true,
  });
  if (!password) return undefined;
  const taken = new Set(readAccounts().map((a) => a.name));
  let name = email.trim();
  for (let i = 2; taken.has(name); i++) name = `${email.trim()} (${i})`;
  const config = validateAccount({
    name,
    host: host.trim(),
    port: Number(port),
    security: sec.security,
    user: user.trim(),
    ...(sec.security === 'plain' ? { allowPlaintext: true } : {}),
  });
  return { config, password };
}

async function addAccount(ctx: CommandContext): Promise<void> {
  let previous: (Partial<AccountConfig> & { email?: string }) | undefined;
  for (;;) {
    const answer = await askAccount(previous);
    if (!answer) return;
    const { config, password } = answer;
    const probe = new MailAccount({ account: config, passwords: async () => password, logger: nullLogger });
    const error = await Promise.resolve(
      notificationProgress(message`Connecting to ${config.host}…`, () =>
        probe.connect().then(
          () => undefined,
          (err: Error) => err,
        ),
      ),
    ).finally(() => probe.dispose());
    if (error) {
      const choice = await notify.error(message`Could not connect: ${error.message}`, 'Edit', 'Save Anyway');
      if (choice === 'Edit') {
        previous = { ...config, email: config.name };
        continue;
      }
      if (choice !== 'Save Anyway') return;
    }
    await ctx.passwords.set(config, password);
    const existing = readAccounts().map((a) => a.raw);
    const { name, host, port, security, user } = config;
    await writeAccounts([
      ...existing,
      { name, host, port, security, user, ...(config.allowPlaintext ? { allowPlaintext: true } : {}) },
    ]);
    void notify.info(message`Added ${config.name}.`);
    return;
  }
}

export function registerAccountCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(Command.addAccount, 'Add Account', () => addAccount(ctx)),
    command(Command.removeAccount, 'Remove Account', async (node) => {
      const account = (await resolveAccount(ctx, node)) ?? ctx.model.accounts[0];
      if (!account) return;
      const ok = await ask(
        message`Remove the account "${account.name}" from Mailroom?`,
        { detail: message`Mail on the server is not touched; the saved password and the cached mail are deleted.` },
        'Remove',
      );
      if (ok !== 'Remove') return;
      const store = account.store;
      await ctx.passwords.delete({ name: account.name });
      await writeAccounts(
        readAccounts()
          .filter((a) => a.name !== account.name)
          .map((a) => a.raw),
      );
      // Its cached folders, message lists and bodies go with it.
      await store?.destroyCache();
    }),
    command(Command.refresh, 'Refresh', async (node) => {
      const accounts =
        node && (node as TreeNode).kind === 'account'
          ? [(node as Extract<TreeNode, { kind: 'account' }>).account]
          : ctx.model.accounts;
      await quietProgress({ viewId: 'mailroom.mailboxes' }, label`Refreshing`, async () => {
        for (const account of accounts) await account.store?.refreshAll();
      });
    }),
    command(Command.retryAccount, 'Retry', async (node) => {
      const account = await resolveAccount(ctx, node);
      if (!account) return;
      if (!account.store) {
        void notify.error(message`${account.name}: ${account.entry.problem}`, 'Open Settings').then((c) => {
          if (c) void vscode.commands.executeCommand('workbench.action.openSettingsJson');
        });
        return;
      }
      await account.store.retry();
    }),
    command(Command.loadMore, 'Load More', async (node) => {
      const n = node as Extract<TreeNode, { kind: 'loadMore' }>;
      if (n?.kind === 'loadMore') await n.account.requireStore().loadMore(n.path);
    }),
    command(Command.openMessage, 'Open Message', async (node, nodes) => {
      const [target] = resolveTargets(ctx, node, nodes);
      if (target) await ctx.reader.show(target);
    }),
  ];
}
