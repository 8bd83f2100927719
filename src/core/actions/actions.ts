// Acting on messages, always by UID. The one rule above all: no message is lost. A move is a
// copy that succeeded before any original is touched; an expunge removes exactly the UIDs we
// moved (UID EXPUNGE), and a server without UIDPLUS only gets a plain EXPUNGE when no other
// message in the folder carries \Deleted — otherwise the user is asked first.
import type { ImapFlow, MailboxObject } from 'imapflow';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { assertUidValidity, type MessageRef, uidValidityOf } from '../mailbox/messages';
import { Flag } from '../../shared/flags';

export interface FlagChange {
  add?: string[];
  remove?: string[];
}

export interface PendingExpunge {
  mailbox: string;
  uids: number[];
  /** Other messages in that folder already marked \Deleted (a plain EXPUNGE would remove them too). */
  otherDeleted: number;
  reason: string;
}

export interface MoveResult {
  from: string;
  to: string;
  uidValidity: string;
  uids: number[];
  /** Source UID → destination UID, when the server reports it (UIDPLUS). */
  uidMap?: Array<[number, number]>;
  destUidValidity?: string;
  /** Message-IDs of the moved mail, to find it again without UIDPLUS. */
  messageIds: string[];
  /** Set when the originals are still in the source, marked \Deleted, awaiting confirmation. */
  pendingExpunge?: PendingExpunge;
}

export interface DeleteResult {
  /** Moved to Trash (undoable), or removed for good. */
  movedToTrash?: MoveResult;
  permanent?: { mailbox: string; uids: number[]; pendingExpunge?: PendingExpunge };
}

const FLAG = /^(\\(Seen|Flagged|Answered|Deleted|Draft)|\$?[A-Za-z0-9_.-]+)$/;

function groupByMailbox(refs: MessageRef[]): Map<string, MessageRef[]> {
  const groups = new Map<string, MessageRef[]>();
  for (const r of refs) (groups.get(r.mailbox) ?? groups.set(r.mailbox, []).get(r.mailbox)!).push(r);
  return groups;
}

/**
 * The UIDs to act on, checked against the open mailbox. A session learns of new mail only when
 * the server reports it, and Dovecot passes over a UID the session was not told of yet: a STORE
 * or MOVE of a message our live connection just announced answers OK and does nothing. Asking
 * first (NOOP) brings such a message into this session's view.
 */
async function targetUids(
  client: ImapFlow,
  mailbox: MailboxObject,
  refs: MessageRef[],
  write: boolean,
): Promise<number[]> {
  if (write && mailbox.readOnly) {
    throw new MailError('readOnly', `"${mailbox.path}" is open read-only; changes are not allowed.`, {
      path: mailbox.path,
    });
  }
  for (const r of refs) assertUidValidity(mailbox, r);
  const uids = [...new Set(refs.map((r) => r.uid))].sort((a, b) => a - b);
  if (uids.at(-1)! >= Number(mailbox.uidNext ?? 0)) await client.noop();
  return uids;
}

function refused(conn: ImapConnection, what: string): MailError {
  return new MailError(
    'server',
    `${conn.account.host} refused to ${what}: ${conn.takeLastCommandError() ?? 'no reason given'}`,
  );
}

export async function changeFlags(conn: ImapConnection, refs: MessageRef[], change: FlagChange): Promise<void> {
  for (const f of [...(change.add ?? []), ...(change.remove ?? [])]) {
    if (!FLAG.test(f)) throw new MailError('config', `"${f}" is not a valid IMAP flag or keyword.`);
  }
  for (const [path, group] of groupByMailbox(refs)) {
    await conn.withMailbox(path, { idempotent: true }, async (client, mailbox) => {
      await storeFlags(conn, client, path, await targetUids(client, mailbox, group, true), change);
    });
  }
}

/** UID STORE of `change` on `uids` of the selected mailbox `path`. */
async function storeFlags(
  conn: ImapConnection,
  client: ImapFlow,
  path: string,
  uids: number[],
  change: FlagChange,
): Promise<void> {
  if (change.add?.length && !(await client.messageFlagsAdd(uids, change.add, { uid: true }))) {
    throw refused(conn, `set ${change.add.join(' ')} in "${path}"`);
  }
  if (change.remove?.length && !(await client.messageFlagsRemove(uids, change.remove, { uid: true }))) {
    throw refused(conn, `clear ${change.remove.join(' ')} in "${path}"`);
  }
}

async function messageIdsOf(client: ImapFlow, uids: number[]): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of client.fetch(uids, { uid: true, envelope: true }, { uid: true })) {
    if (m.envelope?.messageId) ids.push(m.envelope.messageId);
  }
  return ids;
}

/**
 * Removes exactly `uids` (already marked \Deleted) from the selected mailbox, or explains why it
 * must wait for the user. Never expunges a message that someone else marked \Deleted.
 */
