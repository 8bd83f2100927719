// "Triage Inbox": a quick pick of unread INBOX mail with per-item buttons and keys (Alt+A archive,
// Alt+D delete, Alt+F flag, Alt+R mark read, Enter open). It listens to the account stores like
// every other surface: a message read, flagged, archived or deleted — here, in the tree, the
// reader or on another device — changes or leaves the list, and new unread mail joins it. After
// an action it stays open on the next message, so an inbox can be cleared without the mouse.
import * as vscode from 'vscode';
import { type MessageRef, type ReadonlySummary, refKey } from '../../core/mailbox/messages';
import type { StoreEvent } from '../../core/sync/store-events';
import { Flag } from '../../shared/flags';
import { senderName, shortDate, subjectOf } from '../format';
import { reportError } from '../mailActions';
import type { Account } from '../model';
import { createPick, label, type PickItem } from '../ui';
import { command, type CommandContext } from './context';
import { Command, WorkbenchCommand } from './ids';

type TriageAction = 'archive' | 'delete' | 'flag' | 'read' | 'open';

interface TriageItem extends PickItem {
  account: Account;
  message: ReadonlySummary;
}

const BUTTONS: Array<{ action: TriageAction; icon: string; tooltip: string }> = [
  { action: 'archive', icon: 'archive', tooltip: 'Archive (Alt+A)' },
  { action: 'flag', icon: 'star-empty', tooltip: 'Toggle flag (Alt+F)' },
  { action: 'read', icon: 'mail-read', tooltip: 'Mark read (Alt+R)' },
  { action: 'delete', icon: 'trash', tooltip: 'Delete (Alt+D)' },
];

const INBOX = 'INBOX';

let active: { run(action: TriageAction): Promise<void> } | undefined;

function toItem(account: Account, m: ReadonlySummary, multi: boolean): TriageItem {
  const flags = account.store?.flags(m) ?? m.flags;
  const subject = subjectOf(m.subject);
  // The state in words (a screen reader reads them; it would read an icon's name), icons beside.
  const state = [flags.includes(Flag.Flagged) && 'Flagged', m.hasAttachments && 'with attachment'].filter(Boolean);
  return {
    label: label`${subject}`,
    ...(flags.includes(Flag.Flagged) ? { iconPath: new vscode.ThemeIcon('star-full') } : {}),
    description: multi ? label`${senderName(m.from)} · ${account.name}` : label`${senderName(m.from)}`,
    detail: label`${[...state, shortDate(m.date)].join(', ')}`,
    buttons: BUTTONS.map((b) => ({ iconPath: new vscode.ThemeIcon(b.icon), tooltip: b.tooltip })),
    account,
    message: m,
  };
}

const byDate = (a: TriageItem, b: TriageItem) => b.message.date.localeCompare(a.message.date);

async function unreadInbox(ctx: CommandContext, multi: boolean): Promise<TriageItem[]> {
  const items: TriageItem[] = [];
  for (const account of ctx.model.accounts.filter((a) => a.store)) {
    const store = account.requireStore();
    await store.loadFolders();
    const result = await store.mail.search(INBOX, { unseen: true }, { limit: 500 });
    store.track(result.messages);
    items.push(...result.messages.map((m) => toItem(account, m, multi)));
  }
  return items.sort(byDate);
}

