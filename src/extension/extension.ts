// Composition root: builds the services and registers the UI. Nothing connects to a server until
// the Mailboxes view asks for folders (or VS Code restores a reader tab).
import * as vscode from 'vscode';
import { bareMessageId } from '../core/links/links';
import { messageText, type MessageContent } from '../core/reading/reader';
import { registerAccountCommands } from './commands/accountCommands';
import { registerComposeCommands } from './compose/composeCommands';
import { ComposeLanguage } from './compose/composeLanguage';
import { Composers } from './compose/composers';
import type { CommandContext } from './commands/context';
import { Command } from './commands/ids';
import { offerUndo, registerMessageCommands } from './commands/messageCommands';
import { registerOrganiseCommands } from './commands/organiseCommands';
import { registerSearch } from './commands/search';
import { registerTriage } from './commands/triage';
import { MessageLinks } from './links/messageLinks';
import { findWorkspaceRefs } from './links/workspaceRefs';
import { createLogChannel, tracing } from './logChannel';
import { MailActions, type MessageTarget } from './mailActions';
import { MailModel } from './model';
import { ReaderPanel, type RelatedProvider } from './reader/readerPanel';
import { PasswordStore } from './secrets';
import { SignIns } from './signIn';
import { UnreadIndicators } from './statusBar';
import { MessageDragAndDrop } from './dragAndDrop';
import { revealCommand } from './reveal';
import { RowDecorations } from './rowDecorations';
import { MailTreeProvider } from './tree';
import { message, notify } from './ui';

export function activate(context: vscode.ExtensionContext): void {
  const { channel, logger } = createLogChannel();
  const passwords = new PasswordStore(context.secrets);
  const signIns = new SignIns(context.secrets, logger);
  const model = new MailModel(
    passwords,
    logger,
    () => tracing(channel),
    vscode.Uri.joinPath(context.globalStorageUri, 'cache').fsPath,
    signIns,
  );
  const actions = new MailActions(model);
  const provider = new MailTreeProvider(model);
  let ctx: CommandContext | undefined;
  const tree = vscode.window.createTreeView('mailroom.mailboxes', {
    treeDataProvider: provider,
    canSelectMany: true,
    showCollapseAll: true,
    // Dropping messages on a folder is Move Message… to it: undoable, the next row selected.
    dragAndDropController: new MessageDragAndDrop(async (rows, to) => {
      const before = model.undo.last;
      await actions.move(
        rows.map((n) => ({ account: n.account, ref: n.message })),
        to,
      );
      if (ctx) offerUndo(ctx, before);
    }),
  });
  let links: MessageLinks | undefined;
  const reader = new ReaderPanel(
    context,
    model,
    actions,
    (target, content) => related(target, content, links),
    (target) => provider.messageBelow(target.account, target.ref),
  );
  context.subscriptions.push(tree.onDidExpandElement((e) => provider.expanded(e.element)));
  ctx = { extension: context, model, actions, tree, rows: provider, reader, passwords, signIns };
  links = new MessageLinks(ctx);
  const commandCtx = ctx;
  const composers = new Composers(context, model);
  context.subscriptions.push(
    channel,
    model,
    provider,
    tree,
    reader,
    new UnreadIndicators(model, tree, reader),
    ...registerAccountCommands(ctx),
    ...registerMessageCommands(ctx),
    ...registerOrganiseCommands(ctx),
    vscode.window.registerFileDecorationProvider(new RowDecorations()),
    vscode.commands.registerCommand(Command.revealInMailboxes, (target?: MessageTarget) =>
      revealCommand(commandCtx, target ?? reader.current),
    ),
    ...registerTriage(ctx),
    ...registerSearch(ctx),
    ...links.register(),
    composers,
    new ComposeLanguage(model, composers),
    ...registerComposeCommands(ctx, composers),
    vscode.commands.registerCommand(Command.clearCache, async () => {
      await model.clearCache();
      void notify.info(message`Mailroom: the local cache was cleared; folders reload from the server.`);
    }),
  );
  logger.info(`Mailroom activated with ${model.accounts.length} account(s)`);
  // Composers a reloaded window brings back are reopened by VS Code itself; the others are offered.
  const recovery = setTimeout(() => void composers.offerRecovery(), 3000);
  context.subscriptions.push({ dispose: () => clearTimeout(recovery) });
}

/** What the reader lists under "In this workspace": tasks linking to the message, files and issues it names. */
async function related(
  target: MessageTarget,
  content: MessageContent,
  links: MessageLinks | undefined,
): ReturnType<RelatedProvider> {
  const tasks =
    content.messageId && links ? await links.tasksLinkingTo(target.account.name, bareMessageId(content.messageId)) : [];
  const refs = await findWorkspaceRefs(`${content.subject}\n${messageText(content)}`);
  return [
    ...tasks.map((t, i) => ({
      item: {
        id: `t${i}`,
        kind: 'task' as const,
        label: t.text || 'Task',
        detail: `${vscode.workspace.asRelativePath(t.uri)}:${t.line + 1}`,
      },
      open: async () => {
        await vscode.window.showTextDocument(t.uri, {
          selection: new vscode.Range(t.line, 0, t.line, 0),
          preview: false,
        });
      },
    })),
    ...refs.map((r, i) => ({
      item: { id: `w${i}`, kind: r.kind, label: r.label, detail: r.detail },
      open: async () => {
        if (r.kind === 'file') {
          const line = Math.max(0, (r.line ?? 1) - 1);
          await vscode.window.showTextDocument(r.uri, {
            selection: new vscode.Range(line, 0, line, 0),
            preview: false,
          });
        } else await vscode.env.openExternal(r.uri);
      },
    })),
  ];
}

export function deactivate(): void {}
