// The message as the server stores it, for "View Source" and "Show All Headers". Both are capped:
// a source of hundreds of megabytes would not help anyone in an editor, and a header block an
// attacker padded to megabytes would not help in the reader. The caller says what was left out.
import { MailError } from '../errors';
import { assertUidValidity, type MessageRef } from '../mailbox/messages';
import type { ImapConnection } from '../session/connection';

export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
export const MAX_HEADER_BYTES = 256 * 1024;

export interface MessageSource {
  /** The first `raw.length` bytes of the message. */
  raw: Buffer;
  /** The whole message's size (RFC822.SIZE). */
  size: number;
  truncated: boolean;
}

const gone = (ref: MessageRef) =>
  new MailError(
    'messageNotFound',
    `The message is no longer in "${ref.mailbox}" (it was moved or deleted elsewhere).`,
    {
      ...ref,
    },
  );

/** The raw message (BODY.PEEK[]: reading it does not mark it read), up to `maxBytes`. */
export function readSource(
  conn: ImapConnection,
  ref: MessageRef,
  maxBytes: number = MAX_SOURCE_BYTES,
): Promise<MessageSource> {
  return conn.withMailbox(ref.mailbox, { readOnly: false, idempotent: true, sync: true }, async (client, mailbox) => {
    assertUidValidity(mailbox, ref);
    const got = await client.fetchOne(
      String(ref.uid),
      { uid: true, size: true, source: { maxLength: maxBytes } },
      { uid: true },
    );
    if (!got || got.uid !== ref.uid) throw gone(ref);
    const raw = got.source ?? Buffer.alloc(0);
    const size = got.size ?? raw.length;
    return { raw, size, truncated: size > raw.length };
  });
}

/** The message's whole header block (BODY.PEEK[HEADER]), up to `maxBytes`. */
export function readHeaderBlock(
  conn: ImapConnection,
  ref: MessageRef,
  maxBytes: number = MAX_HEADER_BYTES,
): Promise<{ text: string; truncated: boolean }> {
  return conn.withMailbox(ref.mailbox, { readOnly: false, idempotent: true, sync: true }, async (client, mailbox) => {
    assertUidValidity(mailbox, ref);
    // One byte more than shown tells a block of exactly maxBytes from a longer one.
    const got = await client.fetchOne(
      String(ref.uid),
      { uid: true, bodyParts: [{ key: 'header', maxLength: maxBytes + 1 }] },
      { uid: true },
    );
    if (!got || got.uid !== ref.uid) throw gone(ref);
    // imapflow hands a HEADER section back as `headers`, not among the body parts.
    let bytes = got.headers ?? Buffer.alloc(0);
    for (const [key, value] of got.bodyParts ?? []) if (key.toLowerCase().startsWith('header')) bytes = value;
    return { text: bytes.subarray(0, maxBytes).toString('utf8'), truncated: bytes.length > maxBytes };
  });
}
