// The operations of writing mail, for the account store and the composer to call directly: check,
// send, save a draft, discard it. No prompts: everything that happened comes back as data, and
// every failure as a MailError that says which part failed and that nothing was lost.
import type { AccountConfig } from '../session/account';
import { changeFlags, type PendingExpunge } from '../actions/actions';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import type { Logger, SecretRedactor } from '../log';
import type { MessageRef } from '../mailbox/messages';
import { attachFileSize, imapPartFetcher, type PartFetcher, resolveAttachments } from './attachments';
import { type BodyFormat, buildMessage, type BuiltMessage } from './build';
import { checkComposer, hasErrors } from './checks';
import type { ComposeContext } from './context';
import { type ComposerDocument, type ComposerProblem, parseComposer } from './document';
import { COMPOSE_HEADER, encodeComposeHeader } from './draft-read';
import { identityOf } from './identity';
import { type DraftSaved, type FolderChoice, removeDraft, saveSentCopy, type SentCopy, storeDraft } from './mailstore';
import { type SmtpCredentialsProvider, submitMessage, type SubmitReceipt } from './smtp';
import { Flag } from '../../shared/flags';

/** One account as the writing operations need it. */
export interface ComposeAccount {
  account: AccountConfig;
  /** The account's IMAP connection: Sent, Drafts, the original's flag, attachments on the server. */
  imap: ImapConnection;
  smtpCredentials: SmtpCredentialsProvider;
  logger: Logger;
  /** Default: the IMAP connection's, so one redactor masks both protocols' secrets. */
  redactor?: SecretRedactor;
  traceProtocol?: boolean;
  folders?: FolderChoice;
  /** Default: parts fetched over `imap`, one per FETCH. */
  fetcher?: PartFetcher;
}

export interface ComposeRequest {
  /** The composer document (headers, blank line, Markdown body). */
  text: string;
  context: ComposeContext;
  /** `mailroom.compose.format`. */
  format?: BodyFormat;
  /** Folder that relative `Attach:` paths are relative to (the workspace). */
  baseDir?: string;
  /** `mailroom.saveSentCopy` (default true). */
  saveSentCopy?: boolean;
  /** The server's EHLO SIZE if known (probeSmtp), for the size check before anything is built. */
  maxSize?: number;
}

export type FlagOutcome = { status: 'flagged'; flag: string } | { status: 'failed'; error: MailError };
export type DraftRemoval =
  { status: 'removed' } | { status: 'pending'; pending: PendingExpunge } | { status: 'failed'; error: MailError };

export interface SendOutcome {
  messageId: string;
  submitted: SubmitReceipt;
  /** The exact bytes submitted (for retrySentCopy). */
  raw: Buffer;
  sentCopy: SentCopy;
  /** \Answered or $Forwarded on the original, for replies and forwards. */
  original?: FlagOutcome;
  /** The draft this composer continued, removed after sending. */
  draft?: DraftRemoval;
}

/** The same checks as the composer's diagnostics, against the real file system and context. */
export function checkMessage(
  text: string,
  context: ComposeContext,
  opts: { baseDir?: string; maxSize?: number } = {},
): Promise<ComposerProblem[]> {
  return checkDocument(parseComposer(text), context, opts);
}

function checkDocument(
  doc: ComposerDocument,
  context: ComposeContext,
  opts: { baseDir?: string; maxSize?: number },
): Promise<ComposerProblem[]> {
  return checkComposer(doc, {
    fileSize: (path) => attachFileSize(path, opts.baseDir),
    refSizes: new Map(context.parts.map((p) => [p.id, p.size])),
    ...(opts.maxSize !== undefined ? { maxSize: opts.maxSize } : {}),
  });
}

async function checked(request: ComposeRequest, opts: { forDraft: boolean }): Promise<ComposerDocument> {
  const doc = parseComposer(request.text);
  const problems = await checkDocument(doc, request.context, {
    ...(request.baseDir !== undefined ? { baseDir: request.baseDir } : {}),
    ...(request.maxSize !== undefined ? { maxSize: request.maxSize } : {}),
  });
  // A draft may be unfinished (no recipient yet, a bad address being typed): only what would
  // lose content stops it.
  const blocking = problems.filter(
    (p) =>
      p.severity === 'error' &&
      (!opts.forDraft ||
        p.code === 'attachmentMissing' ||
        p.code === 'attachmentUnknown' ||
        p.code === 'unknownHeader' ||
        p.code === 'notAHeader'),
  );
  if (hasErrors(blocking)) {
    const first = blocking[0]!;
    throw new MailError(
      'config',
      `${opts.forDraft ? 'The draft was not saved' : 'Not sent'}: ${first.message} (line ${first.range.line + 1})`,
      { problems: blocking, stage: 'check', sent: false },
    );
  }
  return doc;
}

