// Read/unread, flag, move, archive, delete, undo: thin wrappers that resolve targets and call
// the action service, with progress for what touches the server. No view is touched here: the
// tree, the reader and triage hear the change from the account's store.
import type * as vscode from 'vscode';
import { label, type LabelText, notify, quietProgress } from '../ui';
import { command, type CommandContext, resolveTargets } from './context';
import { Command } from './ids';

const progress = <T>(title: LabelText, task: () => Promise<T>) =>
  quietProgress({ viewId: 'mailroom.mailboxes' }, title, task);

export function registerMessageCommands(ctx: CommandContext): vscode.Disposable[] {
  const { actions } = ctx;
  return [
    command(Command.markRead, 'Mark as Read', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Marking as read`, () => actions.setRead(targets, true));
    }),
    command(Command.markUnread, 'Mark as Unread', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Marking as unread`, () => actions.setRead(targets, false));
    }),
    command(Command.toggleFlag, 'Toggle Flag', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Flagging`, () => actions.toggleFlag(targets));
    }),
    command(Command.archiveMessage, 'Archive Message', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Archiving`, () => actions.archive(targets));
    }),
    command(Command.deleteMessage, 'Delete Message', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Deleting`, () => actions.delete(targets));
    }),
    command(Command.moveMessage, 'Move Message…', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      const account = targets[0]!.account;
      if (targets.some((t) => t.account !== account)) throw new Error('Move messages of one account at a time.');
      const destination = await actions.pickFolder(account, targets[0]!.ref.mailbox);
      if (!destination) return;
      await progress(label`Moving to ${destination}`, () => actions.move(targets, destination));
    }),
    command(Command.undo, 'Undo Last Action', async () => {
      const text = await progress(label`Undoing`, () => actions.undo());
      void notify.info(text);
    }),
  ];
}
