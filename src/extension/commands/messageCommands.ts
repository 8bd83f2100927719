// Read/unread, flag, move, archive, delete, junk, undo: thin wrappers that resolve targets and call
// the action service, with progress for what touches the server. No view is touched here: the
// tree, the reader and triage hear the change from the account's store — except that after
// messages leave the tree, the next row is selected so the keyboard stays on the list.
import * as vscode from 'vscode';
import type { UndoEntry } from '../../core/sync/undo';
import type { MessageTarget } from '../mailActions';
import { label, type LabelText, notify, quietProgress } from '../ui';
import { command, type CommandContext, resolveRows, resolveTargets } from './context';
import { Command } from './ids';

const progress = <T>(title: LabelText, task: () => Promise<T>) =>
  quietProgress({ viewId: 'mailroom.mailboxes' }, title, task);

/** Offers to undo what was just done ("Archived 1 message" — Undo), when it was recorded for undo. */
export function offerUndo(ctx: CommandContext, before: UndoEntry | undefined): void {
  if (ctx.model.undo.last === before) return;
  void vscode.commands.executeCommand('setContext', 'mailroom.canUndo', true);
  const text = ctx.actions.lastActionText();
  if (!text) return;
  void notify.info(text, 'Undo').then((choice) => {
    if (choice === 'Undo') void vscode.commands.executeCommand(Command.undo);
  });
}

/**
 * Runs an action that takes messages out of their folder; then the row after them is selected
 * (and focused) and the action is offered for undo.
 */
async function removing(
  ctx: CommandContext,
  node: unknown,
  nodes: unknown,
  title: LabelText,
  act: (targets: MessageTarget[]) => Promise<void>,
): Promise<void> {
  const targets = resolveTargets(ctx, node, nodes);
  const next = ctx.rows.nextAfter(resolveRows(ctx, node, nodes));
  const before = ctx.model.undo.last;
  await progress(title, () => act(targets));
  if (next) await ctx.tree.reveal(next, { select: true, focus: true }).then(undefined, () => undefined);
  offerUndo(ctx, before);
}

export function registerMessageCommands(ctx: CommandContext): vscode.Disposable[] {
  const { actions } = ctx;
  const toggleFlag = async (node: unknown, nodes: unknown) => {
    const targets = resolveTargets(ctx, node, nodes);
    await progress(label`Flagging`, () => actions.toggleFlag(targets));
  };
  return [
    command(Command.markRead, 'Mark as Read', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Marking as read`, () => actions.setRead(targets, true));
    }),
    command(Command.markUnread, 'Mark as Unread', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Marking as unread`, () => actions.setRead(targets, false));
    }),
    command(Command.toggleFlag, 'Toggle Flag', toggleFlag),
    command(Command.unflag, 'Unflag', toggleFlag),
    command(Command.archiveMessage, 'Archive Message', (node, nodes) =>
      removing(ctx, node, nodes, label`Archiving`, (t) => actions.archive(t)),
    ),
    command(Command.deleteMessage, 'Delete Message', (node, nodes) =>
      removing(ctx, node, nodes, label`Deleting`, (t) => actions.delete(t)),
    ),
    command(Command.markJunk, 'Mark as Junk', (node, nodes) =>
      removing(ctx, node, nodes, label`Marking as junk`, (t) => actions.junk(t, true)),
    ),
    command(Command.markNotJunk, 'Mark as Not Junk', (node, nodes) =>
      removing(ctx, node, nodes, label`Marking as not junk`, (t) => actions.junk(t, false)),
    ),
    command(Command.moveMessage, 'Move Message…', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      const account = targets[0]!.account;
      if (targets.some((t) => t.account !== account)) throw new Error('Move messages of one account at a time.');
      const destination = await actions.pickFolder(account, targets[0]!.ref.mailbox);
      if (!destination) return;
      await removing(ctx, node, nodes, label`Moving to ${destination}`, (t) => actions.move(t, destination));
    }),
    command(Command.undo, 'Undo Last Action', async () => {
      const text = await progress(label`Undoing`, () => actions.undo());
      void vscode.commands.executeCommand('setContext', 'mailroom.canUndo', !!ctx.model.undo.last);
      void notify.info(text);
    }),
  ];
}
