// Selecting a message's row in the Mailboxes view from elsewhere (a search result, a linked
// message, the reader): the tree's getParent chain leads VS Code to it.
import type { CommandContext } from './commands/context';
import type { MessageTarget } from './mailActions';
import { message, notify } from './ui';

/** Selects a message's row in the Mailboxes view (a search result, a linked message, the reader's). */
export async function revealInTree(ctx: CommandContext, target: MessageTarget | undefined): Promise<boolean> {
  if (!target) return false;
  const row = await ctx.rows.messageRow(target.account, target.ref).catch(() => undefined);
  if (!row) return false;
  return ctx.tree.reveal(row, { select: true, focus: false, expand: false }).then(
    () => true,
    () => false,
  );
}

/** "Reveal in Mailboxes": like revealInTree, and says why when the row cannot be shown. */
export async function revealCommand(ctx: CommandContext, target: MessageTarget | undefined): Promise<void> {
  if (!target) return void notify.info(message`Open a message first: Reveal in Mailboxes shows its row.`);
  if (await revealInTree(ctx, target)) return;
  // An account whose settings are wrong has no store, so no folders to show the row in: say what is wrong.
  const { status } = target.account;
  if (!target.account.store && status.kind === 'error')
    return void notify.info(message`"${target.account.name}" cannot show its folders: ${status.error.message}`);
  void notify.info(
    message`The message is not among the loaded messages of "${target.ref.mailbox}": "Load more…" in that folder lists older mail.`,
  );
}
