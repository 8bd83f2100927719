// Mailing-list headers (RFC 2369 List-Unsubscribe/-Post/-Archive/-Help, RFC 2919 List-Id, RFC 8058
// List-Unsubscribe-Post). They are written by whoever sent the mail, so they are read as data: only
// well-formed https/http/mailto URIs survive (never javascript:, data:, file:…), at most a few per
// header, each of bounded length, and the parsing is one pass over at most MAX_HEADER_CHARS.
// Nothing here fetches anything: the reader acts on these only on the user's click.

/** A mailto: target reduced to what a list action sends: one address, a subject, a body. */
export interface MailtoTarget {
  to: string;
  subject?: string;
  body?: string;
}

export interface MailingList {
  /** The List-Id's identifier (without the angle brackets), e.g. "dev.lists.example.org". */
  id?: string;
  /** The List-Id's phrase, e.g. "Developers". */
  name?: string;
  unsubscribe: {
    /** RFC 8058: an https URI to POST `List-Unsubscribe=One-Click` to (only with List-Unsubscribe-Post). */
    oneClick?: string;
    mailto?: MailtoTarget;
    /** A web page to open in the browser (https, or http). */
    web?: string;
  };
  /** List-Post's address; `false` when the list says "NO" (posting not allowed). */
  post?: MailtoTarget | false;
  /** List-Archive's web page (https or http). */
  archive?: string;
  help?: string;
}

/** Header values beyond this are cut: a real one is well under 2 KB. */
export const MAX_HEADER_CHARS = 16 * 1024;
/** URIs read per header: lists give one to three. */
export const MAX_URIS = 8;
const MAX_URI_CHARS = 2048;
export const ONE_CLICK_BODY = 'List-Unsubscribe=One-Click';

const ADDRESS = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/;

type HeaderLine = { key: string; line: string };

/** The value of the first header named `name`, unfolded and capped. */
function headerValue(lines: readonly HeaderLine[], name: string): string | undefined {
  const h = lines.find((l) => l.key.toLowerCase() === name);
  if (!h) return undefined;
  const raw = h.line.slice(0, MAX_HEADER_CHARS + name.length + 2);
  const colon = raw.indexOf(':');
  return raw
    .slice(colon + 1)
    .replace(/\r?\n[ \t]/g, ' ')
    .trim();
}

/**
 * The `<…>` items of an RFC 2369 list value, in order, outside comments. Whitespace inside the
 * brackets is dropped (RFC 2369 §2: folding may break a URI). One pass; unterminated items are lost.
 */
export function angleItems(value: string, max = MAX_URIS): string[] {
  const out: string[] = [];
  let depth = 0; // inside (comments), which nest
  let item: string[] | undefined;
  let itemChars = 0;
  for (let i = 0; i < value.length && out.length < max; i++) {
    const c = value[i]!;
    if (item) {
      if (c === '>') {
        if (itemChars <= MAX_URI_CHARS) out.push(item.join(''));
        item = undefined;
      } else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') {
        if (++itemChars <= MAX_URI_CHARS) item.push(c);
      }
      continue;
    }
    if (c === '\\' && depth > 0) i++;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (c === '<' && depth === 0) {
      item = [];
      itemChars = 0;
    }
  }
  return out;
}

/** The value without comments and surrounding space (for "NO" and List-Unsubscribe-Post). */
function withoutComments(value: string): string {
  let depth = 0;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && depth > 0) i++;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out.trim();
}

/** An http(s) URL with a host, normalised; undefined for anything else. */
export function webUri(uri: string, httpsOnly = false): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && (httpsOnly || url.protocol !== 'http:')) return undefined;
  if (!url.hostname || url.username || url.password) return undefined;
  return url.toString();
}

/** One address and the subject/body of a mailto: URI (RFC 6068); other fields are dropped. */
export function mailtoTarget(uri: string): MailtoTarget | undefined {
  if (!/^mailto:/i.test(uri)) return undefined;
  const rest = uri.slice('mailto:'.length);
  const q = rest.indexOf('?');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  const to = decode(q < 0 ? rest : rest.slice(0, q));
  // One recipient: a list action writes to the list's robot, not to a list of people.
  if (!to || !ADDRESS.test(to)) return undefined;
  const target: MailtoTarget = { to };
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      const name = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
      const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
      if (value === undefined) continue;
      const clean = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').slice(0, 1000);
      if (name === 'subject' && target.subject === undefined) target.subject = clean.replace(/[\r\n]+/g, ' ');
      else if (name === 'body' && target.body === undefined) target.body = clean;
    }
  }
  return target;
}

function parseListId(value: string | undefined): { id?: string; name?: string } {
  if (!value) return {};
  const lt = value.lastIndexOf('<');
  const gt = value.indexOf('>', lt);
  if (lt < 0 || gt < 0) return {};
  const id = value.slice(lt + 1, gt).trim();
  if (!/^[\w.!#$%&'*+/=?^`{|}~-]{1,255}$/.test(id)) return {};
  const name = withoutComments(value.slice(0, lt))
    .replace(/^"(.*)"$/, '$1')
    .trim()
    .slice(0, 200);
  return { id, ...(name ? { name } : {}) };
}

/** The mailing-list facts of a header block (mailparser's headerLines); undefined when it has none. */
export function parseListHeaders(headerLines: readonly HeaderLine[] | undefined): MailingList | undefined {
  const lines = headerLines ?? [];
  const unsubscribe = headerValue(lines, 'list-unsubscribe');
  const unsubscribePost = headerValue(lines, 'list-unsubscribe-post');
  const post = headerValue(lines, 'list-post');
  const archive = headerValue(lines, 'list-archive');
  const help = headerValue(lines, 'list-help');
  const listId = parseListId(headerValue(lines, 'list-id'));
  if (unsubscribe === undefined && post === undefined && archive === undefined && !listId.id) return undefined;

  const list: MailingList = { ...listId, unsubscribe: {} };
  const items = unsubscribe ? angleItems(unsubscribe) : [];
  // RFC 8058 §3.1: one-click is the https URI of List-Unsubscribe, announced by this exact value.
  const oneClick = unsubscribePost !== undefined && withoutComments(unsubscribePost) === ONE_CLICK_BODY;
  for (const uri of items) {
    const https = webUri(uri, true);
    if (oneClick && https && !list.unsubscribe.oneClick) list.unsubscribe.oneClick = https;
    const web = https ?? webUri(uri);
    if (web && !list.unsubscribe.web) list.unsubscribe.web = web;
    const mailto = mailtoTarget(uri);
    if (mailto && !list.unsubscribe.mailto) list.unsubscribe.mailto = mailto;
  }
  if (post !== undefined) {
    if (/^no$/i.test(withoutComments(post))) list.post = false;
    else {
      const target = angleItems(post).map(mailtoTarget).find(Boolean);
      if (target) list.post = target;
    }
  }
  const firstWeb = (value: string | undefined) =>
    value
      ? angleItems(value)
          .map((u) => webUri(u))
          .find(Boolean)
      : undefined;
  const archiveUri = firstWeb(archive);
  if (archiveUri) list.archive = archiveUri;
  const helpUri = firstWeb(help);
  if (helpUri) list.help = helpUri;
  return list;
}
