// The reader: one webview panel that shows the selected message. It receives only sanitized HTML
// from the core, validates every request from the webview, and opens links outside after checking
// them. Remote content stays blocked until the user allows it (once, or always for a sender whose
// mail the receiving server authenticates).
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type MessageContent, renderContent } from '../../core/reading/reader';
import type { MessageRef } from '../../core/mailbox/messages';
import { verifySender } from '../../core/reading/sender-auth';
import { type HostToReader, parseReaderRequest, type ReaderAction, type ReaderMessage, type ReaderRelated, type ReaderToHost, safeExternalLink } from '../../shared/protocol';
import { Disposable } from '../disposable';
import { reportError, setRead, type MessageTarget } from '../mailActions';
import { settings } from '../settings';
import { label, message, notificationProgress, notify, plain, quietProgress } from '../ui';
import { AttachmentViews } from './attachmentViews';
import { readerHtml } from './readerHtml';

/**
 * "Always for this sender": account + address pairs, honoured only for a message the receiving
 * server authenticated as coming from that address's domain (DMARC or DKIM pass in its topmost
 * Authentication-Results), because anyone can write any From:. The first version's list keyed on
 * the bare From address alone; it is dropped, not carried over.
 */
const REMOTE_SENDERS_KEY = 'mailroom.remoteContentSenders.v2';
const OLD_REMOTE_SENDERS_KEY = 'mailroom.remoteContentSenders';

interface Shown {
  key: string;
  target: MessageTarget;
  content: MessageContent;
  allowRemote: boolean;
  /** What the reader says about this showing (besides the message's own warnings). */
  notes: string[];
  /** Why a sender the user always allows still has remote content blocked (shown while it is). */
  remoteNote?: string;
  related: Map<string, () => Promise<void>>;
  relatedItems: ReaderRelated[];
}

/** Workspace things related to a message, each with how to open it. */
export type RelatedProvider = (target: MessageTarget, content: MessageContent) => Promise<Array<{ item: ReaderRelated; open: () => Promise<void> }>>;

const senderKey = (target: MessageTarget, address: string) => `${target.account.name}\u0000${address}`;