async function expungeExactly(
  conn: ImapConnection,
  client: ImapFlow,
  path: string,
  uids: number[],
): Promise<PendingExpunge | undefined> {
  if (client.capabilities.has('UIDPLUS')) {
    if (await client.messageDelete(uids, { uid: true })) return undefined;
    return {
      mailbox: path,
      uids,
      otherDeleted: 0,
      reason: `the server refused UID EXPUNGE (${conn.takeLastCommandError() ?? 'no reason given'})`,
    };
  }
  const mine = new Set(uids);
  const deleted = await client.search({ deleted: true }, { uid: true });
  const others = Array.isArray(deleted) ? deleted.filter((u) => !mine.has(u)) : [];
  if (deleted === false || others.length > 0) {
    return {
      mailbox: path,
      uids,
      otherDeleted: others.length,
      reason: `the server cannot expunge single messages (no UIDPLUS) and ${others.length} other message(s) in "${path}" are marked deleted`,
    };
  }
  // Only our messages carry \Deleted: a plain EXPUNGE removes exactly them. (imapflow's
  // messageDelete sends plain EXPUNGE when UIDPLUS is missing.)
  if (await client.messageDelete(uids, { uid: true })) return undefined;
  return {
    mailbox: path,
    uids,
    otherDeleted: 0,
    reason: `the server refused EXPUNGE (${conn.takeLastCommandError() ?? 'no reason given'})`,
  };
}

export async function moveMessages(conn: ImapConnection, refs: MessageRef[], destination: string): Promise<MoveResult> {
  const groups = groupByMailbox(refs);
  if (groups.size !== 1) throw new MailError('unsupported', 'Move messages from one folder at a time.');
  const [from, group] = [...groups][0]!;
  if (from === destination) throw new MailError('unsupported', `The messages are already in "${destination}".`);
  const uncertain = `the move to "${destination}" may or may not have happened — check "${from}" and "${destination}"`;
  return conn.withMailbox(from, { uncertain }, async (client, mailbox) => {
    const uids = await targetUids(client, mailbox, group, true);
    const result: MoveResult = { from, to: destination, uidValidity: uidValidityOf(mailbox), uids, messageIds: [] };
    const record = (r: { uidMap?: Map<number, number>; uidValidity?: bigint }) => {
      if (r.uidMap?.size) result.uidMap = [...r.uidMap];
      if (r.uidValidity !== undefined) result.destUidValidity = r.uidValidity.toString();
    };
    if (!client.capabilities.has('UIDPLUS')) result.messageIds = await messageIdsOf(client, uids);

    if (client.capabilities.has('MOVE')) {
      const moved = await client.messageMove(uids, destination, { uid: true });
      if (moved) {
        record(moved);
        return result;
      }
      const why = conn.takeLastCommandError() ?? '';
      // A server that advertises MOVE but does not implement it: fall back to COPY below.
      if (!/unknown command|not supported|BAD|refused/i.test(why)) {
        throw new MailError(
          'server',
          `Could not move to "${destination}": ${why || 'no reason given'}. Nothing was changed.`,
        );
      }
    }

    const copied = await client.messageCopy(uids, destination, { uid: true });
    if (!copied) {
      throw new MailError(
        'server',
        `Could not copy to "${destination}": ${conn.takeLastCommandError() ?? 'no reason given'}. Nothing was changed.`,
      );
    }
    record(copied);
    if (!(await client.messageFlagsAdd(uids, [Flag.Deleted], { uid: true }))) {
      throw new MailError(
        'server',
        `Copied to "${destination}", but the originals could not be marked deleted (${conn.takeLastCommandError() ?? 'no reason given'}); they are now in both folders.`,
      );
    }
    const pending = await expungeExactly(conn, client, from, uids);
    if (pending) result.pendingExpunge = pending;
    return result;
  });
}

/** Marks `refs` \Deleted and expunges exactly them (the permanent delete, e.g. inside Trash). */
export async function destroyMessages(conn: ImapConnection, refs: MessageRef[]): Promise<DeleteResult> {
  const groups = groupByMailbox(refs);
  if (groups.size !== 1) throw new MailError('unsupported', 'Delete messages from one folder at a time.');
  const [path, group] = [...groups][0]!;
  const uncertain = `the deletion may or may not have happened — check "${path}"`;
  return conn.withMailbox(path, { uncertain }, async (client, mailbox) => {
    const uids = await targetUids(client, mailbox, group, true);
    if (!(await client.messageFlagsAdd(uids, [Flag.Deleted], { uid: true })))
      throw refused(conn, `mark messages deleted in "${path}"`);
    const pending = await expungeExactly(conn, client, path, uids);
    return { permanent: { mailbox: path, uids, ...(pending ? { pendingExpunge: pending } : {}) } };
  });
}

