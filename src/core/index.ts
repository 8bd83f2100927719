// The public surface of the vscode-free core.
export * from './account';
export * from './account-session';
export * from './actions';
export * from './cache';
export * from './connection';
export * from './errors';
export * from './events';
export * from './links';
export * from './log';
export * from './mailboxes';
export * from './messages';
export * from './reader';
export * from './resync';
export * from './search';
export * from './structure';
export * from './watcher';
export { safeFilename } from './filename';
export { sanitizeHtml } from './sanitize';
