// "Triage Inbox": a quick pick of unread INBOX mail with per-item buttons and keys (Alt+A archive,
// Alt+D delete, Alt+F flag, Alt+R mark read, Enter open). After an action it stays open on the next
// message, so an inbox can be cleared without the mouse.
import * as vscode from 'vscode';
import type { MessageSummary } from '../../core/mailbox/messages';
import * as actions from '../mailActions';
import type { AccountModel } from '../model';
import { senderName, shortDate, subjectOf } from '../format';
import { settings } from '../settings';
import { createPick, label, type PickItem } from '../ui';
import { command, type CommandContext } from './context';

type TriageAction = 'archive' | 'delete' | 'flag' | 'read' | 'open';

interface TriageItem extends PickItem {
  account: AccountModel;
  message: MessageSummary;
}

const BUTTONS: Array<{ action: TriageAction; icon: string; tooltip: string }> = [
  { action: 'archive', icon: 'archive', tooltip: 'Archive (Alt+A)' },
  { action: 'flag', icon: 'star-empty', tooltip: 'Toggle flag (Alt+F)' },
  { action: 'read', icon: 'mail-read', tooltip: 'Mark read (Alt+R)' },
  { action: 'delete', icon: 'trash', tooltip: 'Delete (Alt+D)' },
];

let active: { run(action: TriageAction): Promise<void> } | undefined;

function toItem(account: AccountModel, m: MessageSummary, multi: boolean): TriageItem {
  const flagged = m.flags.includes('\\Flagged');
  const subject = subjectOf(m.subject);
  return {
    label: flagged ? label`$(star-full) ${subject}` : label`${subject}`,
    description: multi ? label`${senderName(m.from)} · ${account.name}` : label`${senderName(m.from)}`,
    detail: m.hasAttachments ? label`${shortDate(m.date)} · $(attach) attachments` : label`${shortDate(m.date)}`,
    buttons: BUTTONS.map((b) => ({ iconPath: new vscode.ThemeIcon(b.icon), tooltip: b.tooltip })),
    account,
    message: m,
  };
}

async function unreadInbox(ctx: CommandContext): Promise<TriageItem[]> {
  const accounts = ctx.model.accounts.filter((a) => a.mail);
  const items: TriageItem[] = [];
  for (const account of accounts) {
    await account.loadFolders();
    const result = await account.requireMail().search('INBOX', { unseen: true }, { limit: 500 });
    items.push(...result.messages.map((m) => toItem(account, m, accounts.length > 1)));
  }
  return items.sort((a, b) => b.message.date.localeCompare(a.message.date));
}

async function triage(ctx: CommandContext): Promise<void> {
  const pick = createPick<TriageItem>();
  pick.title = label`Triage Inbox`;
  pick.placeholder = label`Enter opens · Alt+A archive · Alt+D delete · Alt+F flag · Alt+R mark read`;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  pick.busy = true;
  pick.show();
  const multiAccount = ctx.model.accounts.filter((a) => a.mail).length > 1;
  await vscode.commands.executeCommand('setContext', 'mailroom.triageActive', true);

  const refreshTitle = () => { pick.title = label`Triage Inbox — ${pick.items.length} unread`; };
  const run = async (action: TriageAction, item = pick.activeItems[0]) => {
    if (!item) return;
    const target = { account: item.account, ref: item.message };
    const index = pick.items.indexOf(item);
    pick.busy = true;
    try {
      if (action === 'open') {
        await ctx.reader.show(target);
        return;
      }
      if (action === 'archive') await actions.archive([target]);
      else if (action === 'delete') await actions.remove([target], settings.confirmDelete());
      else if (action === 'flag') {
        const flagged = await actions.toggleFlag([target], () => item.message.flags.includes('\\Flagged'));
        item.message.flags = flagged ? [...item.message.flags, '\\Flagged'] : item.message.flags.filter((f) => f !== '\\Flagged');
        const updated = toItem(item.account, item.message, multiAccount);
        pick.items = pick.items.map((i) => (i === item ? updated : i));
        pick.activeItems = [updated];
        return;
      } else if (action === 'read') await actions.setRead([target], true);
      // The message leaves the unread list: move on to the next one.
      const rest = pick.items.filter((i) => i !== item);
      pick.items = rest;
      const next = rest[Math.min(index, rest.length - 1)];
      if (next) pick.activeItems = [next];
      refreshTitle();
      if (!rest.length) pick.placeholder = label`Inbox zero. Press Escape to close.`;
    } catch (err) {
      actions.reportError(`Triage: ${action}`, err);
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
    void vscode.commands.executeCommand('setContext', 'mailroom.triageActive', false);
    pick.dispose();
  });
  try {
    pick.items = await unreadInbox(ctx);
    refreshTitle();
    if (!pick.items.length) pick.placeholder = label`No unread mail in INBOX.`;
  } catch (err) {
    actions.reportError('Triage Inbox', err);
    pick.hide();
  } finally {
    pick.busy = false;
  }
}

export function registerTriage(ctx: CommandContext): vscode.Disposable[] {
  return [
    command('mailroom.triage', 'Triage Inbox', () => triage(ctx)),
    ...(['archive', 'delete', 'flag', 'read'] as const).map((a) =>
      command(`mailroom.triage.${a}`, 'Triage', () => active?.run(a))),
  ];
}
