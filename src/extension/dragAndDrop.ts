// Moving messages by dragging them onto a folder of the same account: a `move` operation of the
// store like Move Message…, so it is undoable and the tree follows the store's events.
import * as vscode from 'vscode';
import { reportError } from './mailActions';
import type { TreeNode } from './tree';

type MessageRow = Extract<TreeNode, { kind: 'message' }>;

const MIME = 'application/vnd.code.tree.mailroom.mailboxes';

export class MessageDragAndDrop implements vscode.TreeDragAndDropController<TreeNode> {
  readonly dragMimeTypes = [MIME];
  readonly dropMimeTypes = [MIME];
  private dragged: MessageRow[] = [];

  /** `move`: what Move Message… does with these rows and this folder. */
  constructor(private readonly move: (rows: readonly MessageRow[], to: string) => Promise<void>) {}

  handleDrag(source: readonly TreeNode[], data: vscode.DataTransfer): void {
    this.dragged = source.filter((n): n is MessageRow => n.kind === 'message');
    // The rows themselves stay in the extension host; the transfer only says that messages move.
    if (this.dragged.length) data.set(MIME, new vscode.DataTransferItem(this.dragged.length));
  }

  async handleDrop(target: TreeNode | undefined, data: vscode.DataTransfer): Promise<void> {
    const dragged = this.dragged;
    this.dragged = [];
    if (!data.get(MIME) || !dragged.length || target?.kind !== 'folder' || !target.folder.selectable) return;
    const rows = dragged.filter((n) => n.account === target.account && n.message.mailbox !== target.folder.path);
    if (!rows.length) return;
    try {
      await this.move(rows, target.folder.path);
    } catch (err) {
      reportError('Move', err);
    }
  }
}
