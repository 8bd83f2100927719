// Every change an account store makes to mail is one of these operations: plain data (the
// command pattern of thunderbird-android's MessagingControllerCommands and aerc's worker
// messages), applied through AccountStore.apply. What needs a person comes back in the outcome as
// data, with the operation to apply once they agree: nothing inside the flow asks anybody.
import type { MoveResult } from '../actions/actions';
import { MailError } from '../errors';
import type { ComposeContext } from '../compose/context';
import type { DraftSaved } from '../compose/mailstore';
import type { ComposeRequest, DraftRemoval, SendOutcome } from '../compose/send';
import type { SpecialUse } from '../mailbox/mailboxes';
import type { MessageRef } from '../mailbox/messages';

export type Operation =
  /** Adds and removes flags or keywords (any folders of the account). */
  | {
      readonly kind: 'setFlags';
      readonly refs: readonly MessageRef[];
      readonly add?: readonly string[];
      readonly remove?: readonly string[];
    }
  /** Moves messages of one folder to `to` (UID MOVE, or COPY + exactly-these EXPUNGE). */
  | { readonly kind: 'move'; readonly refs: readonly MessageRef[]; readonly to: string }
  /** Moves messages of one folder to the account's Archive folder. */
  | { readonly kind: 'archive'; readonly refs: readonly MessageRef[] }
  /**
   * Moves messages of one folder to Trash; inside Trash, or without one, removes them for good —
   * which, when the setting asks for it, first comes back as a `permanentDelete` confirmation
   * whose follow-up is this operation with `confirmed`.
   */
  | { readonly kind: 'delete'; readonly refs: readonly MessageRef[]; readonly confirmed?: boolean }
  /**
   * The plain EXPUNGE of a folder that a server without UIDPLUS needs to finish a move or delete:
   * it also removes every other message marked \Deleted there. Only ever the follow-up of an
   * `expungeFolder` confirmation.
   */
  | { readonly kind: 'expunge'; readonly mailbox: string; readonly uids: readonly number[] }
  /**
   * Reverses a move, archive, delete to Trash or junk move (the undo history holds these);
   * `flags` is the flag change that puts the returned messages back as they were.
   */
  | {
      readonly kind: 'undo';
      readonly move: MoveResult;
      readonly what: MoveKind;
      readonly flags?: { readonly add?: readonly string[]; readonly remove?: readonly string[] };
    }
  /**
   * Mark as Junk (`junk`: $Junk on, $NotJunk off, then into the Junk folder) or Not Junk (the
   * reverse, and out of Junk into INBOX). One operation, undone as one.
   */
  | { readonly kind: 'junk'; readonly refs: readonly MessageRef[]; readonly junk: boolean }
  /** Creates `name` at the top level or under `parent`, joined with the server's delimiter. */
  | { readonly kind: 'createFolder'; readonly name: string; readonly parent?: string }
  /** Gives a folder a new name in the same place (its subfolders follow on the server). */
  | { readonly kind: 'renameFolder'; readonly path: string; readonly name: string }
  /**
   * Deletes a folder and the mail in it. Comes back as a `deleteFolder` confirmation first (two,
   * one after the other, for a special-use folder); `confirmed` counts the answers given.
   */
  | { readonly kind: 'deleteFolder'; readonly path: string; readonly confirmed?: number }
  | { readonly kind: 'subscribe'; readonly path: string; readonly subscribed: boolean }
  /** Marks every unread message of a folder read (the whole folder, not only what is loaded). */
  | { readonly kind: 'markAllRead'; readonly path: string }
  /**
   * Removes every message of a folder for good (Empty Trash, Empty Junk). Comes back as an
   * `emptyFolder` confirmation naming the messages there now; its follow-up removes exactly
   * those UIDs, never mail that arrived after the person agreed nor other \Deleted mail.
   */
  | {
      readonly kind: 'emptyFolder';
      readonly path: string;
      readonly confirmed?: { readonly uidValidity: string; readonly uids: readonly number[] };
    }
  /** Stores a message (a draft, a Sent copy) in a folder, by path or by role. */
  | {
      readonly kind: 'append';
      readonly mailbox: string | { readonly role: 'drafts' | 'sent' };
      readonly raw: Uint8Array;
      readonly flags: readonly string[];
      readonly messageId: string;
    }
  /** Submits a composed message over SMTP (then Sent, the original's flag, the draft). */
  | { readonly kind: 'send'; readonly request: ComposeRequest }
  /** Stores the composer as a draft in Drafts, replacing the version in `request.context.draft`. */
  | { readonly kind: 'saveDraft'; readonly request: ComposeRequest }
  /** Removes the draft a composer continued (exactly that message), when it is discarded. */
  | { readonly kind: 'discardDraft'; readonly context: ComposeContext }
  /** After a send whose Sent copy failed: stores the same bytes again (never resubmits). */
  | { readonly kind: 'retrySentCopy'; readonly raw: Uint8Array; readonly messageId: string };

