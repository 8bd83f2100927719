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
  signIn: 'mailroom.signIn',
  unflag: 'mailroom.unflag',
  newFolder: 'mailroom.newFolder',
  renameFolder: 'mailroom.renameFolder',
  deleteFolder: 'mailroom.deleteFolder',
  subscribeFolder: 'mailroom.subscribeFolder',
  unsubscribeFolder: 'mailroom.unsubscribeFolder',
  showUnsubscribedFolders: 'mailroom.showUnsubscribedFolders',
  hideUnsubscribedFolders: 'mailroom.hideUnsubscribedFolders',
  markAllRead: 'mailroom.markAllRead',
  emptyTrash: 'mailroom.emptyTrash',
  emptyJunk: 'mailroom.emptyJunk',
  markJunk: 'mailroom.markJunk',
  markNotJunk: 'mailroom.markNotJunk',
  editKeywords: 'mailroom.editKeywords',
  revealInMailboxes: 'mailroom.revealInMailboxes',
  showConversations: 'mailroom.showConversations',
  showSingleMessages: 'mailroom.showSingleMessages',
  openReadme: 'mailroom.openReadme',
  openAccountsSetting: 'mailroom.openAccountsSetting',
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
  /** Gives the keyboard back to a quick pick that is still open (Triage after opening a message). */
  focusQuickOpen: 'workbench.action.focusQuickOpen',
} as const;

/** The argument A / Delete / S / U / M / J pass (package.json keybindings): act on the tree's rows. */
export const FROM_TREE_KEYS = 'mailroom.mailboxes:keyboard';

/** The reader's webview panel type (its `activeWebviewPanelId` in `when` clauses). */
export const READER_VIEW_TYPE = 'mailroom.reader';
