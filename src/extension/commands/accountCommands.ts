// Add/remove accounts, sign in, refresh, retry, load more, open.
import * as vscode from 'vscode';
import { readAccounts, writeAccounts } from '../settings';
import type { TreeNode } from '../tree';
import { ask, label, message, notify, pick, quietProgress } from '../ui';
import { addAccount } from './addAccount';
import { command, type CommandContext, resolveAccount, resolveTargets } from './context';
import { Command } from './ids';

/** "Sign in" / "Sign in again" of an OAuth2 account; a password account is asked for its password again. */
async function signIn(ctx: CommandContext, node: unknown): Promise<void> {
  const n = node as TreeNode | undefined;
  const account =
    n && 'account' in n
      ? n.account
      : await (async () => {
          const oauth = ctx.model.accounts.filter((a) => a.entry.config?.auth === 'oauth2');
          if (oauth.length <= 1) return oauth[0];
          const chosen = await pick(
            oauth.map((a) => ({ label: label`${a.name}`, account: a })),
            { title: label`Sign in to which account?` },
          );
          return chosen?.account;
        })();
  if (!account) {
    void notify.info(message`No account signs in with OAuth 2.0; Add Account offers "Sign in with …".`);
    return;
  }
  const config = account.entry.config;
  if (!config || config.auth !== 'oauth2') {
    await account.store?.retry();
    return;
  }
  if (await ctx.signIns.signIn(config)) await account.store?.retry();
}

export function registerAccountCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(Command.addAccount, 'Add Account', () => addAccount(ctx, ctx.signIns.logger)),
    command(Command.signIn, 'Sign In', (node) => signIn(ctx, node)),
    command(Command.removeAccount, 'Remove Account', async (node) => {
      const account = (await resolveAccount(ctx, node)) ?? ctx.model.accounts[0];
      if (!account) return;
      const ok = await ask(
        message`Remove the account "${account.name}" from Mailroom?`,
        {
          detail: message`Mail on the server is not touched; the saved password or sign-in and the cached mail are deleted.`,
        },
        'Remove',
      );
      if (ok !== 'Remove') return;
      const store = account.store;
      await ctx.passwords.delete({ name: account.name });
      await ctx.passwords.delete({ name: `${account.name} (SMTP)` });
      await ctx.signIns.forget(account.name);
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
