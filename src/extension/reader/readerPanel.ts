// The reader: one webview panel (a client of the webview host) that shows a message. It receives
// only sanitized HTML from the core, validates every request from the webview, and opens links
// outside after checking them. Remote content stays blocked until the user allows it (once, or
// always for a sender whose mail the receiving server authenticates). It listens to the store of
// the message's account: flags changed anywhere show on its buttons, and a message that left its
// folder elsewhere is said to be gone. Its toolbar runs the same actions as the commands.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isMailError, type MailError } from '../../core/errors';
import { type MessageContent, renderContent } from '../../core/reading/reader';
import { type MessageRef, refOf, sameRef } from '../../core/mailbox/messages';
import { verifySender } from '../../core/reading/sender-auth';
import type { StoreEvent } from '../../core/sync/store-events';
import { Flag } from '../../shared/flags';
import {
  type HostToReader,
  READER_PROTOCOL,
  READER_QUEUE,
  type ReaderCommand,
  type ReaderMessage,
  type ReaderRelated,
  type ReaderRequest,
  type ReaderState,
  safeExternalLink,
} from '../../shared/reader-protocol';
import type { Reply } from '../../shared/webview-protocol';
import { Command, READER_VIEW_TYPE } from '../commands/ids';
import { Disposable } from '../disposable';
import { type MailActions, type MessageTarget, reportError } from '../mailActions';
import type { Account, MailModel } from '../model';
import { settings } from '../settings';
import { label, message, notificationProgress, notify, plain, quietProgress } from '../ui';
import { WebviewHost } from '../webview/host';
import { AttachmentViews } from './attachmentViews';
import { ListActions, listButtons } from './listActions';
import { MessageSourceProvider } from './messageSource';

type Notification = Exclude<HostToReader, Reply>;

/**
 * "Always for this sender": account + address pairs, honoured only for a message the receiving
 * server authenticated as coming from that address's domain (DMARC or DKIM pass in its topmost
 * Authentication-Results), because anyone can write any From:. The first version's list keyed on
 * the bare From address alone; it is dropped, not carried over.
 */
const REMOTE_SENDERS_KEY = 'mailroom.remoteContentSenders.v2';
const OLD_REMOTE_SENDERS_KEY = 'mailroom.remoteContentSenders';
/** The folder the last attachment was saved to: "Save…" starts there next time. */
const LAST_SAVE_FOLDER_KEY = 'mailroom.lastAttachmentFolder';
/** A message read for longer than this says "Loading message…" meanwhile. */
const BUSY_AFTER_MS = 120;

/** A message that could not be read (the server is down): shown from what the store knows, read again on Retry or reconnect. */
interface Unavailable {
  key: string;
  target: MessageTarget;
  opts: { fromOutside?: boolean; restored?: boolean };
}

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
  /** Why the message is not where it was any more, once it is not. */
  gone?: string;
  /** Parts shown in a charset the user chose instead of the declared one. */
  decodedAs: Map<string, string>;
}

/** Workspace things related to a message, each with how to open it. */
export type RelatedProvider = (
  target: MessageTarget,
  content: MessageContent,
) => Promise<Array<{ item: ReaderRelated; open: () => Promise<void> }>>;

const senderKey = (target: MessageTarget, address: string) => `${target.account.name}\u0000${address}`;

