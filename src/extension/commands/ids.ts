// Every command Mailroom contributes, by name. package.json's contributes.commands, menus and
// keybindings must name exactly these (test/unit/commands.test.ts checks), and the code uses only
// these constants, so a renamed command cannot leave a menu or a key pointing at nothing.
// No `vscode` import: the unit test loads this file in plain Node.

export const Command = {
  addAccount: 'mailroom.addAccount',
  removeAccount: 'mailroom.removeAccount',
  refresh: 'mailroom.refresh',
  retryAccount: 'mailroom.retryAccount',
  loadMore: 'mailroom.loadMore',
  openMessage: 'mailroom.openMessage',
  markRead: 'mailroom.markRead',
  markUnread: 'mailroom.markUnread',
  toggleFlag: 'mailroom.toggleFlag',
  moveMessage: 'mailroom.moveMessage',
  archiveMessage: 'mailroom.archiveMessage',
  deleteMessage: 'mailroom.deleteMessage',
  undo: 'mailroom.undo',
  triage: 'mailroom.triage',
  triageArchive: 'mailroom.triage.archive',
  triageDelete: 'mailroom.triage.delete',
  triageFlag: 'mailroom.triage.flag',
  triageRead: 'mailroom.triage.read',
  search: 'mailroom.search',
  copyMessageLink: 'mailroom.copyMessageLink',
  createTaskFromMessage: 'mailroom.createTaskFromMessage',
  openMessageLink: 'mailroom.openMessageLink',
  clearCache: 'mailroom.clearCache',
  newMessage: 'mailroom.newMessage',
  reply: 'mailroom.reply',
  replyAll: 'mailroom.replyAll',
  forward: 'mailroom.forward',
  replyToList: 'mailroom.replyToList',
  send: 'mailroom.send',
  saveDraft: 'mailroom.saveDraft',
  discardDraft: 'mailroom.discardDraft',
  attachFile: 'mailroom.attachFile',
  sendAsAttachment: 'mailroom.sendAsAttachment',
  openDraft: 'mailroom.openDraft',
} as const;

export type CommandId = (typeof Command)[keyof typeof Command];

/** Commands VS Code itself provides for Mailroom's contributions (not in contributes.commands). */
export const WorkbenchCommand = {
  focusMailboxes: 'mailroom.mailboxes.focus',
} as const;

/** The reader's webview panel type (its `activeWebviewPanelId` in `when` clauses). */
export const READER_VIEW_TYPE = 'mailroom.reader';

/**
 * Commands other parts of Mailroom register (the composer, the tree), which the reader's buttons
 * call with the message on screen as a MessageTarget ({ account, ref }).
 */
export const PeerCommand = {
  replyToList: 'mailroom.replyToList',
  editKeywords: 'mailroom.editKeywords',
} as const;
