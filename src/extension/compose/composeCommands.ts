// New Message, Reply, Reply All, Forward, Reply to List, Send, Save Draft, Discard, Attach File…,
// Send as Attachment and opening a draft from the tree. The message a command answers is the
// clicked tree row, the reader's message, or the tree selection (as for every message command);
// the reader passes its selection, so a reply quotes only that.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MailAddress } from '../../core/compose/addresses';
import { formatComposer } from '../../core/compose/document';
import { identityOf } from '../../core/compose/identity';
import { listPostAddress, parseMailto } from '../../core/compose/mailto';
import { newContext } from '../../core/compose/context';
import { deriveForward, deriveReply, type ReplyMode } from '../../core/compose/reply';
import { MailError } from '../../core/errors';
import type { MessageRef } from '../../core/mailbox/messages';
import { type CommandContext, command, resolveAccount, resolveTargets } from '../commands/context';
import { Command } from '../commands/ids';
import type { MessageTarget } from '../mailActions';
import type { Account } from '../model';
import { settings } from '../settings';
import { label, quietProgress } from '../ui';
import type { Composers } from './composers';

/** What a reply command may be given besides a tree node: the reader's message and selection. */
export interface ComposeOptions {
  selection?: string;
}

const MAX_SELECTION = 1024 * 1024;

const progress = <T>(title: ReturnType<typeof label>, task: () => Promise<T>) =>
  quietProgress({ viewId: 'mailroom.mailboxes' }, title, task);

function optionsOf(v: unknown): ComposeOptions {
  const o = v as { selection?: unknown } | undefined;
  return typeof o?.selection === 'string' && o.selection.trim() && o.selection.length <= MAX_SELECTION
    ? { selection: o.selection }
    : {};
}

/** A tree node, a MessageTarget, or `{ account: name, ref }` (the reader, a link). */
function targetOf(ctx: CommandContext, node: unknown, nodes: unknown): MessageTarget {
  const t = node as { account?: unknown; ref?: MessageRef } | undefined;
  if (t && typeof t.account === 'string' && t.ref) {
    const account = ctx.model.account(t.account);
    if (!account) throw new MailError('config', `There is no account "${t.account}".`);
    return { account, ref: t.ref };
  }
  if (t && t.ref && typeof t.account === 'object') return t as MessageTarget;
  return resolveTargets(ctx, node, Array.isArray(nodes) ? nodes : undefined)[0]!;
}

export function registerComposeCommands(ctx: CommandContext, composers: Composers): vscode.Disposable[] {
  const reply = async (mode: ReplyMode | 'forward', node: unknown, nodes: unknown) => {
    // From the tree: (node, selected nodes); from the reader: ({ account, ref }, { selection }).
    const target = targetOf(ctx, node, nodes);
    await startReply(composers, target, mode, Array.isArray(nodes) ? {} : optionsOf(nodes));
  };
  return [
    command(Command.newMessage, 'New Message', async (node?: unknown) => {
      const mailto = (node as { mailto?: unknown } | undefined)?.mailto;
      const account =
        typeof (node as { account?: unknown })?.account === 'string'
          ? ctx.model.account((node as { account: string }).account)
          : await resolveAccount(ctx, node);
      if (!account) throw new MailError('config', 'Add a mail account first (Mail: Add Account).');
      const fields = typeof mailto === 'string' ? parseMailto(mailto) : undefined;
      await newMessage(composers, account, fields ?? {});
    }),
    command(Command.reply, 'Reply', (node, nodes) => reply('reply', node, nodes)),
    command(Command.replyAll, 'Reply All', (node, nodes) => reply('replyAll', node, nodes)),
    command(Command.forward, 'Forward', (node, nodes) => reply('forward', node, nodes)),
    command(Command.replyToList, 'Reply to List', async (node, nodes) => {
      const target = targetOf(ctx, node, nodes);
      await replyToList(composers, target, Array.isArray(nodes) ? {} : optionsOf(nodes));
    }),
    command(Command.send, 'Send', async (arg?: unknown) => {
      const c = composers.resolve(arg);
      if (!c) throw new MailError('unsupported', 'Open a message you are writing first.');
      await composers.send(c);
    }),
    command(Command.saveDraft, 'Save Draft', async (arg?: unknown) => {
      const c = composers.resolve(arg);
      if (!c) throw new MailError('unsupported', 'Open a message you are writing first.');
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === c.uri.toString());
      if (doc?.isDirty) await doc.save();
      await progress(label`Saving draft`, () => composers.saveToServer(c));
    }),
    command(Command.discardDraft, 'Discard', async (arg?: unknown) => {
      const c = composers.resolve(arg);
      if (!c) throw new MailError('unsupported', 'Open a message you are writing first.');
      await composers.discard(c);
    }),
    command(Command.attachFile, 'Attach File…', async (arg?: unknown) => {
      const c = composers.resolve(arg);
      if (!c) throw new MailError('unsupported', 'Open a message you are writing first.');
      const files = await vscode.window.showOpenDialog({
        canSelectMany: true,
        openLabel: 'Attach',
        title: 'Attach Files',
      });
      if (files?.length) await attach(c.uri, files);
    }),
    command(Command.sendAsAttachment, 'Send as Attachment', async (uri?: unknown, uris?: unknown) => {
      const files = (Array.isArray(uris) && uris.length ? uris : [uri]).filter(
        (u): u is vscode.Uri => u instanceof vscode.Uri && u.scheme === 'file',
      );
      if (!files.length) throw new MailError('unsupported', 'Pick one or more files in the Explorer.');
      let c = composers.recent();
      if (!c) {
        const account = await resolveAccount(ctx);
        if (!account) throw new MailError('config', 'Add a mail account first (Mail: Add Account).');
        c = await newMessage(composers, account, {});
      }
      await composers.show(c);
      await attach(c.uri, files);
    }),
    command(Command.openDraft, 'Open Draft', async (node?: unknown) => {
      const target = targetOf(ctx, node, undefined);
      await openDraft(composers, target);
    }),
  ];
}

