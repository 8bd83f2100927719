// Organising mail from the tree and the palette: folders (New, Rename, Delete, Subscribe,
// unsubscribed ones shown or not), Mark All as Read, Empty Trash / Junk, Mark as Junk / Not Junk,
// keywords, conversations on or off. Each is an operation of the account's store; what needs a
// person's word is asked by the action service (mailActions.ts), and the tree follows the
// store's events.
import * as vscode from 'vscode';
import { MailError } from '../../core/errors';
import type { MailboxInfo, SpecialUse } from '../../core/mailbox/mailboxes';
import type { MessageRef } from '../../core/mailbox/messages';
import { KEYWORD } from '../../core/mailbox/search';
import type { AccountStore } from '../../core/sync/store';
import { folderLabel, type MessageTarget } from '../mailActions';
import type { Account } from '../model';
import { visibleKeywords, type TreeNode } from '../tree';
import {
  createPick,
  input,
  label,
  type LabelText,
  message,
  notify,
  type PickItem,
  pick,
  quietProgress,
  statusMessage,
} from '../ui';
import { command, type CommandContext, resolveAccount, resolveTargets } from './context';
import { Command } from './ids';

const progress = <T>(title: LabelText, task: () => Promise<T>) =>
  quietProgress({ viewId: 'mailroom.mailboxes' }, title, task);

interface FolderTarget {
  account: Account;
  store: AccountStore;
  folder: MailboxInfo;
}

/** The folder a command means: the clicked one, the one selected in the tree (or its message's), else asked. */
async function resolveFolder(
  ctx: CommandContext,
  node: unknown,
  what: string,
  filter: (f: MailboxInfo) => boolean = () => true,
): Promise<FolderTarget | undefined> {
  const n = (node as TreeNode | undefined) ?? ctx.tree.selection[0];
  if (n?.kind === 'folder') {
    const store = n.account.requireStore();
    return { account: n.account, store, folder: store.folder(n.folder.path) ?? n.folder };
  }
  if (n?.kind === 'message' && n.via === undefined) {
    const store = n.account.requireStore();
    const folder = store.folder(n.message.mailbox);
    if (folder && filter(folder)) return { account: n.account, store, folder };
  }
  const account = await resolveAccount(ctx, n?.kind === 'account' ? n : undefined);
  if (!account) return undefined;
  const store = account.requireStore();
  const folders = (await store.loadFolders()).filter(filter);
  const chosen = await pick(
    folders.map((f) => ({
      label: label`${folderLabel(f.path)}`,
      description: label`${f.specialUse ?? ''}`,
      folder: f,
    })),
    { title: label`${what} (${account.name})`, placeHolder: label`Folder` },
  );
  return chosen ? { account, store, folder: chosen.folder } : undefined;
}

async function newFolder(ctx: CommandContext, node: unknown): Promise<void> {
  const n = node as TreeNode | undefined;
  const account = n && 'account' in n ? n.account : await resolveAccount(ctx);
  if (!account) return;
  const store = account.requireStore();
  await store.loadFolders();
  const parent = n?.kind === 'folder' ? n.folder : undefined;
  const delimiter = (parent ? parent.delimiter : store.folder('INBOX')?.delimiter) || '/';
  const name = await input({
    title: parent ? label`New Folder in ${folderLabel(parent.path)}` : label`New Folder in ${account.name}`,
    prompt: label`Name of the new folder (subfolders: New Folder on a folder)`,
    validateInput: (v) =>
      !v.trim()
        ? 'A folder needs a name.'
        : v.includes(delimiter)
          ? `A folder name cannot contain "${delimiter}".`
          : store.folder(parent ? `${parent.path}${delimiter}${v.trim()}` : v.trim())
            ? 'A folder with this name exists.'
            : undefined,
  });
  if (!name) return;
  const outcome = await progress(label`Creating folder`, () =>
    ctx.actions.run(store, { kind: 'createFolder', name, ...(parent ? { parent: parent.path } : {}) }, 'New Folder'),
  );
  if (outcome.folder) {
    await ctx.rows.flushed();
    const row = ctx.rows.folderRow(account, outcome.folder);
    if (row) await ctx.tree.reveal(row, { select: true, focus: true, expand: false }).then(undefined, () => undefined);
  }
}

async function renameFolder(ctx: CommandContext, node: unknown): Promise<void> {
  const target = await resolveFolder(ctx, node, 'Rename Folder', (f) => f.path.toUpperCase() !== 'INBOX');
  if (!target) return;
  const { folder, store } = target;
  if (folder.path.toUpperCase() === 'INBOX') throw new MailError('unsupported', 'INBOX cannot be renamed.');
  const name = await input({
    title: label`Rename ${folderLabel(folder.path)}`,
    prompt: label`New name`,
    value: folder.name,
    valueSelection: [0, folder.name.length],
    validateInput: (v) =>
      !v.trim()
        ? 'A folder needs a name.'
        : v.includes(folder.delimiter)
          ? `It cannot contain "${folder.delimiter}".`
          : undefined,
  });
  if (!name || name === folder.name) return;
  await progress(label`Renaming folder`, () =>
    ctx.actions.run(store, { kind: 'renameFolder', path: folder.path, name }, 'Rename Folder'),
  );
}