export class ReaderPanel extends Disposable {
  private readonly host: WebviewHost<Notification, ReaderCommand, ReaderRequest, ReaderState>;
  private shown: Shown | undefined;
  private unavailable: Unavailable | undefined;
  private counter = 0;
  private readonly attachments: AttachmentViews;
  private readonly lists = new ListActions();
  private readonly source: MessageSourceProvider;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly model: MailModel,
    private readonly actions: MailActions,
    private readonly related?: RelatedProvider,
    /** The message listed below a message, which is read ahead while this one is read. */
    private readonly below?: (target: MessageTarget) => MessageRef | undefined,
  ) {
    super();
    this.attachments = this._register(new AttachmentViews(path.join(context.globalStorageUri.fsPath, 'attachments')));
    this.source = this._register(new MessageSourceProvider(model));
    if (context.globalState.get(OLD_REMOTE_SENDERS_KEY) !== undefined)
      void context.globalState.update(OLD_REMOTE_SENDERS_KEY, undefined);
    this.host = this._register(
      new WebviewHost<Notification, ReaderCommand, ReaderRequest, ReaderState>(context.extensionUri, {
        viewType: READER_VIEW_TYPE,
        title: 'Mail',
        protocol: READER_PROTOCOL,
        queue: (m) => READER_QUEUE[m.type],
        shell: { script: ['dist', 'webview', 'reader.js'], styles: [['media', 'reader.css']], codicons: true },
        icon: { light: ['media', 'mail-light.svg'], dark: ['media', 'mail-dark.svg'] },
        resourceRoots: [['dist', 'webview'], ['media']],
      }),
    );
    this.host.connect({
      onReady: (state) => this.onReady(state),
      onCommand: (command) => this.onCommand(command),
      onRequest: (request) => this.onRequest(request),
      onRestore: (state) => this.restore(state),
      onDidDispose: () => {
        this.shown = undefined;
        this.unavailable = undefined;
        this.attachments.clear();
      },
    });
    this._register(
      model.onDidChange((e) => {
        if (e.kind === 'store') {
          this.onStore(e.account, e.event);
          this.onConnection(e.account, e.event);
        }
      }),
    );
  }

  /** The message on screen, for palette commands. */
  get current(): MessageTarget | undefined {
    return this.shown?.target;
  }

  /**
   * Shows a message. `fromOutside`: asked for by something outside VS Code (a link in a browser):
   * the folder is opened read-only (EXAMINE), the message is not marked read and remote content
   * stays blocked, so that nothing but the user's own click changes the mailbox or tells the sender.
   * `restored`: shown again in a panel VS Code restored after a window reload (it was read then).
   */
  async show(target: MessageTarget, opts: { fromOutside?: boolean; restored?: boolean } = {}): Promise<void> {
    this.host.reveal();
    this.unavailable = undefined;
    const known = target.account.store?.message(target.ref);
    // Never the previous message's title over this one, also while it loads or if it cannot.
    this.host.title = plain`${known?.subject.trim() || 'Mail'}`;
    // Only a read that takes a while says so: a cached message would flash "Loading…" and draw the
    // reader twice.
    const busy = setTimeout(() => this.host.post({ type: 'busy', text: 'Loading message…' }), BUSY_AFTER_MS);
    try {
      const store = target.account.requireStore();
      const content = await quietProgress({ viewId: 'mailroom.mailboxes' }, label`Opening message`, () =>
        store.readMessage(target.ref, opts.fromOutside ? { readOnly: true } : {}),
      );
      clearTimeout(busy);
      const junk = this.junkReason(target, content.flags);
      const remote = opts.fromOutside || opts.restored || junk ? { allow: false } : this.alwaysAllowed(target, content);
      const notes = opts.fromOutside
        ? ['Opened from a link outside VS Code: Mailroom did not mark it read and did not load remote content.']
        : [];
      const shown: Shown = {
        key: `m${++this.counter}`,
        target: { account: target.account, ref: refOf(target.ref) },
        content,
        allowRemote: remote.allow,
        notes,
        related: new Map(),
        relatedItems: [],
        decodedAs: new Map(),
      };
      if (remote.note) shown.remoteNote = remote.note;
      this.shown = shown;
      this.host.title = plain`${content.subject.trim() || '(no subject)'}`;
      this.display();
      void this.showRelated(shown);
      if (!opts.fromOutside) {
        const next = this.below?.(shown.target);
        if (next) store.readAhead(next);
      }
      if (!opts.fromOutside && !opts.restored && settings.markReadOnOpen() && !content.flags.includes(Flag.Seen)) {
        await this.actions.setRead([shown.target], true);
      }
    } catch (err) {
      clearTimeout(busy);
      if (isMailError(err) && err.transient) {
        this.showUnavailable(target, opts, err);
        return;
      }
      this.host.post({ type: 'error', text: (err as Error).message });
      reportError('Open Message', err);
    }
  }

  /**
   * The server cannot be reached: the message's own subject and sender (the store has them from
   * its folder) with a Retry button; it is read by itself once the account is connected again.
   */
  private showUnavailable(target: MessageTarget, opts: Unavailable['opts'], err: MailError): void {
    this.shown = undefined;
    const key = `m${++this.counter}`;
    this.unavailable = { key, target: { account: target.account, ref: refOf(target.ref) }, opts };
    const known = target.account.store?.message(target.ref);
    this.host.title = plain`${known?.subject.trim() || 'Mail'}`;
    this.host.post({
      type: 'unavailable',
      message: {
        key,
        subject: known?.subject ?? '',
        from: (known?.from ?? []).map((a) => ({ ...a })),
        ...(known?.date ? { date: known.date } : {}),
        text: `${target.account.name} cannot be reached right now (${err.message}). The message will show as soon as the account is connected again.`,
      },
    });
  }

  /** An account that is back shows the message that could not be read while it was away. */
  private onConnection(account: Account, e: StoreEvent): void {
    const u = this.unavailable;
    if (!u || u.target.account !== account) return;
    // Back: the command connection logged in again, or a watched folder's connection (which keeps
    // retrying by itself while the server is away) is live again.
    const back =
      (e.kind === 'connection' && e.state.status === 'connected') ||
      (e.kind === 'status' && e.status.kind === 'connected') ||
      (e.kind === 'live' && e.state.status === 'live');
    if (back) void this.show(u.target, u.opts);
  }

  /** Why remote content must stay blocked for this message, whatever the user allowed: it is junk. */
  private junkReason(target: MessageTarget, flags: readonly string[]): string | undefined {
    const folder = target.account.store?.folder(target.ref.mailbox);
    if (folder?.specialUse === 'junk')
      return 'Remote content is never loaded for mail in the Junk folder, even from a sender you allowed: it would tell the sender this address reads its mail.';
    if (flags.some((f) => f.toLowerCase() === '$junk'))
      return 'Remote content is never loaded for a message marked as junk, even from a sender you allowed: it would tell the sender this address reads its mail.';
    return undefined;
  }

  /** The flags of the message on screen, as its store knows them now. */
  private flags(s: Shown): string[] {
    return [...(s.target.account.store?.flags(s.target.ref) ?? s.content.flags)];
  }

  /** The reader hears what happens to the message it shows, whoever did it. */
  private onStore(account: Account, e: StoreEvent): void {
    const s = this.shown;
    if (!s || e.kind !== 'messages' || s.target.account !== account || e.path !== s.target.ref.mailbox) return;
    if (e.removed.some((r) => sameRef(r, s.target.ref))) {
      if (e.origin === 'operation') {
        // Archived, moved or deleted here: the reader has done its job.
        this.host.close();
        return;
      }
      s.gone = `This message is no longer in "${s.target.ref.mailbox}": it was moved or deleted elsewhere, or the folder was rebuilt on the server.`;
      this.host.post({ type: 'gone', key: s.key, text: s.gone });
      return;
    }
    if (e.changed.some((r) => sameRef(r, s.target.ref))) {
      if (s.allowRemote && this.junkReason(s.target, this.flags(s))) {
        s.allowRemote = false; // marked as junk while its remote content was shown
        this.display();
        return;
      }
      this.host.post({ type: 'flags', key: s.key, flags: this.flags(s) });
    }
  }

  /** A window reload: the panel is back with what its page saved; show that message again. */
  private async restore(state: ReaderState | undefined): Promise<void> {
    const account = state && this.model.account(state.account);
    if (!state || !account?.store) {
      this.host.post({
        type: 'error',
        text: 'The message shown here before the window was reloaded cannot be found: its account is not configured any more.',
      });
      return;
    }
    await this.show({ account, ref: state.ref }, { restored: true });
  }

  private onReady(state: ReaderState | undefined): void {
    // A hidden webview is destroyed and rebuilt when shown again: it gets everything it shows.
    if (this.shown) this.display();
    else if (state) void this.restore(state);
  }

  private display(): void {
    const s = this.shown;
    if (!s) return;
    this.host.allowRemote(s.allowRemote); // the CSP must change too
    const view = renderContent(s.content, { allowRemote: s.allowRemote });
    const list = listButtons(s.content.list);
    const junk = this.junkReason(s.target, this.flags(s));
    const message: ReaderMessage = {
      key: s.key,
      subject: view.subject,
      from: view.from,
      to: view.to,
      cc: view.cc,
      flags: this.flags(s),
      remoteBlocked: view.remoteBlocked,
      remoteAllowed: s.allowRemote,
      attachments: view.attachments.map((a) => ({ part: a.part, filename: a.filename, type: a.type, size: a.size })),
      warnings: [...view.warnings, ...s.notes, ...(s.remoteNote && view.remoteBlocked > 0 ? [s.remoteNote] : [])],
      truncated: view.truncated,
      body: view.body.map((b) => {
        const chosen = b.part !== undefined ? s.decodedAs.get(b.part) : undefined;
        return chosen ? { ...b, decodedAs: chosen } : b;
      }),
      ...(view.date ? { date: view.date } : {}),
      ...(list ? { list } : {}),
      ...(junk ? { remoteRefused: junk } : {}),
    };
    const { account, ref } = s.target;
    this.host.post({
      type: 'show',
      message,
      state: { account: account.name, ref: { mailbox: ref.mailbox, uidValidity: ref.uidValidity, uid: ref.uid } },
    });
    if (s.relatedItems.length) this.host.post({ type: 'related', key: s.key, items: s.relatedItems });
    if (s.gone) this.host.post({ type: 'gone', key: s.key, text: s.gone });
  }

  private async showRelated(s: Shown): Promise<void> {
    if (!this.related) return;
    try {
      const found = await this.related(s.target, s.content);
      if (this.shown !== s || !found.length) return;
      for (const f of found) s.related.set(f.item.id, f.open);
      s.relatedItems = found.map((f) => f.item);
      this.host.post({ type: 'related', key: s.key, items: s.relatedItems });
    } catch {
      // related items are a convenience; the message itself is on screen
    }
  }

  /** The toolbar: the same actions as the commands, on the message on screen. */
  private async onRequest(request: ReaderRequest): Promise<void> {
    const s = this.shown;
    if (!s || request.key !== s.key) return; // a stale page cannot act on another message
    const target = [s.target];
    if (request.type === 'compose') {
      // The composer's commands, with the message on screen and what is selected in it.
      const id = {
        reply: Command.reply,
        replyAll: Command.replyAll,
        forward: Command.forward,
        newMessage: Command.newMessage,
      }[request.action];
      const ref = { account: s.target.account.name, ref: s.target.ref };
      await vscode.commands.executeCommand(
        id,
        request.action === 'newMessage' ? { account: ref.account } : ref,
        request.selection !== undefined ? { selection: request.selection } : {},
      );
      return;
    }
    try {
      switch (request.action) {
        case 'markRead':
          return await this.actions.setRead(target, true);
        case 'markUnread':
          return await this.actions.setRead(target, false);
        case 'toggleFlag':
          await this.actions.toggleFlag(target);
          return;
        case 'archive':
          return await this.actions.archive(target);
        case 'delete':
          return await this.actions.delete(target);
        case 'move': {
          const destination = await this.actions.pickFolder(s.target.account, s.target.ref.mailbox);
          if (destination) await this.actions.move(target, destination);
          return;
        }
      }
    } catch (err) {
      reportError('Mailroom', err);
      throw err;
    }
  }

  private async onCommand(command: ReaderCommand): Promise<void> {
    if (command.type === 'openLink') return this.openLink(command.href);
    if (command.type === 'retry') {
      const u = this.unavailable;
      if (u && u.key === command.key) await this.show(u.target, u.opts);
      return;
    }
    const s = this.shown;
    if (!s || command.key !== s.key) return; // a stale page cannot act on another message
    try {
      switch (command.type) {
        case 'close':
          this.host.close();
          return;
        case 'loadRemote': {
          if (this.junkReason(s.target, this.flags(s))) return; // the page offers no button; a forged request gets nothing
          if (command.always) {
            const verdict = this.verdict(s.content);
            if (verdict.verified) {
              const list = this.context.globalState.get<string[]>(REMOTE_SENDERS_KEY, []);
              await this.context.globalState.update(REMOTE_SENDERS_KEY, [
                ...new Set([...list, senderKey(s.target, verdict.address)]),
              ]);
            } else {
              s.notes.push(
                `Remote content was loaded for this message only. "Always for this sender" was not remembered: ${verdict.why}, so anyone could send mail in ${verdict.address ?? 'this sender'}'s name.`,
              );
            }
          }
          s.allowRemote = true;
          this.display();
          return;
        }
        case 'saveAttachment':
          await this.saveAttachment(s, command.part, command.open);
          return;
        case 'openRelated':
          await s.related.get(command.id)?.();
          return;
        case 'list':
          if (s.content.list) await this.lists.run(s.target, s.content.list, command.action);
          return;
        case 'redecode': {
          const { part, charset } = command;
          if (!s.content.body.some((b) => b.part === part)) return;
          const again = await s.target.account.requireStore().mail.readPartAs(s.target.ref, part, charset);
          if (this.shown !== s) return;
          s.content = {
            ...s.content,
            body: s.content.body.map((b) =>
              b.part !== part ? b : b.kind === 'text' ? { ...b, text: again.text } : { ...b, unsafeHtml: again.text },
            ),
          };
          s.decodedAs.set(part, charset);
          this.display();
          return;
        }
        case 'viewSource':
          await this.source.open(s.target);
          return;
        case 'showHeaders': {
          const headers = await s.target.account.requireStore().mail.readHeaderBlock(s.target.ref);
          this.host.post({ type: 'headers', key: s.key, ...headers });
          return;
        }
        case 'editKeywords':
          await vscode.commands.executeCommand(Command.editKeywords, s.target);
          return;
      }
    } catch (err) {
      reportError('Mailroom', err);
    }
  }

  private verdict(content: MessageContent) {
    return verifySender(
      content.from.map((a) => a.address ?? ''),
      content.authenticationResults,
    );
  }

  /** Whether "always for this sender" applies to this message, and if it was chosen but does not, why. */
  private alwaysAllowed(target: MessageTarget, content: MessageContent): { allow: boolean; note?: string } {
    const verdict = this.verdict(content);
    const list = this.context.globalState.get<string[]>(REMOTE_SENDERS_KEY, []);
    if (!verdict.address || !list.includes(senderKey(target, verdict.address))) return { allow: false };
    if (verdict.verified) return { allow: true };
    return {
      allow: false,
      note: `You always load remote content from ${verdict.address}, but this message is not authenticated as theirs (${verdict.why}): it stays blocked.`,
    };
  }

  private async openLink(href: string): Promise<void> {
    const safe = safeExternalLink(href);
    if (!safe) {
      void notify.warn(message`Mailroom did not open a link it does not trust: ${href.slice(0, 200)}`);
      return;
    }
    if (safe.startsWith('mailto:')) {
      // Written here, from the account the message came to; the composer shows every field first.
      const account = this.shown?.target.account.name;
      await vscode.commands.executeCommand(Command.newMessage, { mailto: safe, ...(account ? { account } : {}) });
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(safe, true));
  }

  private async saveAttachment(s: Shown, part: string, open: boolean): Promise<void> {
    const attachment = s.content.attachments.find((a) => a.part === part);
    if (!attachment) return;
    const mail = s.target.account.requireStore().mail;
    if (open) {
      await this.attachments.open(attachment, (dir) =>
        notificationProgress(message`Opening ${attachment.filename}…`, () =>
          mail.saveAttachment(s.target.ref, { part, filename: attachment.filename }, dir),
        ),
      );
      return;
    }
    // Where the last one went, else the (first local) workspace folder, else Downloads.
    const workspace = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
    const folder =
      this.context.globalState.get<string>(LAST_SAVE_FOLDER_KEY) ?? workspace ?? path.join(os.homedir(), 'Downloads');
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(folder, attachment.filename)),
      title: 'Save Attachment',
    });
    if (!uri) return;
    const saved = await notificationProgress(message`Saving ${attachment.filename}…`, () =>
      mail.saveAttachment(s.target.ref, { part, filename: path.basename(uri.fsPath) }, path.dirname(uri.fsPath)),
    );
    await this.context.globalState.update(LAST_SAVE_FOLDER_KEY, path.dirname(saved.path));
    const savedUri = vscode.Uri.file(saved.path);
    const choice = await notify.info(
      message`Saved ${path.basename(saved.path)} to ${path.dirname(saved.path)}.`,
      'Open',
      'Reveal',
    );
    if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', savedUri);
    else if (choice === 'Reveal') await vscode.commands.executeCommand('revealFileInOS', savedUri);
  }
}
