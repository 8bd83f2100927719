// "Search Mail…": asks where (this folder, all folders of the account, all accounts; the folder
// selected in the tree comes first), then what — a small query language
// (from:ann subject:"report" since:2026-01-01 is:unread is:flagged tag:work free text) — and
// shows the server's matches in one list saying where each message is. Enter selects the message
// in the tree and opens it in the reader.
import type * as vscode from 'vscode';
import { parseSearchText } from '../../core/mailbox/search';
import { revealInTree } from '../reveal';
import { senderName, shortDate, subjectOf } from '../format';
import { folderLabel, type MessageTarget } from '../mailActions';
import type { Account } from '../model';
import { type FoundMessage, searchEverywhere } from '../savedSearches';
import type { TreeNode } from '../tree';
import { input, label, message, notificationProgress, notify, pick } from '../ui';
import { command, type CommandContext } from './context';
import { Command } from './ids';
import { Flag } from '../../shared/flags';

type Scope = Array<{ account: Account; folders: readonly string[] | 'all' }>;

/** The folder the person is on: the clicked folder, else the one selected in the tree (or its message's). */
function currentFolder(ctx: CommandContext, node?: unknown): { account: Account; path: string } | undefined {
  const n = (node as TreeNode | undefined) ?? ctx.tree.selection[0];
  if (n?.kind === 'folder' && n.folder.selectable) return { account: n.account, path: n.folder.path };
  if (n?.kind === 'message') return { account: n.account, path: n.message.mailbox };
  if (n?.kind === 'account') return { account: n.account, path: 'INBOX' };
  const reading = ctx.reader.current;
  if (reading) return { account: reading.account, path: reading.ref.mailbox };
  return undefined;
}

async function askScope(ctx: CommandContext, node?: unknown): Promise<{ scope: Scope; where: string } | undefined> {
  const accounts = ctx.model.accounts.filter((a) => a.store);
  const here = currentFolder(ctx, node) ?? (accounts[0] ? { account: accounts[0], path: 'INBOX' } : undefined);
  if (!here) return undefined;
  const items = [
    {
      label: label`$(folder) This folder`,
      description: label`${here.account.name} / ${folderLabel(here.path)}`,
      scope: [{ account: here.account, folders: [here.path] }] as Scope,
      where: `${folderLabel(here.path)} (${here.account.name})`,
    },
    {
      label: label`$(folder-library) All folders of ${here.account.name}`,
      scope: [{ account: here.account, folders: 'all' }] as Scope,
      where: `all folders of ${here.account.name}`,
    },
    ...(accounts.length > 1
      ? [
          {
            label: label`$(globe) All accounts`,
            description: label`every folder of ${accounts.length} accounts`,
            scope: accounts.map((account) => ({ account, folders: 'all' as const })) as Scope,
            where: 'all accounts',
          },
        ]
      : []),
  ];
  const chosen = await pick(items, { title: label`Search Mail — where?`, placeHolder: label`Where to search` });
  return chosen ? { scope: chosen.scope, where: chosen.where } : undefined;
}

function resultItem(f: FoundMessage, many: boolean) {
  const m = f.message;
  const flags = f.account.store?.flags(m) ?? m.flags;
  const state = [!flags.includes(Flag.Seen) && 'unread', flags.includes(Flag.Flagged) && 'flagged'].filter(Boolean);
  return {
    label: label`${subjectOf(m.subject)}`,
    description: label`${senderName(m.from)} · ${shortDate(m.date)}`,
    // Where it is, always: results come from several folders (and accounts).
    detail: label`${[`${many ? `${f.account.name} / ` : ''}${folderLabel(m.mailbox)}`, ...state].join(' · ')}`,
    target: { account: f.account, ref: m } as MessageTarget,
  };
}

async function search(ctx: CommandContext, node?: unknown): Promise<void> {
  if (!ctx.model.accounts.some((a) => a.store)) {
    void notify.info(message`Add a mail account first.`);
    return;
  }
  const where = await askScope(ctx, node);
  if (!where) return;
  const text = await input({
    title: label`Search Mail in ${where.where}`,
    prompt: label`Words to find, or from:  to:  subject:  body:  since:YYYY-MM-DD  before:YYYY-MM-DD  is:unread  is:flagged  tag:keyword`,
    placeHolder: label`from:ann subject:report is:unread`,
    ignoreFocusOut: true,
  });
  if (!text?.trim()) return;
  const query = parseSearchText(text);
  const result = await notificationProgress(message`Searching ${where.where}…`, () =>
    searchEverywhere(where.scope, query, 200),
  );
  const many = new Set(result.messages.map((f) => f.account)).size > 1 || where.scope.length > 1;
  const items = result.messages.map((f) => resultItem(f, many));
  if (result.problems.length)
    void notify.warn(message`Some folders could not be searched: ${result.problems.join('; ')}`);
  const title =
    result.total > items.length
      ? label`${result.total} result(s) for "${text}" in ${where.where} (showing the newest ${items.length})`
      : label`${result.total} result(s) for "${text}" in ${where.where}`;
  const chosen = await pick(items, {
    title,
    placeHolder: items.length ? label`Enter selects it in the tree and opens it` : label`Nothing found`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!chosen) return;
  await revealInTree(ctx, chosen.target);
  await ctx.reader.show(chosen.target);
}

export function registerSearch(ctx: CommandContext): vscode.Disposable[] {
  return [command(Command.search, 'Search Mail…', (node) => search(ctx, node))];
}