async function triage(ctx: CommandContext): Promise<void> {
  const pick = createPick<TriageItem>();
  pick.title = label`Triage Inbox`;
  pick.placeholder = label`Enter opens · Alt+A archive · Alt+D delete · Alt+F flag · Alt+R mark read`;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  pick.busy = true;
  pick.show();
  const multi = ctx.model.accounts.filter((a) => a.store).length > 1;
  await vscode.commands.executeCommand('setContext', 'mailroom.triageActive', true);

  const refreshTitle = () => {
    pick.title = label`Triage Inbox — ${pick.items.length} unread`;
    if (!pick.items.length) pick.placeholder = label`Inbox zero. Press Escape to close.`;
  };

  /** Replaces the list, keeping the person on the same message (or the one that took its place). */
  const setItems = (next: TriageItem[]) => {
    const current = pick.activeItems[0];
    const index = current ? pick.items.indexOf(current) : 0;
    const key = current ? refKey(current.message) : undefined;
    pick.items = next;
    const same = key ? next.find((i) => refKey(i.message) === key) : undefined;
    const target = same ?? next[Math.min(Math.max(index, 0), next.length - 1)];
    if (target) pick.activeItems = [target];
    refreshTitle();
  };

  // The list follows the stores: whoever read, flagged, moved or removed a message, and new mail.
  const onStore = (account: Account, e: StoreEvent) => {
    if (e.kind !== 'messages' || e.path !== INBOX) return;
    const has = (refs: readonly MessageRef[], m: ReadonlySummary) => refs.some((r) => refKey(r) === refKey(m));
    let next = pick.items.filter(
      (i) =>
        i.account !== account ||
        (!has(e.removed, i.message) &&
          !(has(e.changed, i.message) && account.store?.flags(i.message)?.includes(Flag.Seen))),
    );
    next = next.map((i) =>
      i.account === account && has(e.changed, i.message) ? toItem(account, i.message, multi) : i,
    );
    const arrived = e.added
      .map((r) => account.store?.message(r))
      .filter((m): m is ReadonlySummary => !!m && !m.flags.includes(Flag.Seen));
    if (arrived.length) {
      const known = new Set(next.map((i) => refKey(i.message)));
      next = [...next, ...arrived.filter((m) => !known.has(refKey(m))).map((m) => toItem(account, m, multi))].sort(
        byDate,
      );
    }
    const changed = next.length !== pick.items.length || next.some((i, n) => i !== pick.items[n]);
    if (changed) setItems(next);
  };
  const listening = ctx.model.onDidChange((e) => {
    if (e.kind === 'store') onStore(e.account, e.event);
  });

  const run = async (action: TriageAction, item = pick.activeItems[0]) => {
    if (!item) return;
    const target = { account: item.account, ref: item.message };
    pick.busy = true;
    try {
      if (action === 'open') {
        await ctx.reader.show(target);
        // Triage keeps the keyboard: the reader shows the message beside the list, and Alt+A / Alt+D
        // still act on the list instead of reaching VS Code's menus. The opened message is dealt
        // with: it leaves the unread list (whether or not opening marked it read).
        setItems(pick.items.filter((i) => i !== item));
        await vscode.commands.executeCommand(WorkbenchCommand.focusQuickOpen);
      } else if (action === 'archive') await ctx.actions.archive([target]);
      else if (action === 'delete') await ctx.actions.delete([target]);
      else if (action === 'flag') await ctx.actions.toggleFlag([target]);
      else if (action === 'read') await ctx.actions.setRead([target], true);
    } catch (err) {
      reportError(`Triage: ${action}`, err);
    } finally {
      pick.busy = false;
    }
  };
  active = { run: (a) => run(a) };

  pick.onDidTriggerItemButton((e) => {
    const b = BUTTONS.find((x) => x.tooltip === e.button.tooltip);
    if (b) void run(b.action, e.item);
  });
  pick.onDidAccept(() => void run('open'));
  pick.onDidHide(() => {
    active = undefined;
    listening.dispose();
    void vscode.commands.executeCommand('setContext', 'mailroom.triageActive', false);
    pick.dispose();
  });
  try {
    pick.items = await unreadInbox(ctx, multi);
    refreshTitle();
    if (!pick.items.length) pick.placeholder = label`No unread mail in INBOX.`;
  } catch (err) {
    reportError('Triage Inbox', err);
    pick.hide();
  } finally {
    pick.busy = false;
  }
}

export function registerTriage(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(Command.triage, 'Triage Inbox', () => triage(ctx)),
    command(Command.triageArchive, 'Triage', () => active?.run('archive')),
    command(Command.triageDelete, 'Triage', () => active?.run('delete')),
    command(Command.triageFlag, 'Triage', () => active?.run('flag')),
    command(Command.triageRead, 'Triage', () => active?.run('read')),
  ];
}
