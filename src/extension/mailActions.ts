// What the message actions do, whichever surface asked (tree, palette, reader toolbar, triage, a
// task): each becomes an operation of the account's store, and what the outcome says needs a
// person (a delete for good, an expunge of other mail) is asked here, then applied as its
// follow-up. No surface is updated from here: every surface listens to the stores.
import type { Account, MailModel } from './model';
import { isMailError } from '../core/errors';
import type { MessageRef } from '../core/mailbox/messages';
import type { Confirmation, Operation, Outcome } from '../core/sync/operations';
import type { AccountStore } from '../core/sync/store';
import { Flag } from '../shared/flags';
import { ask, label, message, type MessageText, notify, pick } from './ui';

export interface MessageTarget {
  account: Account;
  ref: MessageRef;
}

/** Shows a MailError (or any error) as a precise notification. */
export function reportError(what: string, err: unknown): void {
  const text = isMailError(err) ? err.message : ((err as Error)?.message ?? String(err));
  void notify.error(message`${what}: ${text}`);
}

/** Targets grouped by account (a multi-selection may span accounts), then by folder. */
function grouped(
  targets: readonly MessageTarget[],
): Array<{ store: AccountStore; refs: MessageRef[]; byFolder: MessageRef[][] }> {
  const accounts = new Map<Account, MessageRef[]>();
  for (const t of targets) (accounts.get(t.account) ?? accounts.set(t.account, []).get(t.account)!).push(t.ref);
  return [...accounts].map(([account, refs]) => {
    const folders = new Map<string, MessageRef[]>();
    for (const r of refs) (folders.get(r.mailbox) ?? folders.set(r.mailbox, []).get(r.mailbox)!).push(r);
    return { store: account.requireStore(), refs, byFolder: [...folders.values()] };
  });
}

export class MailActions {
  constructor(private readonly model: MailModel) {}

  /** Whether the message shows as flagged wherever it is shown. */
  isFlagged(t: MessageTarget): boolean {
    return t.account.store?.flags(t.ref)?.includes(Flag.Flagged) ?? false;
  }

  private async flags(targets: readonly MessageTarget[], change: { add?: string[]; remove?: string[] }): Promise<void> {
    for (const { store, refs } of grouped(targets)) await store.apply({ kind: 'setFlags', refs, ...change });
  }

  setRead(targets: readonly MessageTarget[], read: boolean): Promise<void> {
    return this.flags(targets, read ? { add: [Flag.Seen] } : { remove: [Flag.Seen] });
  }

  /** Flags all if any is unflagged, otherwise unflags all (what a person expects from a toggle). Returns the new state. */
  async toggleFlag(targets: readonly MessageTarget[]): Promise<boolean> {
    const on = targets.some((t) => !this.isFlagged(t));
    await this.setFlagged(targets, on);
    return on;
  }

  setFlagged(targets: readonly MessageTarget[], on: boolean): Promise<void> {
    return this.flags(targets, on ? { add: [Flag.Flagged] } : { remove: [Flag.Flagged] });
  }

  archive(targets: readonly MessageTarget[]): Promise<void> {
    return this.perFolder(targets, (refs) => ({ kind: 'archive', refs }), 'Archive');
  }

  move(targets: readonly MessageTarget[], destination: string): Promise<void> {
    return this.perFolder(targets, (refs) => ({ kind: 'move', refs, to: destination }), 'Move');
  }

  delete(targets: readonly MessageTarget[]): Promise<void> {
    return this.perFolder(targets, (refs) => ({ kind: 'delete', refs }), 'Delete');
  }

  private async perFolder(
    targets: readonly MessageTarget[],
    op: (refs: MessageRef[]) => Operation,
    what: string,
  ): Promise<void> {
    for (const { store, byFolder } of grouped(targets)) {
      for (const refs of byFolder) await this.settle(store, await store.apply(op(refs)), what);
    }
  }

  /** Asks what the outcome says needs a person, and applies the follow-up if they agree. Returns the last outcome. */
  private async settle(store: AccountStore, outcome: Outcome, what: string): Promise<Outcome> {
    const c = outcome.confirm;
    if (!c) return outcome;
    if (await this.agree(c, outcome, what)) return this.settle(store, await store.apply(c.followUp), what);
    return outcome;
  }

