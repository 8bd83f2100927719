// View Source: the raw message in a read-only editor, as an .eml document of its own URI scheme
// (a TextDocumentContentProvider, so VS Code offers no Save over it and nothing is written to
// disk). The URI names the message by account and ref only — never by its subject, which is the
// sender's text. A message larger than the cap shows its start and says so at the end.
import * as vscode from 'vscode';
import type { MessageRef } from '../../core/mailbox/messages';
import { MAX_SOURCE_BYTES } from '../../core/reading/source';
import { Disposable } from '../disposable';
import type { MessageTarget } from '../mailActions';
import type { MailModel } from '../model';

export const SOURCE_SCHEME = 'mailroom-source';

const formatSize = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export class MessageSourceProvider extends Disposable implements vscode.TextDocumentContentProvider {
  constructor(private readonly model: MailModel) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(SOURCE_SCHEME, this));
  }

  static uriOf(target: MessageTarget): vscode.Uri {
    const { mailbox, uidValidity, uid } = target.ref;
    const query = new URLSearchParams({ account: target.account.name, mailbox, uidValidity, uid: String(uid) });
    return vscode.Uri.from({ scheme: SOURCE_SCHEME, path: `/message-${uid}.eml`, query: query.toString() });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const account = this.model.account(q.get('account') ?? '');
    const uid = Number(q.get('uid'));
    const ref: MessageRef = { mailbox: q.get('mailbox') ?? '', uidValidity: q.get('uidValidity') ?? '', uid };
    if (!account?.store || !Number.isSafeInteger(uid) || uid < 1) return 'This message cannot be found any more.';
    const source = await account.store.mail.readSource(ref, MAX_SOURCE_BYTES);
    const text = source.raw.toString('utf8');
    if (!source.truncated) return text;
    return `${text}\n\n[Mailroom: only the first ${formatSize(source.raw.length)} of this ${formatSize(source.size)} message are shown.]\n`;
  }

  async open(target: MessageTarget): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(MessageSourceProvider.uriOf(target));
    await vscode.window.showTextDocument(doc, { preview: false });
  }
}
