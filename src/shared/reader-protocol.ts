// The reader's messages (inside the shared envelope of webview-protocol.ts). The webview only
// renders; everything it asks for is parsed here on the host before the host acts on it.
import {
  isRecord,
  type QueuePolicy,
  type ReadyMessage,
  type Reply,
  type ViewProtocol,
  type WithRequestId,
} from './webview-protocol';
import { isRedecodeCharset, type RedecodeCharset } from './charsets';

export interface ReaderAddress {
  name?: string;
  address?: string;
}

export interface ReaderAttachment {
  part: string;
  filename: string;
  type: string;
  size: number;
}

/** What the reader knows of a part's decoding: its number, and that characters did not decode. */
interface PartDecoding {
  part?: string;
  undecodable?: true;
  /** The charset the user chose to show it in ("Show as…"). */
  decodedAs?: string;
}

/** One part of the body, shown in order: HTML (sanitized by the host) or plain text. */
export type ReaderBodyPart = ({ kind: 'html'; html: string } | { kind: 'text'; text: string }) & PartDecoding;

export interface ReaderMessage {
  /** Opaque key the host uses to find the message again. */
  key: string;
  subject: string;
  from: ReaderAddress[];
  to: ReaderAddress[];
  cc: ReaderAddress[];
  date?: string;
  flags: string[];
  body: ReaderBodyPart[];
  remoteBlocked: number;
  remoteAllowed: boolean;
  attachments: ReaderAttachment[];
  warnings: string[];
  truncated: boolean;
  /** The mailing list's actions the reader offers (from its List-* headers). */
  list?: ReaderList;
  /** Why remote content stays blocked whatever was allowed (the message is junk): no button then. */
  remoteRefused?: string;
}

export interface ReaderList {
  name?: string;
  /** How Unsubscribe works: an RFC 8058 one-click POST, a mail, or a web page. */
  unsubscribe?: 'oneClick' | 'mailto' | 'web';
  replyToList: boolean;
  archive: boolean;
}

/** A message that cannot be read now (the server is down): what the account's store knows of it. */
export interface ReaderUnavailable {
  key: string;
  subject: string;
  from: ReaderAddress[];
  date?: string;
  /** Why it could not be read. */
  text: string;
}

/** Things in the workspace related to the message: tasks linking to it, files and issues it mentions. */
export interface ReaderRelated {
  id: string;
  kind: 'task' | 'file' | 'issue' | 'pull';
  label: string;
  detail: string;
}

/** What the page keeps (setState) so that a hidden tab or a reloaded window shows the same message again. */
export interface ReaderState {
  account: string;
  ref: { mailbox: string; uidValidity: string; uid: number };
  scrollY?: number;
}

export type HostToReader =
  | { type: 'show'; message: ReaderMessage; state?: ReaderState }
  | { type: 'related'; key: string; items: ReaderRelated[] }
  | { type: 'flags'; key: string; flags: string[] }
  /** The message left its folder elsewhere (another device, a rebuilt folder): say so, offer to close. */
  | { type: 'gone'; key: string; text: string }
  | { type: 'busy'; text: string }
  | { type: 'error'; text: string }
  /** Could not be read now; the page offers Retry, and the host tries again when the account is back. */
  | { type: 'unavailable'; message: ReaderUnavailable }
  /** The whole header block (Show All Headers). */
  | { type: 'headers'; key: string; text: string; truncated: boolean }
  | Reply;

/** Until the page is there again: a new message replaces everything queued; flags, only the flags queued before. */
export const READER_QUEUE: Record<Exclude<HostToReader, Reply>['type'], QueuePolicy> = {
  show: 'reset',
  busy: 'reset',
  error: 'reset',
  unavailable: 'reset',
  headers: 'latest',
  related: 'latest',
  flags: 'latest',
  gone: 'latest',
};

export type ReaderAction = 'markRead' | 'markUnread' | 'toggleFlag' | 'archive' | 'delete' | 'move';

/** Writing: reply, reply all and forward quote the selection when there is one; `newMessage` starts a blank one. */
export type ReaderComposeAction = 'reply' | 'replyAll' | 'forward' | 'newMessage';

/** Fire and forget. */
export type ReaderCommand =
  | { type: 'openLink'; href: string }
  | { type: 'saveAttachment'; key: string; part: string; open: boolean }
  | { type: 'loadRemote'; key: string; always: boolean }
  | { type: 'openRelated'; key: string; id: string }
  | { type: 'close'; key: string }
  | { type: 'list'; key: string; action: ReaderListAction }
  | { type: 'viewSource'; key: string }
  | { type: 'showHeaders'; key: string }
  | { type: 'editKeywords'; key: string }
  /** Read the unavailable message again. */
  | { type: 'retry'; key: string }
  /** Decode a text part again in another charset. */
  | { type: 'redecode'; key: string; part: string; charset: RedecodeCharset };

export type ReaderListAction = 'unsubscribe' | 'replyToList' | 'openArchive';
const LIST_ACTIONS: readonly ReaderListAction[] = ['unsubscribe', 'replyToList', 'openArchive'];