/** CLOSE expunges every \Deleted message of the folder: only after the user confirmed it. */
export async function expungeAll(conn: ImapConnection, path: string): Promise<void> {
  await conn.withMailbox(
    path,
    { uncertain: `the expunge may or may not have happened — check "${path}"` },
    async (client, mailbox) => {
      if (mailbox.readOnly) throw new MailError('readOnly', `"${path}" is open read-only.`);
      if (!(await client.mailboxClose())) throw refused(conn, `expunge "${path}"`);
    },
  );
}

/** Where the messages of a move are now: by UID map when known, else by Message-ID. */
async function locateMoved(client: ImapFlow, mailbox: MailboxObject, move: MoveResult): Promise<number[]> {
  if (move.uidMap?.length && move.destUidValidity === uidValidityOf(mailbox)) {
    const wanted = move.uidMap.map(([, dst]) => dst);
    const present = await client.search({ uid: wanted.join(',') }, { uid: true });
    if (Array.isArray(present) && present.length) return present;
  }
  const found = new Set<number>();
  for (const id of move.messageIds) {
    const uids = await client.search({ header: { 'message-id': id } }, { uid: true });
    if (Array.isArray(uids)) uids.forEach((u) => found.add(u));
  }
  return [...found];
}

/** Reverses a move (or a delete to Trash). */
export async function undoMove(
  conn: ImapConnection,
  move: MoveResult,
  restore?: FlagChange,
): Promise<MoveResult | void> {
  // `restore` (the keywords a junk move changed) is stored before the messages go back, so that
  // no one — a filter, another client — sees them in the old folder still marked as the move left them.
  if (move.pendingExpunge) {
    // The originals never left: clear their \Deleted and remove the copies instead.
    const uncertain = `the undo may or may not have happened — check "${move.from}" and "${move.to}"`;
    await conn.withMailbox(move.from, { uncertain }, async (client, mailbox) => {
      if (uidValidityOf(mailbox) !== move.uidValidity)
        throw new MailError('uidValidityChanged', `"${move.from}" was rebuilt; cannot undo.`);
      if (restore) await storeFlags(conn, client, move.from, move.uids, restore);
      if (!(await client.messageFlagsRemove(move.uids, [Flag.Deleted], { uid: true })))
        throw refused(conn, 'restore the originals');
    });
    await conn.withMailbox(move.to, { uncertain }, async (client, mailbox) => {
      const copies = await locateMoved(client, mailbox, { ...move, messageIds: move.messageIds });
      if (!copies.length) return;
      if (!(await client.messageFlagsAdd(copies, [Flag.Deleted], { uid: true })))
        throw refused(conn, 'remove the copies');
      await expungeExactly(conn, client, move.to, copies);
    });
    return;
  }
  const refs = await conn.withMailbox(move.to, { idempotent: true }, async (client, mailbox) => {
    const uids = await locateMoved(client, mailbox, move);
    if (restore && uids.length) await storeFlags(conn, client, move.to, uids, restore);
    return uids.map((uid) => ({ mailbox: move.to, uidValidity: uidValidityOf(mailbox), uid }));
  });
  if (!refs.length) throw new MailError('nothingToUndo', `The moved messages are no longer in "${move.to}".`);
  return moveMessages(conn, refs, move.from);
}

/** Marks every unread message of `path` read, by UID; returns the UIDs it changed. */
export async function markFolderSeen(
  conn: ImapConnection,
  path: string,
): Promise<{ uidValidity: string; uids: number[] }> {
  return conn.withMailbox(path, { idempotent: true, sync: true }, async (client, mailbox) => {
    if (mailbox.readOnly) throw new MailError('readOnly', `"${path}" is open read-only.`, { path });
    const found = await client.search({ seen: false }, { uid: true });
    if (!Array.isArray(found)) throw refused(conn, `search "${path}"`);
    if (found.length && !(await client.messageFlagsAdd(found, [Flag.Seen], { uid: true })))
      throw refused(conn, `mark the messages of "${path}" read`);
    return { uidValidity: uidValidityOf(mailbox), uids: found.sort((a, b) => a - b) };
  });
}

/** Every UID in `path` now (what "Empty Trash" names, so that it removes exactly these). */
export async function folderUids(conn: ImapConnection, path: string): Promise<{ uidValidity: string; uids: number[] }> {
  return conn.withMailbox(path, { idempotent: true, sync: true }, async (client, mailbox) => {
    const found = mailbox.exists ? await client.search({ all: true }, { uid: true }) : [];
    if (!Array.isArray(found)) throw refused(conn, `list the messages of "${path}"`);
    return { uidValidity: uidValidityOf(mailbox), uids: found.sort((a, b) => a - b) };
  });
}

/**
 * The flags and keywords the server keeps for messages of `path` (SELECT's PERMANENTFLAGS; `\*`
 * means any new keyword). Read with SELECT: EXAMINE reports none.
 */
export async function permanentFlags(conn: ImapConnection, path: string): Promise<string[]> {
  return conn.withMailbox(path, { idempotent: true }, async (_client, mailbox) => [...(mailbox.permanentFlags ?? [])]);
}
