// The reader's mailing-list actions (List-* headers, parsed in src/core/lists). Each runs only on the
// user's click, and everything that leaves this machine is said first: a one-click unsubscribe
// (RFC 8058) names the list and the host it goes to, a mailto: shows the whole mail and its
// recipient, a web page or the archive names its host before the browser opens it.
import * as vscode from 'vscode';
import { identityOf } from '../../core/compose/identity';
import { formatComposer } from '../../core/compose/document';
import { newContext } from '../../core/compose/context';
import type { MailingList } from '../../core/lists/list-headers';
import { oneClickUnsubscribe } from '../../core/lists/one-click';
import type { ReaderList, ReaderListAction } from '../../shared/reader-protocol';
import { Command } from '../commands/ids';
import type { MessageTarget } from '../mailActions';
import { ask, message, notificationProgress, notify } from '../ui';

type ListAction = ReaderListAction;

/** What the reader's buttons offer for this list (no URIs: the page needs none). */
export function listButtons(list: MailingList | undefined): ReaderList | undefined {
  if (!list) return undefined;
  const u = list.unsubscribe;
  const unsubscribe = u.oneClick ? 'oneClick' : u.mailto ? 'mailto' : u.web ? 'web' : undefined;
  return {
    ...(list.name || list.id ? { name: list.name ?? list.id! } : {}),
    ...(unsubscribe ? { unsubscribe } : {}),
    replyToList: !!list.post,
    archive: !!list.archive,
  };
}

const listName = (list: MailingList) => list.name ?? list.id ?? 'this mailing list';
const hostOf = (url: string) => new URL(url).host;

export class ListActions {
  /** Messages whose one-click unsubscribe is under way or done: one click sends one POST. */
  private readonly sent = new WeakSet<MailingList>();

  async run(target: MessageTarget, list: MailingList, action: ListAction): Promise<void> {
    switch (action) {
      case 'unsubscribe':
        return this.unsubscribe(target, list);
      case 'replyToList':
        return this.replyToList(target, list);
      case 'openArchive':
        if (list.archive) await this.openWeb(list.archive, message`Open the archive of ${listName(list)}?`);
        return;
    }
  }

  private async unsubscribe(target: MessageTarget, list: MailingList): Promise<void> {
    const u = list.unsubscribe;
    if (u.oneClick) {
      if (this.sent.has(list)) {
        void notify.info(message`The unsubscribe request for ${listName(list)} was already sent.`);
        return;
      }
      const host = hostOf(u.oneClick);
      const go = await ask(
        message`Unsubscribe from ${listName(list)}?`,
        {
          detail: message`Mailroom will send the list's one-click unsubscribe request (an HTTPS POST of "List-Unsubscribe=One-Click", nothing about you) to ${host}.`,
        },
        'Unsubscribe',
      );
      if (go !== 'Unsubscribe' || this.sent.has(list)) return;
      this.sent.add(list);
      try {
        await notificationProgress(message`Unsubscribing from ${listName(list)}…`, () =>
          oneClickUnsubscribe(u.oneClick!),
        );
      } catch (err) {
        this.sent.delete(list); // nothing reached the list: the user may try again
        throw err;
      }
      void notify.info(message`Unsubscribed: ${host} accepted the request for ${listName(list)}.`);
      return;
    }
    if (u.mailto) return this.unsubscribeByMail(target, list, u.mailto);
    if (u.web) await this.openWeb(u.web, message`Open the unsubscribe page of ${listName(list)}?`);
  }

  private async unsubscribeByMail(
    target: MessageTarget,
    list: MailingList,
    mailto: NonNullable<MailingList['unsubscribe']['mailto']>,
  ): Promise<void> {
    const store = target.account.requireStore();
    const identity = identityOf(store.config);
    const subject = mailto.subject ?? 'unsubscribe';
    const body = mailto.body ?? '';
    const go = await ask(
      message`Unsubscribe from ${listName(list)} by sending this mail?`,
      {
        detail: message`From: ${identity.from.address}\nTo: ${mailto.to}\nSubject: ${subject}\n\n${body || '(empty body)'}`,
      },
      'Send',
    );
    if (go !== 'Send') return;
    const text = formatComposer({
      from: identity.from,
      to: [{ address: mailto.to }],
      cc: [],
      subject,
      attach: [],
      body,
    });
    await notificationProgress(message`Sending the unsubscribe mail to ${mailto.to}…`, () =>
      store.apply({ kind: 'send', request: { text, context: newContext(), format: 'plain' } }),
    );
    void notify.info(message`Sent the unsubscribe mail to ${mailto.to}.`);
  }

  private async replyToList(target: MessageTarget, list: MailingList): Promise<void> {
    if (!list.post) return;
    await vscode.commands.executeCommand(Command.replyToList, target);
  }

  private async openWeb(url: string, question: ReturnType<typeof message>): Promise<void> {
    const parsed = vscode.Uri.parse(url, true);
    const plainHttp = parsed.scheme === 'http';
    const go = await ask(
      question,
      {
        detail: message`Your browser will open a page on ${hostOf(url)}${plainHttp ? ' (over unencrypted http)' : ''}:\n${url}`,
      },
      'Open',
    );
    if (go === 'Open') await vscode.env.openExternal(parsed);
  }
}
