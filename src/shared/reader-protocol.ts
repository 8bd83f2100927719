// The typed message protocol between the extension host and the reader webview. The webview is a
// trust boundary: everything it sends is parsed by `parseReaderRequest` before the host acts on it.

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

/** One part of the body, shown in order: HTML (sanitized by the host) or plain text. */
export type ReaderBodyPart = { kind: 'html'; html: string } | { kind: 'text'; text: string };

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
}

/** Things in the workspace related to the message: tasks linking to it, files and issues it mentions. */
export interface ReaderRelated {
  id: string;
  kind: 'task' | 'file' | 'issue' | 'pull';
  label: string;
  detail: string;
}

export type HostToReader =
  | { type: 'show'; message: ReaderMessage }
  | { type: 'related'; key: string; items: ReaderRelated[] }
  | { type: 'flags'; key: string; flags: string[] }
  | { type: 'busy'; text: string }
  | { type: 'error'; text: string };

export type ReaderAction = 'markRead' | 'markUnread' | 'toggleFlag' | 'archive' | 'delete' | 'move';

export type ReaderToHost =
  | { type: 'ready' }
  | { type: 'action'; key: string; action: ReaderAction }
  | { type: 'openLink'; href: string }
  | { type: 'saveAttachment'; key: string; part: string; open: boolean }
  | { type: 'loadRemote'; key: string; always: boolean }
  | { type: 'openRelated'; key: string; id: string };

const ACTIONS: readonly ReaderAction[] = ['markRead', 'markUnread', 'toggleFlag', 'archive', 'delete', 'move'];
const KEY = /^[\w.:@%+=/-]{1,512}$/;
const PART = /^\d+(\.\d+)*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;

/** Returns the request if it is well-formed, otherwise undefined (and the host ignores it). */
export function parseReaderRequest(raw: unknown): ReaderToHost | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
      return { type: 'ready' };
    case 'action':
      return str(raw.key) && KEY.test(raw.key) && ACTIONS.includes(raw.action as ReaderAction)
        ? { type: 'action', key: raw.key, action: raw.action as ReaderAction }
        : undefined;
    case 'openLink':
      return str(raw.href, 8192) ? { type: 'openLink', href: raw.href } : undefined;
    case 'saveAttachment':
      return str(raw.key) && KEY.test(raw.key) && str(raw.part, 64) && PART.test(raw.part) && typeof raw.open === 'boolean'
        ? { type: 'saveAttachment', key: raw.key, part: raw.part, open: raw.open }
        : undefined;
    case 'openRelated':
      return str(raw.key) && KEY.test(raw.key) && str(raw.id, 16) && /^[a-z]\d{1,5}$/.test(raw.id)
        ? { type: 'openRelated', key: raw.key, id: raw.id }
        : undefined;
    case 'loadRemote':
      return str(raw.key) && KEY.test(raw.key) && typeof raw.always === 'boolean'
        ? { type: 'loadRemote', key: raw.key, always: raw.always }
        : undefined;
    default:
      return undefined;
  }
}

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
