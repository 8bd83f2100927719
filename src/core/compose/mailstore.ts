// Sent and Drafts live on the server (IMAP APPEND), so every device sees them. A draft is
// replaced by appending the new version first and only then removing exactly the old UID — with
// the same no-collateral-expunge rule as moves (actions.ts): without UIDPLUS nothing is expunged
// while another message in Drafts carries \Deleted.
import type { ImapConnection } from '../session/connection';
import { destroyMessages, type PendingExpunge } from '../actions/actions';
import { MailError } from '../errors';
import { bareId } from '../ids';
import { findSpecialUse, listMailboxes, type SpecialUse } from '../mailbox/mailboxes';
import { type MessageRef, sameRef } from '../mailbox/messages';
import { planMessage } from '../reading/structure';
import type { PartSource } from './context';
import { Flag } from '../../shared/flags';

/** Where sent mail and drafts go; found by special use (or name) when not given. */
export interface FolderChoice {
  sent?: string;
  drafts?: string;
}

export async function folderFor(
  conn: ImapConnection,
  role: Extract<SpecialUse, 'sent' | 'drafts'>,
  choice: FolderChoice = {},
): Promise<string> {
  const given = role === 'sent' ? choice.sent : choice.drafts;
  if (given) return given;
  const found = findSpecialUse(await listMailboxes(conn), role);
  if (!found) {
    throw new MailError(
      'mailboxNotFound',
      `${conn.account.host} has no ${role === 'sent' ? 'Sent' : 'Drafts'} folder (none is marked \\${role === 'sent' ? 'Sent' : 'Drafts'} or named so).`,
    );
  }
  return found.path;
}

/** Gmail files what it submits into Sent by itself: a copy of ours would be a duplicate. */
export async function serverFilesSentMail(conn: ImapConnection): Promise<boolean> {
  return conn.run(async (client) => client.capabilities.has('X-GM-EXT-1'), { idempotent: true });
}

/**
 * APPENDs `raw` to `path` and finds its UID: from APPENDUID (UIDPLUS), else by searching the
 * folder for its Message-ID.
 */
export async function appendMessage(
  conn: ImapConnection,
  path: string,
  raw: Buffer,
  flags: string[],
  messageId: string,
): Promise<MessageRef> {
  const appended = await conn.run((client) => client.append(path, raw, flags));
  if (!appended) {
    throw new MailError(
      'server',
      `${conn.account.host} refused to store the message in "${path}": ${conn.takeLastCommandError() ?? 'no reason given'}`,
      { path },
    );
  }
  return conn.withMailbox(path, { readOnly: true, idempotent: true, sync: true }, async (client, mailbox) => {
    const uidValidity = mailbox.uidValidity.toString();
    if (appended.uid && appended.uidValidity !== undefined && appended.uidValidity.toString() === uidValidity) {
      return { mailbox: path, uidValidity, uid: appended.uid };
    }
    const found = await client.search({ header: { 'message-id': bareId(messageId) } }, { uid: true });
    const uid = Array.isArray(found) && found.length ? Math.max(...found) : undefined;
    if (!uid)
      throw new MailError('messageNotFound', `The message stored in "${path}" cannot be found there again.`, { path });
    return { mailbox: path, uidValidity, uid };
  });
}

export type SentCopy =
  | { status: 'saved'; ref: MessageRef }
  | { status: 'skipped'; reason: 'disabled' | 'serverFilesSentMail' }
  | { status: 'failed'; error: MailError };

/** The exact bytes that were submitted, into Sent with \Seen. Never throws: a failure is reported, the mail is sent. */
export async function saveSentCopy(
  conn: ImapConnection,
  raw: Buffer,
  messageId: string,
  opts: { enabled?: boolean; folders?: FolderChoice } = {},
): Promise<SentCopy> {
  if (opts.enabled === false) return { status: 'skipped', reason: 'disabled' };
  try {
    if (await serverFilesSentMail(conn)) return { status: 'skipped', reason: 'serverFilesSentMail' };
    const sent = await folderFor(conn, 'sent', opts.folders);
    return { status: 'saved', ref: await appendMessage(conn, sent, raw, [Flag.Seen], messageId) };
  } catch (err) {
    const cause = err instanceof MailError ? err.message : String(err);
    return {
      status: 'failed',
      error: new MailError(
        err instanceof MailError ? err.kind : 'server',
        `The message was sent, but its copy could not be saved to Sent: ${cause}`,
        { sent: true, stage: 'sentCopy' },
        { cause: err },
      ),
    };
  }
}

export interface DraftSaved {
  draft: MessageRef;
  /** The previous version, when it is still there (no UIDPLUS and someone else's \Deleted mail in Drafts). */
  previousPending?: PendingExpunge;
  /** `parts` that referred to the previous version, now pointing into the new one. */
  parts: PartSource[];
}

/** Removes exactly `ref` (a draft): \Deleted, then UID EXPUNGE of it alone. */
export async function removeDraft(conn: ImapConnection, ref: MessageRef): Promise<PendingExpunge | undefined> {
  const result = await destroyMessages(conn, [ref]);
  return result.permanent?.pendingExpunge;
}

/**
 * Parts of `previous` that the new version carries too: re-pointed to the new version's parts
 * (same file name, in order), so they survive the removal of the previous one.
 */
async function repointParts(
  conn: ImapConnection,
  parts: PartSource[],
  previous: MessageRef | undefined,
  next: MessageRef,
): Promise<PartSource[]> {
  const stale = (p: PartSource) => previous !== undefined && sameRef(p.ref, previous);
  if (!parts.some(stale)) return parts;
  const structure = await conn.withMailbox(next.mailbox, { readOnly: true, idempotent: true }, async (client) => {
    const msg = await client.fetchOne(String(next.uid), { uid: true, bodyStructure: true }, { uid: true });
    return msg ? msg.bodyStructure : undefined;
  });
  const attachments = structure ? planMessage(structure).attachments : [];
  const used = new Set<string>();
  return parts.map((p) => {
    if (!stale(p) || p.kind !== 'part') return p;
    const match = attachments.find((a) => !used.has(a.part) && (a.filename ?? '') === p.filename);
    if (!match) return p;
    used.add(match.part);
    return { ...p, ref: next, part: match.part };
  });
}

/** Stores a draft (\Draft \Seen) and then removes the version it replaces. */
export async function storeDraft(
  conn: ImapConnection,
  raw: Buffer,
  messageId: string,
  opts: { previous?: MessageRef; parts?: PartSource[]; folders?: FolderChoice },
): Promise<DraftSaved> {
  const drafts = opts.previous?.mailbox ?? (await folderFor(conn, 'drafts', opts.folders));
  const draft = await appendMessage(conn, drafts, raw, [Flag.Draft, Flag.Seen], messageId);
  const parts = await repointParts(conn, opts.parts ?? [], opts.previous, draft);
  const saved: DraftSaved = { draft, parts };
  if (opts.previous && !sameRef(opts.previous, draft)) {
    try {
      const pending = await removeDraft(conn, opts.previous);
      if (pending) saved.previousPending = pending;
    } catch (err) {
      // The old version may be gone already (deleted on another device): the new one is safe.
      if (!(err instanceof MailError && (err.kind === 'messageNotFound' || err.kind === 'uidValidityChanged')))
        throw err;
    }
  }
  return saved;
}