async function deleteFolder(ctx: CommandContext, node: unknown): Promise<void> {
  const target = await resolveFolder(ctx, node, 'Delete Folder', (f) => f.path.toUpperCase() !== 'INBOX');
  if (!target) return;
  if (target.folder.path.toUpperCase() === 'INBOX') throw new MailError('unsupported', 'INBOX cannot be deleted.');
  const outcome = await ctx.actions.run(
    target.store,
    { kind: 'deleteFolder', path: target.folder.path },
    'Delete Folder',
  );
  if (outcome.done) statusDone(label`Deleted the folder ${target.folder.path}`);
}

async function subscribe(ctx: CommandContext, node: unknown, on: boolean): Promise<void> {
  const target = await resolveFolder(ctx, node, on ? 'Subscribe' : 'Unsubscribe', (f) => f.subscribed !== on);
  if (!target) return;
  await ctx.actions.run(target.store, { kind: 'subscribe', path: target.folder.path, subscribed: on }, 'Subscribe');
  if (!on)
    void notify.info(
      message`Unsubscribed from "${target.folder.path}". It is hidden unless "Show Unsubscribed Folders" is on.`,
    );
}

async function markAllRead(ctx: CommandContext, node: unknown): Promise<void> {
  const target = await resolveFolder(ctx, node, 'Mark All as Read', (f) => f.selectable);
  if (!target) return;
  const outcome = await progress(label`Marking all as read`, () =>
    ctx.actions.run(target.store, { kind: 'markAllRead', path: target.folder.path }, 'Mark All as Read'),
  );
  statusDone(label`Marked ${String(outcome.count ?? 0)} message(s) in ${folderLabel(target.folder.path)} as read`);
}

async function emptyFolder(
  ctx: CommandContext,
  node: unknown,
  role: Extract<SpecialUse, 'trash' | 'junk'>,
): Promise<void> {
  const n = node as TreeNode | undefined;
  let target: { store: AccountStore; path: string } | undefined;
  if (n?.kind === 'folder' && n.folder.specialUse === role)
    target = { store: n.account.requireStore(), path: n.folder.path };
  else {
    const account = await resolveAccount(ctx, n);
    if (!account) return;
    const store = account.requireStore();
    await store.loadFolders();
    const path = store.specialPath(role);
    if (!path)
      throw new MailError('unsupported', `${account.name} has no ${role === 'trash' ? 'Trash' : 'Junk'} folder.`);
    target = { store, path };
  }
  const what = role === 'trash' ? 'Empty Trash' : 'Empty Junk';
  const outcome = await ctx.actions.run(target.store, { kind: 'emptyFolder', path: target.path }, what);
  if (outcome.done && outcome.count === 0) void notify.info(message`"${target.path}" is already empty.`);
  else if (outcome.done) statusDone(label`Deleted ${String(outcome.count)} message(s) from ${target.path}`);
}

function statusDone(text: LabelText): void {
  statusMessage(text, 5000);
}

