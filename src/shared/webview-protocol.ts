// The envelope every Mailroom webview speaks with its host (src/extension/webview/host.ts), around
// a message set of its own per view (the reader's in reader-protocol.ts; the composer's next).
// Messages stay flat objects with a `type`:
//   page → host: `{ type: 'ready', state? }` when the page (re)loads, with what it saved
//                (setState); a command `{ type, … }` (fire and forget); a request
//                `{ type, …, requestId }`, which the host answers with exactly one reply;
//   host → page: a notification `{ type, … }`, or `{ type: 'reply', requestId, ok, error? }`.
// Nothing from a page is trusted: the host parses every message with the view's own parsers
// and ignores what does not parse.

export interface ReadyMessage<State> {
  type: 'ready';
  state?: State;
}

export type Reply =
  { type: 'reply'; requestId: number; ok: true } | { type: 'reply'; requestId: number; ok: false; error: string };

export type WithRequestId<R> = R & { requestId: number };

/** What a view's page may send, and how the host tells each message is well-formed. */
export interface ViewProtocol<Command, Request, State> {
  /** The view's name, for logs. */
  readonly view: string;
  parseCommand(raw: Record<string, unknown>): Command | undefined;
  parseRequest(raw: Record<string, unknown>): Request | undefined;
  parseState(raw: unknown): State | undefined;
}

export type PageMessage<Command, Request, State> =
  | { kind: 'ready'; state?: State }
  | { kind: 'command'; command: Command }
  | { kind: 'request'; requestId: number; request: Request };

/**
 * How the host keeps what it sends while the page is not there (hidden, reloading): `reset`
 * replaces everything queued (a new message to show), `latest` replaces what is queued of the
 * same type, `append` keeps it all.
 */
export type QueuePolicy = 'reset' | 'latest' | 'append';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_REQUEST_ID = 2 ** 31;

/** The envelope of a page's message, its payload parsed by the view; undefined when anything is off. */
export function parsePageMessage<C, R, S>(
  protocol: ViewProtocol<C, R, S>,
  raw: unknown,
): PageMessage<C, R, S> | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  if (raw.type === 'ready') {
    const state = raw.state === undefined ? undefined : protocol.parseState(raw.state);
    return state === undefined ? { kind: 'ready' } : { kind: 'ready', state };
  }
  if ('requestId' in raw) {
    const id = raw.requestId;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_REQUEST_ID) return undefined;
    const request = protocol.parseRequest(raw);
    return request === undefined ? undefined : { kind: 'request', requestId: id, request };
  }
  const command = protocol.parseCommand(raw);
  return command === undefined ? undefined : { kind: 'command', command };
}