/** Answered with one reply, once the host is done with it (the toolbar waits for it). */
export type ReaderRequest =
  | { type: 'action'; key: string; action: ReaderAction }
  | { type: 'compose'; key: string; action: ReaderComposeAction; selection?: string };

export type ReaderToHost = ReadyMessage<ReaderState> | ReaderCommand | WithRequestId<ReaderRequest>;

const ACTIONS: readonly ReaderAction[] = ['markRead', 'markUnread', 'toggleFlag', 'archive', 'delete', 'move'];
const COMPOSE_ACTIONS: readonly ReaderComposeAction[] = ['reply', 'replyAll', 'forward', 'newMessage'];
/** A selection to quote: at most this much text. */
export const MAX_SELECTION = 1024 * 1024;
const KEY = /^[\w.:@%+=/-]{1,512}$/;
const PART = /^\d+(\.\d+)*$/;

const str = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;
const key = (v: unknown): v is string => str(v) && KEY.test(v);

function parseCommand(raw: Record<string, unknown>): ReaderCommand | undefined {
  switch (raw.type) {
    case 'openLink':
      return str(raw.href, 8192) ? { type: 'openLink', href: raw.href } : undefined;
    case 'saveAttachment':
      return key(raw.key) && str(raw.part, 64) && PART.test(raw.part) && typeof raw.open === 'boolean'
        ? { type: 'saveAttachment', key: raw.key, part: raw.part, open: raw.open }
        : undefined;
    case 'openRelated':
      return key(raw.key) && str(raw.id, 16) && /^[a-z]\d{1,5}$/.test(raw.id)
        ? { type: 'openRelated', key: raw.key, id: raw.id }
        : undefined;
    case 'loadRemote':
      return key(raw.key) && typeof raw.always === 'boolean'
        ? { type: 'loadRemote', key: raw.key, always: raw.always }
        : undefined;
    case 'close':
    case 'viewSource':
    case 'showHeaders':
    case 'editKeywords':
    case 'retry':
      return key(raw.key) ? { type: raw.type, key: raw.key } : undefined;
    case 'redecode':
      return key(raw.key) && str(raw.part, 64) && PART.test(raw.part) && isRedecodeCharset(raw.charset)
        ? { type: 'redecode', key: raw.key, part: raw.part, charset: raw.charset }
        : undefined;
    case 'list':
      return key(raw.key) && LIST_ACTIONS.includes(raw.action as ReaderListAction)
        ? { type: 'list', key: raw.key, action: raw.action as ReaderListAction }
        : undefined;
    default:
      return undefined;
  }
}

function parseRequest(raw: Record<string, unknown>): ReaderRequest | undefined {
  if (raw.type === 'compose' && key(raw.key) && COMPOSE_ACTIONS.includes(raw.action as ReaderComposeAction)) {
    const selection = str(raw.selection, MAX_SELECTION) && raw.selection.trim() ? { selection: raw.selection } : {};
    return { type: 'compose', key: raw.key, action: raw.action as ReaderComposeAction, ...selection };
  }
  return raw.type === 'action' && key(raw.key) && ACTIONS.includes(raw.action as ReaderAction)
    ? { type: 'action', key: raw.key, action: raw.action as ReaderAction }
    : undefined;
}

function parseState(raw: unknown): ReaderState | undefined {
  if (!isRecord(raw) || !isRecord(raw.ref) || !str(raw.account, 256)) return undefined;
  const { mailbox, uidValidity, uid } = raw.ref;
  if (
    !str(mailbox, 1024) ||
    !str(uidValidity, 20) ||
    !/^\d+$/.test(uidValidity) ||
    typeof uid !== 'number' ||
    !Number.isSafeInteger(uid) ||
    uid < 1
  )
    return undefined;
  const scrollY =
    typeof raw.scrollY === 'number' && Number.isFinite(raw.scrollY) && raw.scrollY >= 0 ? { scrollY: raw.scrollY } : {};
  return { account: raw.account, ref: { mailbox, uidValidity, uid }, ...scrollY };
}

export const READER_PROTOCOL: ViewProtocol<ReaderCommand, ReaderRequest, ReaderState> = {
  view: 'reader',
  parseCommand,
  parseRequest,
  parseState,
};

// A mailto: link opens the user's mail program, and some honour fields beyond RFC 6068's
// (attach=/etc/passwd, x-headers): only these survive.
const MAILTO_FIELDS = new Set(['to', 'cc', 'bcc', 'subject', 'body']);

function safeMailto(url: URL): string | undefined {
  const fields: string[] = [];
  for (const pair of url.search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    if (!MAILTO_FIELDS.has(name)) continue;
    let value: string;
    try {
      value = decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1)); // "+" is a plus in mailto: (RFC 6068)
    } catch {
      continue;
    }
    fields.push(`${name}=${encodeURIComponent(value)}`);
  }
  if (!url.pathname && !fields.length) return undefined;
  return `mailto:${url.pathname}${fields.length ? `?${fields.join('&')}` : ''}`;
}

/** Links from mail open outside VS Code only for these schemes, and only well-formed. */
export function safeExternalLink(href: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.hostname ? url.toString() : undefined;
  if (url.protocol === 'mailto:') return safeMailto(url);
  return undefined;
}
