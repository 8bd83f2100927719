// Asks the server for the conversation structure of a folder's newer messages (UID THREAD
// REFERENCES, RFC 5256), where the References of every message are known without fetching them.
import type { ImapFlow } from 'imapflow';
import type { ImapConnection } from '../session/connection';
import { parentsFromThreadResponse } from './threads';

interface ExecResponse {
  next(): void;
}
type Untagged = { attributes?: unknown[] } | undefined;
/** imapflow has no THREAD command; its command queue (`exec`, internal) carries ours like its own. */
type Exec = (
  command: string,
  attributes: unknown[],
  options: { untagged: Record<string, (u: Untagged) => Promise<void>> },
) => Promise<ExecResponse>;

export const THREAD_CAPABILITY = 'THREAD=REFERENCES';

/**
 * UID → parent UID for the messages from `fromUid` up, or undefined when the server cannot thread
 * (no THREAD=REFERENCES). Siblings whose common parent is missing hang under the first of them.
 */
export async function threadParents(
  conn: ImapConnection,
  path: string,
  fromUid: number,
): Promise<Map<number, number> | undefined> {
  return conn.withMailbox(path, { idempotent: true }, async (client: ImapFlow) => {
    if (!client.capabilities.has(THREAD_CAPABILITY)) return undefined;
    const exec = (client as unknown as { exec: Exec }).exec.bind(client);
    const threads: unknown[] = [];
    const response = await exec(
      'UID THREAD',
      [
        { type: 'ATOM', value: 'REFERENCES' },
        { type: 'ATOM', value: 'UTF-8' },
        { type: 'ATOM', value: 'UID' },
        { type: 'SEQUENCE', value: `${Math.max(1, Math.floor(fromUid))}:*` },
      ],
      {
        untagged: {
          THREAD: async (u) => {
            threads.push(...(u?.attributes ?? []));
          },
        },
      },
    );
    response.next();
    return parentsFromThreadResponse(threads);
  });
}