async function newMessage(
  composers: Composers,
  account: Account,
  fields: Partial<{ to: MailAddress[]; cc: MailAddress[]; bcc: MailAddress[]; subject: string; body: string }>,
) {
  const identity = identityOf(account.requireStore().config);
  const text = formatComposer({
    from: identity.from,
    to: fields.to ?? [],
    cc: fields.cc ?? [],
    ...(fields.bcc?.length ? { bcc: fields.bcc } : {}),
    subject: fields.subject ?? '',
    attach: [],
    body: fields.body ? `${fields.body}\n` : '\n',
  });
  return composers.open(account, text, newContext());
}

/** Reply, reply all or forward `target`, quoting `opts.selection` when the reader had one. */
export async function startReply(
  composers: Composers,
  target: MessageTarget,
  mode: ReplyMode | 'forward',
  opts: ComposeOptions = {},
): Promise<void> {
  const store = target.account.requireStore();
  const content = await progress(label`Opening message`, () => store.readMessage(target.ref));
  const identity = identityOf(store.config);
  const derive = opts.selection ? { selection: opts.selection } : {};
  const seed =
    mode === 'forward'
      ? deriveForward(content, identity, settings.forwardAs(), derive)
      : deriveReply(content, identity, mode, derive);
  await composers.open(target.account, formatComposer(seed.fields), seed.context);
}

/** Reply to List: a reply addressed to the message's List-Post address (command `mailroom.replyToList`, args `(ref)`). */
export async function replyToList(
  composers: Composers,
  target: MessageTarget,
  opts: ComposeOptions = {},
): Promise<void> {
  const store = target.account.requireStore();
  const [content, header] = await progress(label`Opening message`, () =>
    Promise.all([store.readMessage(target.ref), store.header(target.ref, 'list-post')]),
  );
  const list = listPostAddress(header);
  if (!list) throw new MailError('unsupported', 'This message names no mailing list address to post to (List-Post).');
  const seed = deriveReply(
    content,
    identityOf(store.config),
    'reply',
    opts.selection ? { selection: opts.selection } : {},
  );
  await composers.open(target.account, formatComposer({ ...seed.fields, to: [list], cc: [] }), seed.context);
}

/** A message in Drafts (ours or another client's) continues in a composer; an open one is shown. */
export async function openDraft(composers: Composers, target: MessageTarget): Promise<void> {
  const open = composers.continuing(target.ref);
  if (open) {
    await composers.show(open);
    return;
  }
  const store = target.account.requireStore();
  const draft = await progress(label`Opening draft`, () => store.openDraft(target.ref));
  await composers.open(target.account, draft.text, draft.context, { serverText: draft.text });
}

/** Adds `Attach:` lines (workspace-relative when the file is in the workspace) after the headers. */
async function attach(uri: vscode.Uri, files: readonly vscode.Uri[]): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  let blank = 0;
  while (blank < doc.lineCount && doc.lineAt(blank).text.trim() !== '') blank++;
  const lines = files.map((f) => {
    const rel = vscode.workspace.asRelativePath(f, false);
    return `Attach: ${rel !== f.fsPath && !path.isAbsolute(rel) ? `./${rel}` : f.fsPath}\n`;
  });
  const edit = new vscode.WorkspaceEdit();
  edit.insert(uri, new vscode.Position(blank, 0), lines.join(''));
  await vscode.workspace.applyEdit(edit);
}

/** For the reader's toolbar (shown when the message has List-Post): Reply to List on `target`. */
export function replyToListOf(target: MessageTarget, opts: ComposeOptions = {}): Thenable<unknown> {
  return vscode.commands.executeCommand(Command.replyToList, { account: target.account.name, ref: target.ref }, opts);
}
