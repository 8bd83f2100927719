// "Show as…" for a text part whose bytes did not decode in the charset it declared: the part
// again, its transfer encoding removed but its bytes left alone, decoded in the charset the user
// picked (iconv-lite, what mailparser decodes with too). Capped like the reader's text.
import { iconv } from '../libraries';
import { MailError } from '../errors';
import { assertUidValidity, type MessageRef } from '../mailbox/messages';
import type { ImapConnection } from '../session/connection';

export const MAX_REDECODE_BYTES = 2 * 1024 * 1024;

export async function readPartAs(
  conn: ImapConnection,
  ref: MessageRef,
  part: string,
  charset: string,
  maxBytes: number = MAX_REDECODE_BYTES,
): Promise<{ text: string; truncated: boolean }> {
  if (!iconv().encodingExists(charset)) throw new MailError('unsupported', `Mailroom cannot decode "${charset}".`);
  const bytes = await conn.withMailbox(ref.mailbox, { readOnly: false, idempotent: true }, async (client, mailbox) => {
    assertUidValidity(mailbox, ref);
    const dl = await client.download(String(ref.uid), part, { uid: true, decodeText: false, maxBytes: maxBytes + 1 });
    if (!dl.content)
      throw new MailError('messageNotFound', `Part ${part} of the message is no longer on the server.`, { ...ref });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of dl.content as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      n += chunk.length;
    }
    return Buffer.concat(chunks, n);
  });
  const truncated = bytes.length > maxBytes;
  return {
    text: iconv()
      .decode(truncated ? bytes.subarray(0, maxBytes) : bytes, charset)
      .replaceAll('\u0000', ''),
    truncated,
  };
}
