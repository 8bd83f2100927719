// A mailto: link (RFC 6068) and a mailing list's List-Post header (RFC 2369) as composer fields.
// Only the fields a person sees in the composer come through: to, cc, bcc, subject, body; a link
// cannot attach files or add headers, and the composer shows everything before it is sent.
import { parseAddressList, type MailAddress } from './addresses';

export interface MailtoFields {
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  subject: string;
  body: string;
}

const MAX_LINK = 8192;

const decode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};

const addresses = (text: string): MailAddress[] => parseAddressList(text).addresses;

/** The fields of a mailto: link; undefined when it is not one. */
export function parseMailto(link: string): MailtoFields | undefined {
  if (link.length > MAX_LINK || !/^mailto:/i.test(link)) return undefined;
  const rest = link.slice('mailto:'.length);
  const q = rest.indexOf('?');
  const out: MailtoFields = { to: [], cc: [], bcc: [], subject: '', body: '' };
  const path = decode(q < 0 ? rest : rest.slice(0, q));
  if (path === undefined) return undefined;
  out.to.push(...addresses(path));
  for (const pair of q < 0 ? [] : rest.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1)); // "+" is a plus in mailto: (RFC 6068)
    if (value === undefined) continue;
    if (name === 'to' || name === 'cc' || name === 'bcc') out[name].push(...addresses(value));
    else if (name === 'subject') out.subject = value.replace(/[\r\n]+/g, ' ');
    else if (name === 'body') out.body = value.replace(/\r\n?/g, '\n');
  }
  return out;
}

/**
 * The posting address of a List-Post header (`<mailto:list@example.org>`, maybe with more URLs
 * after it); undefined for "NO" (posting not allowed) or when no mailto: URL is there.
 */
export function listPostAddress(header: string | undefined): MailAddress | undefined {
  if (!header || header.length > MAX_LINK || /^\s*NO\b/i.test(header)) return undefined;
  for (const m of header.matchAll(/<\s*(mailto:[^>\s]+)\s*>/gi)) {
    const fields = parseMailto(m[1]!);
    if (fields?.to[0]) return fields.to[0];
  }
  return undefined;
}
