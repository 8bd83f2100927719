// "Search Mail…": server-side search with a small query language
// (from:ann subject:"report" since:2026-01-01 is:unread is:flagged free text), results in a
// quick pick; Enter opens the reader.
import type * as vscode from 'vscode';
import { parseSearchText } from '../../core/mailbox/search';
import { senderName, shortDate, subjectOf } from '../format';
import type { MessageTarget } from '../mailActions';
import type { TreeNode } from '../tree';
import { input, label, message, notificationProgress, notify, pick } from '../ui';
import { command, type CommandContext, resolveAccount } from './context';
import { Command } from './ids';
import { Flag } from '../../shared/flags';

async function search(ctx: CommandContext, node?: unknown): Promise<void> {
  const account = await resolveAccount(ctx, node);
  if (!account) {
    void notify.info(message`Add a mail account first.`);
    return;
  }
  const folder =
    (node as TreeNode | undefined)?.kind === 'folder'
      ? (node as Extract<TreeNode, { kind: 'folder' }>).folder.path
      : 'INBOX';
  const text = await input({
    title: label`Search Mail in ${account.name} / ${folder}`,
    prompt: label`Words to find, or from:  to:  subject:  body:  since:YYYY-MM-DD  before:YYYY-MM-DD  is:unread  is:flagged`,
    placeHolder: label`from:ann subject:report is:unread`,
    ignoreFocusOut: true,
  });
  if (!text?.trim()) return;
  const query = parseSearchText(text);
  const store = account.requireStore();
  const result = await notificationProgress(message`Searching ${folder}…`, () =>
    store.mail.search(folder, query, { limit: 200 }),
  );
  // The results are shown outside the loaded pages: the store keeps their flags up to date.
  store.track(result.messages);
  const items = result.messages.map((m) => ({
    label: label`${subjectOf(m.subject)}`,
    description: label`${senderName(m.from)}`,
    detail: label`${[shortDate(m.date), !m.flags.includes(Flag.Seen) && 'unread', m.flags.includes(Flag.Flagged) && 'flagged'].filter(Boolean).join(' · ')}`,
    target: { account, ref: m } as MessageTarget,
  }));
  const title =
    result.uids.length > items.length
      ? label`${result.uids.length} result(s) for "${text}" (showing the newest ${items.length})`
      : label`${result.uids.length} result(s) for "${text}"`;
  const chosen = await pick(items, {
    title,
    placeHolder: items.length ? label`Enter opens the message` : label`Nothing found`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (chosen) await ctx.reader.show(chosen.target);
}

export function registerSearch(ctx: CommandContext): vscode.Disposable[] {
  return [command(Command.search, 'Search Mail…', (node) => search(ctx, node))];
}