export type MoveKind = 'move' | 'archive' | 'delete' | 'junk' | 'notJunk';

/** What needs a person before (or to finish) an operation, and what to apply once they agree. */
export type Confirmation =
  /** Nothing was done yet: these messages would be removed for good. */
  | { readonly kind: 'permanentDelete'; readonly mailbox: string; readonly count: number; readonly followUp: Operation }
  /**
   * The messages were copied (or marked deleted) but the originals are still in `mailbox`, marked
   * \Deleted, because expunging exactly them is not possible: expunging the folder also removes
   * `otherDeleted` messages someone else marked \Deleted.
   */
  | {
      readonly kind: 'expungeFolder';
      readonly mailbox: string;
      readonly uids: readonly number[];
      readonly otherDeleted: number;
      readonly reason: string;
      readonly followUp: Operation;
    }
  /** Nothing was done yet: the folder, its messages and its subfolders would go for good. */
  | {
      readonly kind: 'deleteFolder';
      readonly mailbox: string;
      readonly messages: number;
      readonly subfolders: number;
      readonly specialUse?: SpecialUse;
      /** This is question `step` of `of` (a special-use folder asks twice). */
      readonly step: number;
      readonly of: number;
      readonly followUp: Operation;
    }
  /** Nothing was done yet: these `count` messages would be removed for good. */
  | { readonly kind: 'emptyFolder'; readonly mailbox: string; readonly count: number; readonly followUp: Operation };

export interface Outcome {
  readonly op: Operation;
  /** False when nothing was done yet because a person must agree first (see `confirm`). */
  readonly done: boolean;
  readonly confirm?: Confirmation;
  /** Recorded in the undo history ("Undo Last Action" reverses it). */
  readonly undoable: boolean;
  /** Where an `append` stored the message. */
  readonly stored?: MessageRef;
  /** The folder a `createFolder` or `renameFolder` made. */
  readonly folder?: string;
  /** How many messages the operation changed (`markAllRead`, `emptyFolder`). */
  readonly count?: number;
  /** What a `send` did after the submission: Sent copy, the original's flag, the draft (a `retrySentCopy`: the copy). */
  readonly sent?: SendOutcome;
  /** A `retrySentCopy`'s result. */
  readonly sentCopy?: SendOutcome['sentCopy'];
  /** A `saveDraft`'s result: the context to continue with (its `draft` is the new version). */
  readonly draft?: { readonly context: ComposeContext; readonly saved: DraftSaved };
  /** A `discardDraft`'s result (undefined: there was no draft on the server). */
  readonly removed?: DraftRemoval;
}

/** The one folder the messages of a move or delete come from (one folder per operation). */
export function sourceFolder(refs: readonly MessageRef[], what: string): string {
  const first = refs[0];
  if (!first) throw new MailError('unsupported', `${what}: no messages were given.`);
  if (refs.some((r) => r.mailbox !== first.mailbox))
    throw new MailError('unsupported', `${what} messages of one folder at a time.`);
  return first.mailbox;
}
