// Attachments are read only when the message is built (send or draft save): files from disk,
// server parts one at a time over IMAP. Opening a forward of a mail with a 20 MB attachment costs
// nothing until it is sent.
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import type { ImapConnection } from '../session/connection';
import { MailError } from '../errors';
import { safeFilename } from '../reading/filename';
import { assertUidValidity, type MessageRef } from '../mailbox/messages';
import type { AttachSpec } from './document';
import type { ComposeContext, PartSource } from './context';

export interface ResolvedAttachment {
  filename: string;
  contentType?: string;
  content: Buffer;
  /** message/rfc822: the original as it is, not re-encoded. */
  message?: boolean;
}

/** Fetches server-side attachment bytes; `imapPartFetcher` is the real one. */
export interface PartFetcher {
  part(ref: MessageRef, part: string): Promise<Buffer>;
  message(ref: MessageRef): Promise<Buffer>;
}

export interface AttachmentEnvironment {
  /** Relative `Attach:` paths are resolved against this folder (the workspace). */
  baseDir?: string;
  fetcher?: PartFetcher;
  /** Largest single file read from disk (default 50 MB): a typo must not read a disk image into memory. */
  maxFileBytes?: number;
}

export function resolveAttachPath(path: string, baseDir?: string): string {
  return isAbsolute(path) || !baseDir ? resolve(path) : resolve(baseDir, path);
}

/** For the composer's checks: the size of an `Attach:` file, or undefined when it is not a readable file. */
export async function attachFileSize(path: string, baseDir?: string): Promise<number | undefined> {
  try {
    const s = await stat(resolveAttachPath(path, baseDir));
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

export async function resolveAttachments(
  specs: readonly AttachSpec[],
  context: ComposeContext,
  env: AttachmentEnvironment,
): Promise<ResolvedAttachment[]> {
  const out: ResolvedAttachment[] = [];
  const maxFile = env.maxFileBytes ?? 50 * 1024 * 1024;
  for (const spec of specs) {
    if (spec.kind === 'file') {
      const path = resolveAttachPath(spec.path, env.baseDir);
      const size = await attachFileSize(spec.path, env.baseDir);
      if (size === undefined)
        throw new MailError('config', `There is no file "${spec.path}" to attach.`, { path: spec.path });
      if (size > maxFile)
        throw new MailError('config', `"${spec.path}" is too large to attach (${Math.round(size / 1048576)} MB).`, {
          path: spec.path,
        });
      out.push({ filename: safeFilename(basename(path)), content: await readFile(path) });
      continue;
    }
    const source = context.parts.find((p) => p.id === spec.id);
    if (!source) throw new MailError('config', `Attachment #${spec.id} is not part of this message any more.`);
    if (!env.fetcher) throw new MailError('unsupported', 'Attachments from the server cannot be fetched here.');
    out.push(await fetchSource(source, env.fetcher));
  }
  return out;
}

async function fetchSource(source: PartSource, fetcher: PartFetcher): Promise<ResolvedAttachment> {
  if (source.kind === 'message') {
    return {
      filename: source.filename,
      contentType: 'message/rfc822',
      content: await fetcher.message(source.ref),
      message: true,
    };
  }
  return {
    filename: source.filename,
    contentType: source.contentType,
    content: await fetcher.part(source.ref, source.part),
  };
}

/** Reads parts over the account's IMAP connection: one part per FETCH, decoded from its transfer encoding. */
export function imapPartFetcher(conn: ImapConnection): PartFetcher {
  const gone = (ref: MessageRef) =>
    new MailError(
      'messageNotFound',
      `The message with the attachment is no longer in "${ref.mailbox}" (it was moved or deleted elsewhere).`,
      { ...ref },
    );
  return {
    part: (ref, part) =>
      conn.withMailbox(ref.mailbox, { readOnly: true, idempotent: true }, async (client, mailbox) => {
        assertUidValidity(mailbox, ref);
        const dl = await client.download(String(ref.uid), part, { uid: true, decodeText: false });
        if (!dl?.content) throw gone(ref);
        const chunks: Buffer[] = [];
        for await (const c of dl.content) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      }),
    message: (ref) =>
      conn.withMailbox(ref.mailbox, { readOnly: true, idempotent: true }, async (client, mailbox) => {
        assertUidValidity(mailbox, ref);
        const msg = await client.fetchOne(String(ref.uid), { uid: true, source: true }, { uid: true });
        if (!msg || !msg.source) throw gone(ref);
        return msg.source;
      }),
  };
}
