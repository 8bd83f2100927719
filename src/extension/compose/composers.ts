// The open composers and what happens to them: opened (new, reply, forward, a draft from the
// server, a local copy after a crash), autosaved to Drafts a few seconds after typing stops and on
// Ctrl+S, sent (held for the undo-send delay, then one store operation), discarded, closed. Every
// change to mail is an operation of the account's store: the tree and the reader learn of the
// Sent copy, the draft and the original's flag from the store's events.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkMessage, type ComposeRequest } from '../../core/compose/send';
import type { ComposeContext } from '../../core/compose/context';
import { parseComposer } from '../../core/compose/document';
import { isMailError, MailError } from '../../core/errors';
import { sameRef, type MessageRef } from '../../core/mailbox/messages';
import type { SendOutcome } from '../../core/compose/send';
import { Disposable } from '../disposable';
import type { Account, MailModel } from '../model';
import { settings } from '../settings';
import {
  ask,
  cancellableProgress,
  label,
  message,
  type MessageText,
  notificationProgress,
  notify,
  statusMessage,
} from '../ui';
import {
  COMPOSE_SCHEME,
  Composer,
  type ComposerData,
  ComposerFileSystem,
  composerId,
  LocalCopies,
  newComposerId,
} from './composerFiles';

/** Autosave to Drafts this long after typing stops. */
export const AUTOSAVE_MS = 3000;
/** A save this recent before a close was the answer to VS Code's own "save changes?" question. */
const JUST_SAVED_MS = 1500;

/** What went wrong, by the stage the core names (details.stage). */
const STAGES: Record<string, string> = {
  check: 'the check before sending',
  connect: 'the connection to the SMTP server',
  tls: 'TLS with the SMTP server',
  auth: 'the SMTP login',
  envelope: 'the recipients',
  data: 'the transfer of the message',
};

export class Composers extends Disposable {
  private readonly composers = new Map<string, Composer>();
  private readonly copies: LocalCopies;
  private readonly autosave = new Map<string, NodeJS.Timeout>();
  private readonly persistTimers = new Map<string, NodeJS.Timeout>();
  /** The composer last focused (where "Send as Attachment" adds files). */
  private lastActive: string | undefined;

