// Read/unread, flag, move, archive, delete, undo: thin wrappers that resolve targets and call
// mailActions, with progress for what touches the server.
import type * as vscode from 'vscode';
import * as actions from '../mailActions';
import { settings } from '../settings';
import { label, type LabelText, notify, quietProgress } from '../ui';
import { command, type CommandContext, isFlagged, resolveTargets } from './context';

const progress = <T>(title: LabelText, task: () => Promise<T>) => quietProgress({ viewId: 'mailroom.mailboxes' }, title, task);

export function registerMessageCommands(ctx: CommandContext): vscode.Disposable[] {
  const leaving = (targets: actions.MessageTarget[]) => ctx.reader.closeIf(targets.map((t) => t.ref));
  const patch = (targets: actions.MessageTarget[], change: { add?: string; remove?: string }) =>
    ctx.reader.patchFlags(targets.map((t) => t.ref), change);
  const flagged = (t: actions.MessageTarget) => isFlagged(t) || (ctx.reader.flagsOf(t.ref)?.includes('\\Flagged') ?? false);
  return [
    command('mailroom.markRead', 'Mark as Read', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Marking as read`, () => actions.setRead(targets, true));
      patch(targets, { add: '\\Seen' });
    }),
    command('mailroom.markUnread', 'Mark as Unread', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Marking as unread`, () => actions.setRead(targets, false));
      patch(targets, { remove: '\\Seen' });
    }),
    command('mailroom.toggleFlag', 'Toggle Flag', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      const on = await progress(label`Flagging`, () => actions.toggleFlag(targets, flagged));
      patch(targets, on ? { add: '\\Flagged' } : { remove: '\\Flagged' });
    }),
    command('mailroom.archiveMessage', 'Archive Message', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Archiving`, () => actions.archive(targets));
      leaving(targets);
    }),
    command('mailroom.deleteMessage', 'Delete Message', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      await progress(label`Deleting`, () => actions.remove(targets, settings.confirmDelete()));
      leaving(targets);
    }),
    command('mailroom.moveMessage', 'Move Message…', async (node, nodes) => {
      const targets = resolveTargets(ctx, node, nodes);
      const account = targets[0]!.account;
      if (targets.some((t) => t.account !== account)) throw new Error('Move messages of one account at a time.');
      const destination = await actions.pickFolder(account, targets[0]!.ref.mailbox);
      if (!destination) return;
      await progress(label`Moving to ${destination}`, () => actions.move(targets, destination));
      leaving(targets);
    }),
    command('mailroom.undo', 'Undo Last Action', async () => {
      const text = await progress(label`Undoing`, () => actions.undoLast());
      void notify.info(text);
    }),
  ];
}
