// What every command module gets, and how a command finds the messages it acts on.
import * as vscode from 'vscode';
import { MailError } from '../../core/errors';
import { type MailActions, type MessageTarget, reportError } from '../mailActions';
import type { Account, MailModel } from '../model';
import type { ReaderPanel } from '../reader/readerPanel';
import type { PasswordStore } from '../secrets';
import type { SignIns } from '../signIn';
import type { MailTreeProvider, TreeNode } from '../tree';
import { label, pick } from '../ui';
import { type CommandId, FROM_TREE_KEYS } from './ids';

export interface CommandContext {
  extension: vscode.ExtensionContext;
  model: MailModel;
  actions: MailActions;
  tree: vscode.TreeView<TreeNode>;
  /** The tree's data: rows to reveal and select. */
  rows: MailTreeProvider;
  reader: ReaderPanel;
  passwords: PasswordStore;
  signIns: SignIns;
}

/**
 * The messages a command acts on: the clicked/selected tree messages (multi-select), else — from
 * the palette — the message open in the reader, else the tree selection.
 */
export function resolveTargets(ctx: CommandContext, node?: unknown, nodes?: unknown): MessageTarget[] {
  const fromNodes = (list: readonly unknown[]) =>
    list
      .filter((n): n is Extract<TreeNode, { kind: 'message' }> => (n as TreeNode)?.kind === 'message')
      .map((n) => ({ account: n.account, ref: n.message }));
  // A key pressed in the tree means the tree's rows, never the message open in the reader.
  if (node === FROM_TREE_KEYS) {
    const rows = fromNodes(ctx.tree.selection);
    if (rows.length) return rows;
    throw new MailError('unsupported', 'Select a message in the Mailboxes view first.');
  }
  if (Array.isArray(nodes) && nodes.length) return fromNodes(nodes);
  if (node) return fromNodes([node]);
  const reading = ctx.reader.current;
  if (reading) return [reading];
  const selected = fromNodes([...ctx.tree.selection]);
  if (selected.length) return selected;
  throw new MailError('unsupported', 'Select a message in the Mailboxes view or open one in the reader first.');
}

/** The tree rows a message command acts on (none when it acts on the reader's message). */
export function resolveRows(ctx: CommandContext, node?: unknown, nodes?: unknown): TreeNode[] {
  const rows = (list: readonly unknown[]) => list.filter((n): n is TreeNode => (n as TreeNode)?.kind === 'message');
  if (node === FROM_TREE_KEYS) return rows(ctx.tree.selection);
  if (Array.isArray(nodes) && nodes.length) return rows(nodes);
  if (node) return rows([node]);
  return ctx.reader.current ? [] : rows(ctx.tree.selection);
}

/** The account a command means: the node's, the only one, or the one the user picks. */
export async function resolveAccount(ctx: CommandContext, node?: unknown): Promise<Account | undefined> {
  const n = node as TreeNode | undefined;
  if (n && 'account' in n) return n.account;
  const usable = ctx.model.accounts.filter((a) => a.store);
  if (usable.length <= 1) return usable[0];
  const chosen = await pick(
    usable.map((a) => ({ label: label`${a.name}`, account: a })),
    { title: label`Which account?` },
  );
  return chosen?.account;
}

/** Registers a command whose failures become precise notifications instead of generic dialogs. */
export function command(
  id: CommandId,
  title: string,
  run: (...args: unknown[]) => Promise<unknown> | unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await run(...args);
    } catch (err) {
      reportError(title, err);
      return undefined;
    }
  });
}