  constructor(
    context: vscode.ExtensionContext,
    private readonly model: MailModel,
  ) {
    super();
    this.copies = new LocalCopies(path.join(context.globalStorageUri.fsPath, 'compose'));
    const files = new ComposerFileSystem(this);
    this._register(files);
    this._register(vscode.workspace.registerFileSystemProvider(COMPOSE_SCHEME, files, { isCaseSensitive: true }));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e.document)));
    this._register(vscode.window.tabGroups.onDidChangeTabs((e) => this.onTabsClosed(e.closed)));
    this._register(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        const id = e && e.document.uri.scheme === COMPOSE_SCHEME ? composerId(e.document.uri) : undefined;
        if (id) this.lastActive = id;
      }),
    );
    const flushAll = () => {
      for (const c of this.composers.values()) this.persistNow(c);
    };
    this._register({ dispose: flushAll });
  }

  // ── Finding composers ───────────────────────────────────────────────────────────────────────

  /** By id; a composer VS Code restored after a reload comes back from its local copy. */
  find(id: string): Composer | undefined {
    let c = this.composers.get(id);
    if (!c) {
      const data = this.copies.read(id);
      if (data) this.composers.set(id, (c = new Composer(data)));
    }
    return c;
  }

  /** The composer of `arg` (a URI or its string, from CodeLens and menus), else the active editor's. */
  resolve(arg?: unknown): Composer | undefined {
    const uri =
      arg instanceof vscode.Uri
        ? arg
        : typeof arg === 'string'
          ? vscode.Uri.parse(arg, true)
          : vscode.window.activeTextEditor?.document.uri;
    const id = uri && uri.scheme === COMPOSE_SCHEME ? composerId(uri) : undefined;
    return id ? this.find(id) : undefined;
  }

  /** The composer "Send as Attachment" adds to: the active one, else the one last used, if still open. */
  recent(): Composer | undefined {
    const active = this.resolve();
    if (active?.state === 'editing') return active;
    const last = this.lastActive ? this.composers.get(this.lastActive) : undefined;
    return last?.state === 'editing' && this.document(last) ? last : undefined;
  }

  /** The open composer continuing `draft`, if one is. */
  continuing(draft: MessageRef): Composer | undefined {
    return [...this.composers.values()].find(
      (c) => c.state === 'editing' && c.data.context.draft && sameRef(c.data.context.draft, draft),
    );
  }

  private document(c: Composer): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === c.uri.toString());
  }

  private account(c: Composer): Account {
    const account = this.model.account(c.data.account);
    if (!account)
      throw new MailError(
        'config',
        `The account "${c.data.account}" of this message is not configured any more; copy the text elsewhere.`,
      );
    return account;
  }

  // ── Opening ─────────────────────────────────────────────────────────────────────────────────

  /** Opens a new composer for `account`, the cursor where the person starts writing. */
  async open(
    account: Account,
    text: string,
    context: ComposeContext,
    opts: { serverText?: string } = {},
  ): Promise<Composer> {
    const now = Date.now();
    const data: ComposerData = {
      id: newComposerId(),
      account: account.name,
      text,
      context,
      created: now,
      updated: now,
      ...(opts.serverText !== undefined ? { serverText: opts.serverText } : {}),
    };
    const c = new Composer(data);
    this.composers.set(data.id, c);
    this.persistNow(c);
    await this.show(c, { cursor: true });
    return c;
  }

  /** Shows the composer (again), with its text as it was. */
  async show(c: Composer, opts: { cursor?: boolean } = {}): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(c.uri);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    if (opts.cursor) {
      const pos = cursorFor(c.data.text, c.data.context.kind);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos));
    }
    this.lastActive = c.data.id;
    return editor;
  }

  // ── Editing, local copies, Drafts ───────────────────────────────────────────────────────────

  private onEdit(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== COMPOSE_SCHEME) return;
    const id = composerId(doc.uri);
    const c = id ? this.composers.get(id) : undefined;
    if (!c || c.state !== 'editing') return;
    const text = doc.getText();
    if (text === c.data.text) return;
    c.data.text = text;
    c.data.updated = Date.now();
    c.edited = true;
    this.persistSoon(c);
    clearTimeout(this.autosave.get(c.data.id));
    this.autosave.set(
      c.data.id,
      setTimeout(() => {
        this.autosave.delete(c.data.id);
        const d = this.document(c);
        if (c.state === 'editing' && d?.isDirty) void d.save();
      }, AUTOSAVE_MS),
    );
  }

  /** The document was saved (Ctrl+S, autosave): the local copy now, then Drafts on the server. */
  written(c: Composer, text: string): void {
    c.lastWrite = Date.now();
    c.data.text = text;
    c.data.updated = Date.now();
    this.persistNow(c);
    if (c.state === 'editing') void this.saveToServer(c);
  }

  private persistSoon(c: Composer): void {
    if (this.persistTimers.has(c.data.id)) return;
    this.persistTimers.set(
      c.data.id,
      setTimeout(() => {
        this.persistTimers.delete(c.data.id);
        this.persistNow(c);
      }, 300),
    );
  }

  private persistNow(c: Composer): void {
    clearTimeout(this.persistTimers.get(c.data.id));
    this.persistTimers.delete(c.data.id);
    if (c.state === 'sent' || c.state === 'discarded') return;
    try {
      this.copies.write(c.data);
    } catch (err) {
      void notify.error(message`Mailroom could not keep a local copy of the message: ${(err as Error).message}`);
    }
  }

  private forget(c: Composer): void {
    clearTimeout(this.autosave.get(c.data.id));
    this.autosave.delete(c.data.id);
    clearTimeout(this.persistTimers.get(c.data.id));
    this.persistTimers.delete(c.data.id);
    this.composers.delete(c.data.id);
    this.copies.remove(c.data.id);
  }

  request(c: Composer): ComposeRequest {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return {
      text: c.data.text,
      context: c.data.context,
      format: settings.composeFormat(),
      saveSentCopy: settings.saveSentCopy(),
      ...(folder?.scheme === 'file' ? { baseDir: folder.fsPath } : {}),
    };
  }

  /** Stores the composer in Drafts (replacing its previous version), unless that text is there already. */
  saveToServer(c: Composer, opts: { quiet?: boolean } = {}): Promise<void> {
    const run = async () => {
      if (c.state !== 'editing') return;
      const text = c.data.text;
      if (text === c.data.serverText) return;
      try {
        const store = this.account(c).requireStore();
        const outcome = await store.apply({ kind: 'saveDraft', request: { ...this.request(c), text } });
        if (outcome.draft) c.data.context = outcome.draft.context;
        c.data.serverText = text;
        c.warned = false;
        this.persistNow(c);
      } catch (err) {
        if (!c.warned && !opts.quiet) {
          c.warned = true;
          const why = isMailError(err) ? err.message : String(err);
          void notify.warn(
            message`The draft could not be saved to Drafts on the server: ${why} Mailroom keeps a local copy.`,
          );
        }
        throw err;
      }
    };
    const next = c.saving.then(run, run);
    c.saving = next.catch(() => undefined);
    return next;
  }

  // ── Sending ─────────────────────────────────────────────────────────────────────────────────

  async send(c: Composer): Promise<void> {
    if (c.state !== 'editing') return;
    const doc = this.document(c);
    if (doc) c.data.text = doc.getText();
    await c.saving;
    const account = this.account(c);
    const store = account.requireStore();
    let request = this.request(c);
    const problems = (await checkMessage(request.text, request.context, request)).filter((p) => p.severity === 'error');
    if (problems.length) {
      const first = problems[0]!;
      throw new MailError('config', `Not sent: ${first.message} (line ${first.range.line + 1})`, { stage: 'check' });
    }
    c.state = 'sending';
    this.persistNow(c);
    clearTimeout(this.autosave.get(c.data.id));
    if (doc?.isDirty) await doc.save();
    await this.closeTabs(c);
    const subject = parseComposer(c.data.text).subject || '(no subject)';
    if (!(await this.hold(subject))) {
      c.state = 'editing';
      await this.show(c);
      return;
    }
    // What the hold kept is what goes: the context may have moved on with a save just before.
    request = { ...this.request(c) };
    let outcome: SendOutcome;
    try {
      const result = await notificationProgress(message`Sending "${subject}"…`, () =>
        store.apply({ kind: 'send', request }),
      );
      outcome = result.sent!;
    } catch (err) {
      await this.sendFailed(c, err);
      return;
    }
    c.state = 'sent';
    this.forget(c);
    statusMessage(label`$(check) Mail sent: ${subject}`, 8000);
    this.afterSend(account, outcome);
  }

  /** Undo send: the message waits this long, with a notification whose Cancel undoes it. */
  private hold(subject: string): Thenable<boolean> {
    const seconds = settings.undoSendSeconds();
    if (seconds <= 0) return Promise.resolve(true);
    return cancellableProgress(message`Sending "${subject}"…`, (signal, progress) => {
      return new Promise<boolean>((resolve) => {
        let left = seconds;
        const tick = () => progress.report({ message: message`in ${left} s — Cancel to undo` });
        tick();
        const timer = setInterval(() => {
          left--;
          if (left <= 0) {
            clearInterval(timer);
            resolve(true);
          } else tick();
        }, 1000);
        signal.addEventListener('abort', () => {
          clearInterval(timer);
          resolve(false);
        });
      });
    });
  }

  /** Nothing was sent: the composer is back with its text, the draft is saved, the error says which part failed. */
  private async sendFailed(c: Composer, err: unknown): Promise<void> {
    c.state = 'editing';
    c.edited = true;
    this.persistNow(c);
    await this.show(c).catch(() => undefined);
    const e = isMailError(err) ? err : undefined;
    const stage = typeof e?.details.stage === 'string' ? e.details.stage : undefined;
    if (stage !== 'check') void this.saveToServer(c, { quiet: true }).catch(() => undefined);
    const why = e?.message ?? (err as Error)?.message ?? String(err);
    const text: MessageText =
      e?.kind === 'connectionLost' && stage === 'data'
        ? message`Unconfirmed: ${why} Your text is in the composer and saved as a draft; check Sent or the recipient before sending again.`
        : stage && STAGES[stage]
          ? message`Not sent — ${STAGES[stage]!} failed: ${why} Your text is in the composer and saved as a draft.`
          : message`Not sent: ${why} Your text is in the composer and saved as a draft.`;
    const retry = e && (e.transient || e.kind === 'auth');
    const choice = retry ? await notify.error(text, 'Retry') : await notify.error(text);
    if (choice === 'Retry') await this.send(c).catch((again) => this.reportSendError(again));
  }

  reportSendError(err: unknown): void {
    const why = isMailError(err) ? err.message : ((err as Error)?.message ?? String(err));
    void notify.error(message`${why}`);
  }

  /** What happened after the submission: each part that failed is said, with Retry where it is safe. */
  private afterSend(account: Account, outcome: SendOutcome): void {
    const store = account.requireStore();
    const copy = outcome.sentCopy;
    if (copy.status === 'failed') {
      const retry = async (text: MessageText): Promise<void> => {
        if ((await notify.warn(text, 'Retry Copy')) !== 'Retry Copy') return;
        try {
          const again = await store.apply({ kind: 'retrySentCopy', raw: outcome.raw, messageId: outcome.messageId });
          if (again.sentCopy?.status === 'failed') await retry(message`${again.sentCopy.error.message}`);
        } catch (err) {
          await retry(message`${(err as Error).message}`);
        }
      };
      void retry(message`${copy.error.message} It will not be sent again.`);
    }
    if (outcome.original?.status === 'failed') void notify.warn(message`${outcome.original.error.message}`);
    if (outcome.draft?.status === 'failed') void notify.warn(message`${outcome.draft.error.message}`);
    if (outcome.draft?.status === 'pending')
      void notify.warn(
        message`The message was sent; its draft is marked deleted but still in "${outcome.draft.pending.mailbox}", because ${outcome.draft.pending.reason}.`,
      );
  }

  private async closeTabs(c: Composer): Promise<void> {
    const uri = c.uri.toString();
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri);
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
  }

  // ── Discarding and closing ──────────────────────────────────────────────────────────────────

  /** Discards the composer: its tab closes, its draft on the server goes, its local copy too. */
  async discard(c: Composer): Promise<void> {
    if (c.state !== 'editing') return;
    c.state = 'discarded';
    const doc = this.document(c);
    if (doc?.isDirty) await doc.save();
    await this.closeTabs(c);
    await c.saving;
    this.forget(c);
    const store = this.model.account(c.data.account)?.store;
    if (store && c.data.context.draft) await store.apply({ kind: 'discardDraft', context: c.data.context });
  }

  private onTabsClosed(closed: readonly vscode.Tab[]): void {
    for (const tab of closed) {
      if (!(tab.input instanceof vscode.TabInputText) || tab.input.uri.scheme !== COMPOSE_SCHEME) continue;
      const id = composerId(tab.input.uri);
      const c = id ? this.composers.get(id) : undefined;
      if (!c || c.state !== 'editing') continue;
      const stillOpen = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === c.uri.toString());
      if (!stillOpen) void this.closed(c);
    }
  }

  /**
   * Closing a changed composer asks: Save Draft / Discard / Cancel (which brings it back), as mail
   * clients do even with autosave — Discard also removes the autosaved draft. Not asked: a composer
   * nobody changed, or one VS Code's own question ("Save") has just saved into Drafts.
   */
  private async closed(c: Composer): Promise<void> {
    await c.saving;
    if (c.state !== 'editing') return;
    const justSaved = Date.now() - c.lastWrite < JUST_SAVED_MS && c.data.text === c.data.serverText;
    if (!c.edited || justSaved) {
      this.forget(c);
      return;
    }
    const subject = parseComposer(c.data.text).subject || '(no subject)';
    const choice = await ask(
      message`"${subject}" was not sent.`,
      { detail: message`Save it as a draft in Drafts, or discard it?` },
      'Save Draft',
      'Discard',
    );
    if (c.state !== 'editing') return;
    if (choice === 'Save Draft') {
      try {
        await this.saveToServer(c);
        this.forget(c);
      } catch {
        // Reported by saveToServer; the local copy stays and is offered at the next start.
      }
    } else if (choice === 'Discard') {
      await this.discard(c);
    } else {
      await this.show(c);
    }
  }

  // ── After a crash or a reload ───────────────────────────────────────────────────────────────

  /** Local copies no tab brought back: offers to reopen them. */
  async offerRecovery(): Promise<void> {
    const open = new Set(
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .map((t) => (t.input instanceof vscode.TabInputText ? composerId(t.input.uri) : undefined))
        .filter((id): id is string => !!id),
    );
    const left = this.copies.list().filter((d) => !open.has(d.id) && this.composers.get(d.id)?.state !== 'sending');
    if (!left.length) return;
    const choice = await notify.info(
      message`Mailroom kept ${left.length} unsent message(s) from an earlier session.`,
      'Reopen',
      'Discard',
    );
    for (const data of left) {
      const c = this.find(data.id);
      if (!c) continue;
      c.edited = true;
      if (choice === 'Reopen') await this.show(c);
      else if (choice === 'Discard') await this.discard(c).catch((err) => this.reportSendError(err));
    }
  }
}

/** Replies start above the quote; new messages and forwards in To. */
function cursorFor(text: string, kind: ComposeContext['kind']): vscode.Position {
  const lines = text.split('\n');
  if (kind === 'reply' || kind === 'replyAll') {
    const blank = lines.findIndex((l) => l.trim() === '');
    if (blank >= 0) return new vscode.Position(Math.min(blank + 1, lines.length - 1), 0);
  }
  const to = lines.findIndex((l) => /^To:/i.test(l));
  return to >= 0 ? new vscode.Position(to, lines[to]!.length) : new vscode.Position(0, 0);
}