async function build(
  acct: ComposeAccount,
  request: ComposeRequest,
  doc: ComposerDocument,
  draft: boolean,
): Promise<BuiltMessage> {
  const identity = identityOf(acct.account);
  const fetcher = acct.fetcher ?? imapPartFetcher(acct.imap);
  const attachments = await resolveAttachments(doc.attach, request.context, {
    fetcher,
    ...(request.baseDir !== undefined ? { baseDir: request.baseDir } : {}),
  });
  const ctx = request.context;
  return buildMessage({
    from: doc.from?.address ?? identity.from,
    to: doc.to.addresses,
    cc: doc.cc.addresses,
    bcc: doc.bcc.addresses,
    replyTo: doc.replyTo.addresses,
    subject: doc.subject,
    body: doc.body,
    format: request.format ?? 'markdown',
    ...(identity.signature ? { signature: identity.signature } : {}),
    ...(ctx.inReplyTo ? { inReplyTo: ctx.inReplyTo } : {}),
    ...(ctx.references?.length ? { references: ctx.references } : {}),
    attachments,
    draft,
    ...(draft ? { headers: { [COMPOSE_HEADER]: encodeComposeHeader(ctx) } } : {}),
  });
}

/**
 * Sends the composer's message: checks, fetches server-side attachments, builds the message once,
 * submits it over SMTP, then (never undoing the send) saves the same bytes to Sent, flags the
 * original and removes the draft. A failure before or during submission throws — nothing was
 * sent; the caller keeps the text (and saves it as a draft). What fails afterwards is reported
 * in the outcome.
 */
export async function sendMessage(acct: ComposeAccount, request: ComposeRequest): Promise<SendOutcome> {
  const doc = await checked(request, { forDraft: false });
  const built = await build(acct, request, doc, false);
  const submitted = await submitMessage(acct.account, acct.smtpCredentials, built, {
    logger: acct.logger,
    redactor: acct.redactor ?? acct.imap.redactor,
    ...(acct.traceProtocol ? { traceProtocol: true } : {}),
  });
  const outcome: SendOutcome = {
    messageId: built.messageId,
    submitted,
    raw: built.raw,
    sentCopy: await saveSentCopy(acct.imap, built.raw, built.messageId, {
      ...(request.saveSentCopy !== undefined ? { enabled: request.saveSentCopy } : {}),
      ...(acct.folders ? { folders: acct.folders } : {}),
    }),
  };
  const ctx = request.context;
  if (ctx.original && ctx.kind !== 'new') {
    const flag = ctx.kind === 'forward' ? Flag.Forwarded : Flag.Answered;
    try {
      await changeFlags(acct.imap, [ctx.original], { add: [flag] });
      outcome.original = { status: 'flagged', flag };
    } catch (err) {
      outcome.original = {
        status: 'failed',
        error: asMailError(err, `The message was sent, but the original could not be marked ${flag}`),
      };
    }
  }
  if (ctx.draft) outcome.draft = await dropDraft(acct.imap, ctx.draft);
  return outcome;
}

/** After a failed Sent copy: stores the same bytes again (never resubmits). */
export function retrySentCopy(
  acct: ComposeAccount,
  outcome: Pick<SendOutcome, 'raw' | 'messageId'>,
): Promise<SentCopy> {
  return saveSentCopy(acct.imap, outcome.raw, outcome.messageId, acct.folders ? { folders: acct.folders } : {});
}

/**
 * Saves the composer as a draft in Drafts (\Draft \Seen, Bcc kept, no signature), replacing the
 * version in `context.draft`. Returns the context to continue with.
 */
export async function saveDraft(
  acct: ComposeAccount,
  request: ComposeRequest,
): Promise<{ context: ComposeContext; saved: DraftSaved }> {
  const doc = await checked(request, { forDraft: true });
  const built = await build(acct, request, doc, true);
  const saved = await storeDraft(acct.imap, built.raw, built.messageId, {
    ...(request.context.draft ? { previous: request.context.draft } : {}),
    parts: request.context.parts,
    ...(acct.folders ? { folders: acct.folders } : {}),
  });
  return { context: { ...request.context, draft: saved.draft, parts: saved.parts }, saved };
}

/** Discarding the composer: its draft goes (exactly that message). */
export async function discardDraft(acct: ComposeAccount, context: ComposeContext): Promise<DraftRemoval | undefined> {
  return context.draft ? dropDraft(acct.imap, context.draft) : undefined;
}

async function dropDraft(conn: ImapConnection, ref: MessageRef): Promise<DraftRemoval> {
  try {
    const pending = await removeDraft(conn, ref);
    return pending ? { status: 'pending', pending } : { status: 'removed' };
  } catch (err) {
    return { status: 'failed', error: asMailError(err, 'The draft could not be removed') };
  }
}

function asMailError(err: unknown, what: string): MailError {
  const kind = err instanceof MailError ? err.kind : 'server';
  return new MailError(
    kind,
    `${what}: ${err instanceof Error ? err.message : String(err)}`,
    { sent: true },
    { cause: err },
  );
}