export class ReaderPanel extends Disposable {
  static readonly viewType = 'mailroom.reader';
  private panel: vscode.WebviewPanel | undefined;
  private shown: Shown | undefined;
  private counter = 0;
  private ready = false;
  private queued: HostToReader[] = [];
  private panelAllowsRemote = false;
  private readonly attachments: AttachmentViews;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runAction: (action: ReaderAction, target: MessageTarget) => Promise<void>,
    private readonly related?: RelatedProvider,
  ) {
    super();
    this.attachments = this._register(new AttachmentViews(path.join(context.globalStorageUri.fsPath, 'attachments')));
    if (context.globalState.get(OLD_REMOTE_SENDERS_KEY) !== undefined) void context.globalState.update(OLD_REMOTE_SENDERS_KEY, undefined);
  }

  /** The message on screen, for palette commands. */
  get current(): MessageTarget | undefined {
    return this.shown?.target;
  }

  /**
   * Shows a message. `fromOutside`: asked for by something outside VS Code (a link in a browser):
   * the folder is opened read-only (EXAMINE), the message is not marked read and remote content
   * stays blocked, so that nothing but the user's own click changes the mailbox or tells the sender.
   */
  async show(target: MessageTarget, opts: { fromOutside?: boolean } = {}): Promise<void> {
    const panel = this.ensurePanel();
    panel.reveal(panel.viewColumn ?? vscode.ViewColumn.Active, false);
    this.post({ type: 'busy', text: 'Loading message…' });
    try {
      const content = await quietProgress({ viewId: 'mailroom.mailboxes' }, label`Opening message`,
        () => target.account.readMessage(target.ref, opts.fromOutside ? { readOnly: true } : {}));
      const remote = opts.fromOutside ? { allow: false } : this.alwaysAllowed(target, content);
      const notes = opts.fromOutside ? ['Opened from a link outside VS Code: Mailroom did not mark it read and did not load remote content.'] : [];
      const shown: Shown = { key: `m${++this.counter}`, target, content, allowRemote: remote.allow, notes, related: new Map(), relatedItems: [] };
      if (remote.note) shown.remoteNote = remote.note;
      this.shown = shown;
      panel.title = plain`${content.subject.trim() || '(no subject)'}`;
      this.display();
      void this.showRelated(shown);
      if (!opts.fromOutside && settings.markReadOnOpen() && !content.flags.includes('\\Seen')) {
        await setRead([target], true);
        this.patchFlags([target.ref], { add: '\\Seen' });
      }
    } catch (err) {
      this.post({ type: 'error', text: (err as Error).message });
      reportError('Open Message', err);
    }
  }

  private isShown(ref: MessageRef): boolean {
    const r = this.shown?.target.ref;
    return !!r && r.uid === ref.uid && r.mailbox === ref.mailbox && r.uidValidity === ref.uidValidity;
  }

  /** Flags of the message on screen (the reader may show mail that is in no loaded page). */
  flagsOf(ref: MessageRef): string[] | undefined {
    return this.isShown(ref) ? this.shown!.content.flags : undefined;
  }

  /** Re-renders after a flag change made elsewhere (tree, palette, triage). */
  patchFlags(refs: MessageRef[], change: { add?: string; remove?: string }): void {
    const s = this.shown;
    if (!s || !refs.some((r) => this.isShown(r))) return;
    const flags = s.content.flags.filter((f) => f !== change.remove);
    if (change.add && !flags.includes(change.add)) flags.push(change.add);
    s.content.flags = flags;
    this.post({ type: 'flags', key: s.key, flags });
  }

  /** The message left its folder (archived, moved, deleted): the reader closes on it. */
  closeIf(refs: MessageRef[]): void {
    const s = this.shown;
    if (s && refs.some((r) => r.uid === s.target.ref.uid && r.mailbox === s.target.ref.mailbox)) {
      this.shown = undefined;
      this.panel?.dispose();
    }
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const panel = vscode.window.createWebviewPanel(ReaderPanel.viewType, 'Mail', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableForms: false,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    });
    panel.iconPath = {
      light: vscode.Uri.joinPath(this.context.extensionUri, 'media', 'mail-light.svg'),
      dark: vscode.Uri.joinPath(this.context.extensionUri, 'media', 'mail-dark.svg'),
    };
    this.panel = panel;
    this.setHtml(false);
    panel.webview.onDidReceiveMessage((raw: unknown) => this.onRequest(raw));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.shown = undefined;
      this.attachments.clear();
    });
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false; // its page is gone until it is shown again
      void vscode.commands.executeCommand('setContext', 'mailroom.readerActive', panel.active);
    });
    return panel;
  }

  private setHtml(allowRemote: boolean): void {
    if (!this.panel) return;
    this.ready = false;
    this.panelAllowsRemote = allowRemote;
    this.panel.webview.html = readerHtml(this.panel.webview, this.context.extensionUri, allowRemote);
  }

  private display(): void {
    const s = this.shown;
    if (!s) return;
    if (s.allowRemote !== this.panelAllowsRemote) this.setHtml(s.allowRemote); // the CSP must change too
    const view = renderContent(s.content, { allowRemote: s.allowRemote });
    const message: ReaderMessage = {
      key: s.key,
      subject: view.subject,
      from: view.from,
      to: view.to,
      cc: view.cc,
      flags: view.flags,
      remoteBlocked: view.remoteBlocked,
      remoteAllowed: s.allowRemote,
      attachments: view.attachments.map((a) => ({ part: a.part, filename: a.filename, type: a.type, size: a.size })),
      warnings: [...view.warnings, ...s.notes, ...(s.remoteNote && view.remoteBlocked > 0 ? [s.remoteNote] : [])],
      truncated: view.truncated,
      body: view.body,
      ...(view.date ? { date: view.date } : {}),
    };
    this.post({ type: 'show', message });
    if (s.relatedItems.length) this.post({ type: 'related', key: s.key, items: s.relatedItems });
  }

  private async showRelated(s: Shown): Promise<void> {
    if (!this.related) return;
    try {
      const found = await this.related(s.target, s.content);
      if (this.shown !== s || !found.length) return;
      for (const f of found) s.related.set(f.item.id, f.open);
      s.relatedItems = found.map((f) => f.item);
      this.post({ type: 'related', key: s.key, items: s.relatedItems });
    } catch {
      // related items are a convenience; the message itself is on screen
    }
  }

  private post(message: HostToReader): void {
    if (!this.panel) return;
    if (!this.ready) {
      // A newer 'show' or 'busy' replaces everything queued before it.
      if (message.type === 'show' || message.type === 'busy' || message.type === 'error') this.queued = [];
      this.queued.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private async onRequest(raw: unknown): Promise<void> {
    const request = parseReaderRequest(raw);
    if (!request) return; // malformed or unknown: ignored, never trusted
    if (request.type === 'ready') {
      // A hidden webview is destroyed and rebuilt when shown again: every 'ready' gets the
      // current state, not only what was queued meanwhile.
      this.ready = true;
      const queued = this.queued.splice(0);
      if (queued.some((m) => m.type === 'show' || m.type === 'busy' || m.type === 'error') || !this.shown) {
        for (const m of queued) void this.panel?.webview.postMessage(m);
      } else {
        this.display();
      }
      return;
    }
    const s = this.shown;
    if (request.type === 'openLink') return this.openLink(request.href);
    if (!s || request.key !== s.key) return; // a stale page cannot act on another message
    try {
      await this.handle(request, s);
    } catch (err) {
      reportError('Mailroom', err);
    }
  }

  private async handle(request: Exclude<ReaderToHost, { type: 'ready' } | { type: 'openLink' }>, s: Shown): Promise<void> {
    switch (request.type) {
      case 'action':
        await this.runAction(request.action, s.target);
        return;
      case 'loadRemote': {
        if (request.always) {
          const verdict = this.verdict(s.content);
          if (verdict.verified) {
            const list = this.context.globalState.get<string[]>(REMOTE_SENDERS_KEY, []);
            await this.context.globalState.update(REMOTE_SENDERS_KEY, [...new Set([...list, senderKey(s.target, verdict.address)])]);
          } else {
            s.notes.push(`Remote content was loaded for this message only. "Always for this sender" was not remembered: ${verdict.why}, so anyone could send mail in ${verdict.address ?? 'this sender'}'s name.`);
          }
        }
        s.allowRemote = true;
        this.display();
        return;
      }
      case 'saveAttachment':
        await this.saveAttachment(s, request.part, request.open);
        return;
      case 'openRelated':
        await s.related.get(request.id)?.();
        return;
    }
  }

  private verdict(content: MessageContent) {
    return verifySender(content.from.map((a) => a.address ?? ''), content.authenticationResults);
  }

  /** Whether "always for this sender" applies to this message, and if it was chosen but does not, why. */
  private alwaysAllowed(target: MessageTarget, content: MessageContent): { allow: boolean; note?: string } {
    const verdict = this.verdict(content);
    const list = this.context.globalState.get<string[]>(REMOTE_SENDERS_KEY, []);
    if (!verdict.address || !list.includes(senderKey(target, verdict.address))) return { allow: false };
    if (verdict.verified) return { allow: true };
    return { allow: false, note: `You always load remote content from ${verdict.address}, but this message is not authenticated as theirs (${verdict.why}): it stays blocked.` };
  }

  private async openLink(href: string): Promise<void> {
    const safe = safeExternalLink(href);
    if (!safe) {
      void notify.warn(message`Mailroom did not open a link it does not trust: ${href.slice(0, 200)}`);
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(safe, true));
  }

  private async saveAttachment(s: Shown, part: string, open: boolean): Promise<void> {
    const attachment = s.content.attachments.find((a) => a.part === part);
    if (!attachment) return;
    const mail = s.target.account.requireMail();
    if (open) {
      await this.attachments.open(attachment, (dir) => notificationProgress(message`Opening ${attachment.filename}…`,
        () => mail.saveAttachment(s.target.ref, { part, filename: attachment.filename }, dir)));
      return;
    }
    const downloads = path.join(os.homedir(), 'Downloads');
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(downloads, attachment.filename)), title: 'Save Attachment' });
    if (!uri) return;
    const saved = await notificationProgress(message`Saving ${attachment.filename}…`,
      () => mail.saveAttachment(s.target.ref, { part, filename: path.basename(uri.fsPath) }, path.dirname(uri.fsPath)));
    void notify.info(message`Saved ${path.basename(saved.path)} to ${path.dirname(saved.path)}.`);
  }

  override dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}
