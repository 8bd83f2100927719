// Composition root: builds the services and registers the UI. Nothing connects to a server until
// the Mailboxes view asks for folders.
import * as vscode from 'vscode';
import { registerAccountCommands } from './commands/accountCommands';
import type { CommandContext } from './commands/context';
import { registerMessageCommands } from './commands/messageCommands';
import { registerSearch } from './commands/search';
import { registerTriage } from './commands/triage';
import { createLogChannel, tracing } from './logChannel';
import * as actions from './mailActions';
import { MailModel } from './model';
import { ReaderPanel } from './reader/readerPanel';
import { PasswordStore } from './secrets';
import { UnreadIndicators } from './statusBar';
import { MailTreeProvider } from './tree';

export function activate(context: vscode.ExtensionContext): void {
  const { channel, logger } = createLogChannel();
  const passwords = new PasswordStore(context.secrets);
  const model = new MailModel(passwords, logger, () => tracing(channel));
  const provider = new MailTreeProvider(model);
  const tree = vscode.window.createTreeView('mailroom.mailboxes', { treeDataProvider: provider, canSelectMany: true, showCollapseAll: true });
  const reader = new ReaderPanel(context, (action, target) => vscode.commands.executeCommand(COMMAND_FOR[action], undefined, [treeNodeFor(target)]) as Promise<void>);
  const ctx: CommandContext = { extension: context, model, tree, reader, passwords };
  context.subscriptions.push(
    channel, model, provider, tree, reader,
    new UnreadIndicators(model, tree, reader),
    ...registerAccountCommands(ctx),
    ...registerMessageCommands(ctx),
    ...registerTriage(ctx),
    ...registerSearch(ctx),
  );
  logger.info(`Mailroom activated with ${model.accounts.length} account(s)`);
}

const COMMAND_FOR = {
  markRead: 'mailroom.markRead',
  markUnread: 'mailroom.markUnread',
  toggleFlag: 'mailroom.toggleFlag',
  archive: 'mailroom.archiveMessage',
  delete: 'mailroom.deleteMessage',
  move: 'mailroom.moveMessage',
} as const;

function treeNodeFor(target: actions.MessageTarget) {
  const message = target.account.findSummary(target.ref) ?? { ...target.ref, flags: [], date: '', from: [], to: [], cc: [], subject: '', size: 0, hasAttachments: false };
  return { kind: 'message' as const, account: target.account, message };
}

export function deactivate(): void {}