/** Add or remove keywords of messages, from what the folder allows (PERMANENTFLAGS). */
export async function editKeywords(targets: readonly MessageTarget[]): Promise<void> {
  const first = targets[0];
  if (!first) return;
  if (targets.some((t) => t.account !== first.account || t.ref.mailbox !== first.ref.mailbox))
    throw new MailError('unsupported', 'Edit the keywords of messages of one folder at a time.');
  const store = first.account.requireStore();
  const allowed = await store.mail.permanentFlags(first.ref.mailbox);
  const anyNew = allowed.includes('\\*');
  const listed = allowed.filter((f) => !f.startsWith('\\'));
  if (!anyNew && !listed.length)
    throw new MailError('unsupported', `The server keeps no keywords in "${first.ref.mailbox}" (PERMANENTFLAGS).`);
  const flagsOf = (t: MessageTarget) => store.flags(t.ref) ?? [];
  const onAll = (k: string) => targets.every((t) => flagsOf(t).includes(k));
  const present = new Set(targets.flatMap((t) => flagsOf(t).filter((f) => !f.startsWith('\\'))));
  const inFolder = new Set(
    (store.folderState(first.ref.mailbox)?.messages ?? []).flatMap((m) => m.flags.filter((f) => !f.startsWith('\\'))),
  );
  const known = [...new Set([...present, ...listed, ...inFolder])]
    .filter((k) => visibleKeywords([k]).length)
    .sort((a, b) => a.localeCompare(b));
  interface KeywordItem extends PickItem {
    keyword: string;
    on: boolean;
  }
  // One change per pick, Enter on a keyword toggles it: simple to say and to hear with a screen reader.
  const item = (k: string, fresh = false): KeywordItem => ({
    label: label`${k}`,
    description: fresh
      ? label`new keyword — Enter adds it`
      : onAll(k)
        ? label`set — Enter takes it off`
        : label`Enter adds it`,
    keyword: k,
    on: !fresh && onAll(k),
  });
  const qp = createPick<KeywordItem>();
  qp.title = label`Keywords of ${targets.length === 1 ? 'this message' : `${targets.length} messages`}`;
  qp.placeholder = anyNew
    ? label`Pick a keyword to add or take off, or type a new one`
    : label`Pick a keyword to add or take off (this server allows only these)`;
  const base = known.map((k) => item(k));
  qp.items = base;
  const typedItem = () => {
    const k = qp.value.trim();
    return anyNew && k && KEYWORD.test(k) && !known.includes(k) ? item(k, true) : undefined;
  };
  if (anyNew) {
    qp.onDidChangeValue(() => {
      const extra = typedItem();
      qp.items = extra ? [extra, ...base] : base;
    });
  }
  const chosen = await new Promise<KeywordItem | undefined>((resolve) => {
    qp.onDidAccept(() => {
      // Enter right after typing, before the list caught up, still means the typed keyword.
      resolve(qp.activeItems[0] ?? typedItem());
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
  if (!chosen) return;
  const change = chosen.on ? { remove: [chosen.keyword] } : { add: [chosen.keyword] };
  await progress(label`Changing keywords`, () =>
    store.apply({ kind: 'setFlags', refs: targets.map((t) => t.ref), ...change }),
  );
}

/**
 * `mailroom.editKeywords`: a tree row; a `{ account, ref }`; a message ref, with the account's
 * name as the second argument (else the account whose message it is in the reader, else the only
 * one) — what the reader's toolbar passes; or, from the palette, the current message.
 */
function keywordTargets(ctx: CommandContext, arg: unknown, second: unknown): MessageTarget[] {
  const t = arg as Partial<MessageTarget> | undefined;
  if (t && typeof t === 'object' && 'ref' in t && t.account && t.ref) return [t as MessageTarget];
  const ref = arg as Partial<MessageRef> | undefined;
  if (ref && typeof ref === 'object' && typeof ref.mailbox === 'string' && typeof ref.uid === 'number') {
    const reading = ctx.reader.current;
    const usable = ctx.model.accounts.filter((a) => a.store);
    const account =
      (typeof second === 'string' ? ctx.model.account(second) : undefined) ??
      (reading && reading.ref.mailbox === ref.mailbox && reading.ref.uid === ref.uid ? reading.account : undefined) ??
      (usable.length === 1 ? usable[0] : undefined);
    if (!account) throw new MailError('unsupported', 'Say which account the message belongs to.');
    return [{ account, ref: ref as MessageRef }];
  }
  return resolveTargets(ctx, arg, second);
}

export function registerOrganiseCommands(ctx: CommandContext): vscode.Disposable[] {
  const setUnsubscribed = async (on: boolean) => {
    ctx.rows.setShowUnsubscribed(on);
    await vscode.commands.executeCommand('setContext', 'mailroom.showUnsubscribed', on);
  };
  const setThreading = (on: boolean) =>
    vscode.workspace.getConfiguration('mailroom').update('threading', on, vscode.ConfigurationTarget.Global);
  return [
    command(Command.newFolder, 'New Folder', (node) => newFolder(ctx, node)),
    command(Command.renameFolder, 'Rename Folder', (node) => renameFolder(ctx, node)),
    command(Command.deleteFolder, 'Delete Folder', (node) => deleteFolder(ctx, node)),
    command(Command.subscribeFolder, 'Subscribe', (node) => subscribe(ctx, node, true)),
    command(Command.unsubscribeFolder, 'Unsubscribe', (node) => subscribe(ctx, node, false)),
    command(Command.showUnsubscribedFolders, 'Show Unsubscribed Folders', () => setUnsubscribed(true)),
    command(Command.hideUnsubscribedFolders, 'Hide Unsubscribed Folders', () => setUnsubscribed(false)),
    command(Command.markAllRead, 'Mark All as Read', (node) => markAllRead(ctx, node)),
    command(Command.emptyTrash, 'Empty Trash', (node) => emptyFolder(ctx, node, 'trash')),
    command(Command.emptyJunk, 'Empty Junk', (node) => emptyFolder(ctx, node, 'junk')),
    command(Command.editKeywords, 'Edit Keywords', (arg, args) => editKeywords(keywordTargets(ctx, arg, args))),
    command(Command.showConversations, 'Show Conversations', () => setThreading(true)),
    command(Command.showSingleMessages, 'Show Messages One by One', () => setThreading(false)),
    command(Command.openAccountsSetting, 'Open the accounts setting', () =>
      vscode.commands.executeCommand('workbench.action.openSettings', 'mailroom.accounts'),
    ),
    command(Command.openReadme, 'Open the Mailroom README', () =>
      vscode.commands.executeCommand(
        'markdown.showPreview',
        vscode.Uri.joinPath(ctx.extension.extensionUri, 'README.md'),
      ),
    ),
  ];
}
