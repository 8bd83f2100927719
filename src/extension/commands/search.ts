// "Search Mail…": server-side search with a small query language
// (from:ann subject:"report" since:2026-01-01 is:unread is:flagged free text), results in a
// quick pick; Enter opens the reader.
import * as vscode from 'vscode';
import { parseSearchText } from '../../core/search';
import { senderName, shortDate, subjectOf } from '../format';
import type { MessageTarget } from '../mailActions';
import type { TreeNode } from '../tree';
import { command, type CommandContext, resolveAccount } from './context';

async function search(ctx: CommandContext, node?: unknown): Promise<void> {
  const account = await resolveAccount(ctx, node);
  if (!account) {
    void vscode.window.showInformationMessage('Add a mail account first.');
    return;
  }
  const folder = (node as TreeNode | undefined)?.kind === 'folder' ? (node as Extract<TreeNode, { kind: 'folder' }>).folder.path : 'INBOX';
  const input = await vscode.window.showInputBox({
    title: `Search Mail in ${account.name} / ${folder}`,
    prompt: 'Words to find, or from:  to:  subject:  body:  since:YYYY-MM-DD  before:YYYY-MM-DD  is:unread  is:flagged',
    placeHolder: 'from:ann subject:report is:unread',
    ignoreFocusOut: true,
  });
  if (!input?.trim()) return;
  const query = parseSearchText(input);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Searching ${folder}…` },
    () => account.requireMail().search(folder, query, { limit: 200 }),
  );
  const items = result.messages.map((m) => ({
    label: subjectOf(m.subject),
    description: senderName(m.from),
    detail: `${shortDate(m.date)}${m.flags.includes('\\Seen') ? '' : ' · unread'}${m.flags.includes('\\Flagged') ? ' · flagged' : ''}`,
    target: { account, ref: m } as MessageTarget,
  }));
  const more = result.uids.length > items.length ? ` (showing the newest ${items.length})` : '';
  const pick = await vscode.window.showQuickPick(items, {
    title: `${result.uids.length} result(s) for "${input.trim()}"${more}`,
    placeHolder: items.length ? 'Enter opens the message' : 'Nothing found',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (pick) await ctx.reader.show(pick.target);
}

export function registerSearch(ctx: CommandContext): vscode.Disposable[] {
  return [command('mailroom.search', 'Search Mail…', (node) => search(ctx, node))];
}
