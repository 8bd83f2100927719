// Unread count in the status bar and on the Mailboxes view badge; optional new-mail notifications.
// It listens to the stores: counts, statuses and new mail.
import * as vscode from 'vscode';
import type { ReadonlySummary } from '../core/mailbox/messages';
import { Command } from './commands/ids';
import { Disposable } from './disposable';
import { senderName, subjectOf } from './format';
import { type Account, accountLine, type MailModel } from './model';
import type { ReaderPanel } from './reader/readerPanel';
import { settings } from './settings';
import type { TreeNode } from './tree';
import { message, notify, plain } from './ui';

export class UnreadIndicators extends Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem('mailroom.unread', vscode.StatusBarAlignment.Left, 50),
  );

  constructor(
    private readonly model: MailModel,
    private readonly tree: vscode.TreeView<TreeNode>,
    private readonly reader: ReaderPanel,
  ) {
    super();
    this.item.name = 'Mailroom Unread';
    // The unread count is an invitation to deal with it.
    this.item.command = Command.triage;
    this._register(
      model.onDidChange((e) => {
        if (e.kind === 'accounts') return this.update();
        const ev = e.event;
        if (ev.kind === 'newMail' && ev.path === 'INBOX') this.notify(e.account, ev.messages);
        if (ev.kind === 'status' || ev.kind === 'folders' || (ev.kind === 'counts' && ev.paths.includes('INBOX')))
          this.update();
      }),
    );
    this.update();
  }

  private update(): void {
    const accounts = this.model.accounts;
    const unread = accounts.reduce((n, a) => n + (a.store?.folder('INBOX')?.counts?.unseen ?? 0), 0);
    // What needs the person, in words ("password needed", "sign in again"), not a bare warning sign.
    const attention = accounts
      .map((a) => ({ account: a, line: accountLine(a) }))
      .filter((x): x is { account: Account; line: { attention: string } & ReturnType<typeof accountLine> } =>
        Boolean(x.line.attention),
      );
    this.tree.badge = unread ? { value: unread, tooltip: `${unread} unread in Inbox` } : undefined;
    if (!accounts.length) {
      this.item.hide();
      return;
    }
    if (attention.length) {
      const what =
        attention.length === 1 ? attention[0]!.line.attention : `${attention.length} accounts need attention`;
      // Fixed words and numbers only: the text of a status bar item draws $(icons).
      this.item.text = `$(warning) ${unread ? `${unread} · ` : ''}Mail: ${what}`;
      this.item.tooltip = plain`Mailroom: ${attention.map((x) => `${x.account.name}: ${x.line.text}`).join('; ')}`;
    } else {
      this.item.text = `$(mail) ${unread}`;
      this.item.tooltip = `Mailroom: ${unread} unread in Inbox`;
    }
    this.item.show();
  }

  private notify(account: Account, messages: readonly ReadonlySummary[]): void {
    if (!settings.notifications()) return;
    const first = messages[0]!;
    const text =
      messages.length === 1
        ? message`New mail from ${senderName(first.from)}: ${subjectOf(first.subject)}`
        : message`${messages.length} new messages in ${account.name}`;
    void notify.info(text, 'Open').then((choice) => {
      if (choice === 'Open') void this.reader.show({ account, ref: first });
    });
  }
}
