// What an account store tells its listeners: precisely what changed, never "something did".
// Message changes name the messages by ref (mailbox + UIDVALIDITY + UID, compared with sameRef),
// so a surface updates exactly the rows, buttons and items that show them.
import type { MailError } from '../errors';
import type { MessageRef, ReadonlySummary } from '../mailbox/messages';
import type { ConnectionState } from '../session/connection';
import type { WatchState } from './watcher';

export type AccountStatus =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected' }
  | { readonly kind: 'error'; readonly error: MailError };

/**
 * Who made a change: an operation of this store; the server (live updates, a resync, a reload);
 * the disk cache (a folder shown from it before the server is asked); or the revert of an
 * operation that failed after its change was shown (optimistic mode, not used yet).
 */
export type ChangeOrigin = 'operation' | 'server' | 'cache' | 'revert';

export type StoreEvent =
  /** The account's status (connecting, connected, the error that needs attention). */
  | { readonly kind: 'status'; readonly status: AccountStatus }
  /** The command connection's state, reconnects included. */
  | { readonly kind: 'connection'; readonly state: ConnectionState }
  /** The folder list changed (or was forgotten, by a retry). */
  | { readonly kind: 'folders' }
  /** Counts of these folders changed. */
  | { readonly kind: 'counts'; readonly paths: readonly string[] }
  /** A folder's own state changed: loading, error, "more", threads, or it was forgotten. */
  | { readonly kind: 'folder'; readonly path: string }
  /** Messages of one folder: added, removed, or with changed flags. */
  | {
      readonly kind: 'messages';
      readonly path: string;
      readonly origin: ChangeOrigin;
      readonly added: readonly MessageRef[];
      readonly removed: readonly MessageRef[];
      readonly changed: readonly MessageRef[];
    }
  /** An operation moved messages (move, archive, delete to Trash, or an undo of one). */
  | {
      readonly kind: 'moved';
      readonly from: string;
      readonly to: string;
      readonly refs: readonly MessageRef[];
      readonly messageIds: readonly string[];
    }
  /** A watched folder's live connection changed state (`stopped`: no longer watched). */
  | { readonly kind: 'live'; readonly path: string; readonly state: WatchState }
  /** Unread mail arrived live (IDLE) in `path`. */
  | { readonly kind: 'newMail'; readonly path: string; readonly messages: readonly ReadonlySummary[] };