  private async agree(c: Confirmation, outcome: Outcome, what: string): Promise<boolean> {
    if (c.kind === 'deleteFolder') {
      const holds = [
        `${c.messages} message${c.messages === 1 ? '' : 's'}`,
        c.subfolders ? `${c.subfolders} subfolder${c.subfolders === 1 ? '' : 's'}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      if (c.step === 1)
        return (
          (await ask(
            message`Delete the folder "${c.mailbox}" and the ${holds} in it?`,
            { detail: message`The folder and its mail are deleted on the server for good. This cannot be undone.` },
            'Delete Folder',
          )) === 'Delete Folder'
        );
      return (
        (await ask(
          message`"${c.mailbox}" is this account's ${c.specialUse ?? 'special'} folder. Delete it anyway?`,
          {
            detail: message`Mail programs (this one too) put ${c.specialUse ?? 'special'} mail there; without it they cannot.`,
          },
          'Delete Special Folder',
        )) === 'Delete Special Folder'
      );
    }
    if (c.kind === 'emptyFolder') {
      return (
        (await ask(
          message`Delete the ${c.count} message${c.count === 1 ? '' : 's'} in "${c.mailbox}" for good?`,
          { detail: message`Exactly these messages are removed; mail arriving now stays. This cannot be undone.` },
          'Empty',
        )) === 'Empty'
      );
    }
    if (c.kind === 'permanentDelete') {
      return (
        (await ask(
          message`Delete ${c.count} message(s) from "${c.mailbox}" for good?`,
          { detail: message`This cannot be undone.` },
          'Delete',
        )) === 'Delete'
      );
    }
    const state =
      outcome.op.kind === 'delete' && !outcome.undoable
        ? message`${what}: the messages are marked deleted, but still in "${c.mailbox}" because ${c.reason}.`
        : message`${what}: the messages were copied, but the originals are still in "${c.mailbox}" (marked deleted) because ${c.reason}.`;
    const choice = await ask(
      state,
      { detail: message`Expunging now also removes the ${c.otherDeleted} other message(s) marked deleted there.` },
      'Expunge Folder Now',
    );
    return choice === 'Expunge Folder Now';
  }

  /** "Undo Last Action": the last move, archive or delete to Trash of any account. */
  async undo(): Promise<MessageText> {
    if (!this.model.undo.last) return message`There is nothing to undo.`;
    const { entry } = await this.model.undo.undoLast();
    const r = entry.op.move;
    return message`Moved ${countOf(r.uids.length)} back to ${folderLabel(r.from)}.`;
  }

  /** What the last undoable action did, as the "… — Undo" notification says it. */
  lastActionText(): MessageText | undefined {
    const last = this.model.undo.last;
    if (!last) return undefined;
    const { what, move } = last.op;
    const n = countOf(move.uids.length);
    const verb: Record<typeof what, string> = {
      archive: 'Archived',
      delete: 'Moved to Trash:',
      move: 'Moved',
      junk: 'Marked as junk:',
      notJunk: 'Not junk, back to Inbox:',
    };
    return what === 'move' ? message`Moved ${n} to ${folderLabel(move.to)}` : message`${verb[what]} ${n}`;
  }

  /** Mark as Junk / Not Junk: keywords and the move to or from Junk, per folder. */
  junk(targets: readonly MessageTarget[], junk: boolean): Promise<void> {
    return this.perFolder(targets, (refs) => ({ kind: 'junk', refs, junk }), junk ? 'Mark as Junk' : 'Not Junk');
  }

  /** Applies an operation and settles what it needs a person for (folder management, emptying). */
  async run(store: AccountStore, op: Operation, what: string): Promise<Outcome> {
    return this.settle(store, await store.apply(op), what);
  }

  /** Asks for a destination folder of `account` (selectable folders, roles first). */
  async pickFolder(account: Account, exclude?: string): Promise<string | undefined> {
    const folders = (await account.requireStore().loadFolders()).filter((f) => f.selectable && f.path !== exclude);
    const choice = await pick(
      folders.map((f) => ({
        label: f.path === 'INBOX' ? label`Inbox` : label`${f.path}`,
        description: label`${f.specialUse ?? ''}`,
        path: f.path,
      })),
      { title: label`Move to… (${account.name})`, placeHolder: label`Folder`, matchOnDescription: true },
    );
    return choice?.path;
  }
}

/** "1 message", "3 messages". */
export function countOf(n: number): string {
  return `${n} message${n === 1 ? '' : 's'}`;
}

/** A folder as people call it: "Inbox" for INBOX, else its path. */
export function folderLabel(path: string): string {
  return path.toUpperCase() === 'INBOX' ? 'Inbox' : path;
}
