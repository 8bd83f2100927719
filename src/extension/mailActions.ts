// What the triage commands do, independent of where they were invoked (tree, palette, reader,
// triage pick). Each acts on the server first and updates the model after the server agreed.
import type { MoveResult, PendingExpunge } from '../core/actions/actions';
import { isMailError } from '../core/errors';
import type { MessageRef } from '../core/mailbox/messages';
import type { AccountModel } from './model';
import { ask, label, message, type MessageText, notify, pick } from './ui';

/** The move/delete "Undo Last Action" reverses. */
let lastUndoable: { account: AccountModel; kind: 'move' | 'delete'; result: MoveResult } | undefined;

export async function undoLast(): Promise<MessageText> {
  const last = lastUndoable;
  if (!last?.account.mail) return message`There is nothing to undo.`;
  lastUndoable = undefined;
  const { account, kind } = last;
  await account.mail!.undo(last.result);
  const r = last.result;
  const action = { kind };
  for (const path of [r.from, r.to]) if (account.state(path)) void account.loadMessages(path);
  void account.refreshCounts([r.from, r.to]);
  return message`Undone: ${action.kind === 'delete' ? 'delete' : 'move'} of ${r.uids.length} message(s) from "${r.from}".`;
}

export interface MessageTarget {
  account: AccountModel;
  ref: MessageRef;
}

/** Targets grouped by account (a multi-selection may span accounts). */
function byAccount(targets: MessageTarget[]): Map<AccountModel, MessageRef[]> {
  const map = new Map<AccountModel, MessageRef[]>();
  for (const t of targets) (map.get(t.account) ?? map.set(t.account, []).get(t.account)!).push(t.ref);
  return map;
}

/** Shows a MailError (or any error) as a precise notification. */
export function reportError(what: string, err: unknown): void {
  const text = isMailError(err) ? err.message : (err as Error)?.message ?? String(err);
  void notify.error(message`${what}: ${text}`);
}

/** Sets or clears one flag on the server, then in the loaded pages. */
async function setFlag(targets: MessageTarget[], flag: string, on: boolean): Promise<void> {
  for (const [account, refs] of byAccount(targets)) {
    await account.requireMail().setFlags(refs, on ? { add: [flag] } : { remove: [flag] });
    account.updateLocal(refs, (m) => {
      m.flags = on ? [...new Set([...m.flags, flag])] : m.flags.filter((f) => f !== flag);
    });
    if (flag === '\\Seen') void account.refreshCounts(refs.map((r) => r.mailbox));
  }
}

export function setRead(targets: MessageTarget[], read: boolean): Promise<void> {
  return setFlag(targets, '\\Seen', read);
}

/** Flags all if any is unflagged, otherwise unflags all (what a person expects from a toggle). */
export async function toggleFlag(targets: MessageTarget[], currentlyFlagged: (t: MessageTarget) => boolean): Promise<boolean> {
  const flag = targets.some((t) => !currentlyFlagged(t));
  await setFlag(targets, '\\Flagged', flag);
  return flag;
}

async function afterMove(account: AccountModel, refs: MessageRef[], result: MoveResult | undefined, what: string): Promise<void> {
  if (result) lastUndoable = { account, kind: what === 'Delete' ? 'delete' : 'move', result };
  const pending = result?.pendingExpunge;
  if (pending) {
    await offerExpunge(account, pending, what);
  } else {
    for (const path of new Set(refs.map((r) => r.mailbox))) account.removeLocal(path, refs.filter((r) => r.mailbox === path).map((r) => r.uid));
  }
  void account.refreshCounts([...refs.map((r) => r.mailbox), ...(result ? [result.to] : [])]);
}

/** Without UIDPLUS the expunge would also remove other \Deleted mail: only on the user's word. */
async function offerExpunge(account: AccountModel, pending: PendingExpunge, what: string): Promise<void> {
  const choice = await ask(
    message`${what}: the messages were copied, but the originals are still in "${pending.mailbox}" (marked deleted) because ${pending.reason}.`,
    { detail: message`Expunging now also removes the ${pending.otherDeleted} other message(s) marked deleted there.` },
    'Expunge Folder Now');
  if (choice === 'Expunge Folder Now') {
    await account.requireMail().expunge(pending.mailbox);
    account.removeLocal(pending.mailbox, pending.uids);
  } else {
    account.updateLocal(pending.uids.map((uid) => ({ mailbox: pending.mailbox, uid, uidValidity: account.state(pending.mailbox)?.uidValidity ?? '' })),
      (m) => { m.flags = [...new Set([...m.flags, '\\Deleted'])]; });
  }
}

export async function archive(targets: MessageTarget[]): Promise<void> {
  for (const [account, refs] of byAccount(targets)) {
    for (const group of bySource(refs)) {
      const result = await account.requireMail().archive(group);
      await afterMove(account, group, result, 'Archive');
    }
  }
}

export async function move(targets: MessageTarget[], destination: string): Promise<void> {
  for (const [account, refs] of byAccount(targets)) {
    for (const group of bySource(refs)) {
      const result = await account.requireMail().move(group, destination);
      await afterMove(account, group, result, 'Move');
    }
  }
}

export async function remove(targets: MessageTarget[], confirmPermanent: boolean): Promise<void> {
  for (const [account, refs] of byAccount(targets)) {
    for (const group of bySource(refs)) {
      const mail = account.requireMail();
      const trash = await mail.specialFolder('trash');
      if ((!trash || trash.path === group[0]!.mailbox) && confirmPermanent) {
        const ok = await ask(message`Delete ${group.length} message(s) from "${group[0]!.mailbox}" for good?`, { detail: message`This cannot be undone.` }, 'Delete');
        if (ok !== 'Delete') continue;
      }
      const result = await mail.delete(group);
      if (result.movedToTrash) await afterMove(account, group, result.movedToTrash, 'Delete');
      else if (result.permanent?.pendingExpunge) await offerExpunge(account, result.permanent.pendingExpunge, 'Delete');
      else account.removeLocal(group[0]!.mailbox, group.map((r) => r.uid));
      void account.refreshCounts([group[0]!.mailbox]);
    }
  }
}

function bySource(refs: MessageRef[]): MessageRef[][] {
  const map = new Map<string, MessageRef[]>();
  for (const r of refs) (map.get(r.mailbox) ?? map.set(r.mailbox, []).get(r.mailbox)!).push(r);
  return [...map.values()];
}

/** Asks for a destination folder of `account` (selectable folders, roles first). */
export async function pickFolder(account: AccountModel, exclude?: string): Promise<string | undefined> {
  const folders = (await account.loadFolders()).filter((f) => f.selectable && f.path !== exclude);
  const choice = await pick(
    folders.map((f) => ({ label: f.path === 'INBOX' ? label`Inbox` : label`${f.path}`, description: label`${f.specialUse ?? ''}`, path: f.path })),
    { title: label`Move to… (${account.name})`, placeHolder: label`Folder`, matchOnDescription: true },
  );
  return choice?.path;
}
