// Whether a message's From address is vouched for by the user's own mail server. Anyone can write
// any From: header, so a decision that outlives one message ("always load remote content from this
// sender") may only rest on what the receiving server checked: its Authentication-Results header
// (RFC 8601) saying DMARC passed for the From domain, or a DKIM signature of exactly that domain
// verified. The receiving server adds its header on top; ones further down came with the message
// and prove nothing, so only the topmost counts.
import { domainToASCII } from 'node:url';

export interface AuthMethodResult {
  /** e.g. "dkim", "spf", "dmarc" (lower case) */
  method: string;
  /** e.g. "pass", "fail", "none" (lower case) */
  result: string;
  /** "header.from", "header.d", "smtp.mailfrom", … → value (as written, unquoted) */
  props: Record<string, string>;
}

export interface AuthenticationResults {
  authservId: string;
  results: AuthMethodResult[];
}

// A header is at most a few KB in practice; the parser is linear, this only bounds the work.
const MAX_HEADER = 16 * 1024;

/** Removes RFC 5322 comments (nested, with quoted pairs) outside quoted strings. */
function withoutComments(s: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '(') {
      depth++;
    } else if (c === ')' && depth > 0) {
      depth--;
      if (depth === 0) out += ' ';
    } else if (depth === 0) {
      if (c === '"') quoted = true;
      out += c;
    }
  }
  return out;
}

/** Splits on `sep` outside quoted strings. */
function splitOutsideQuotes(s: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && sep.test(c)) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

const unquote = (v: string) =>
  v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;

/** Parses one Authentication-Results header value; undefined when it is not one. */
export function parseAuthenticationResults(value: string): AuthenticationResults | undefined {
  const clean = withoutComments(value.slice(0, MAX_HEADER).replace(/\r?\n[ \t]+/g, ' '));
  const [head, ...resinfos] = splitOutsideQuotes(clean, /;/);
  const authservId = unquote(head!.trim().split(/\s+/)[0] ?? '');
  if (!authservId) return undefined;
  const results: AuthMethodResult[] = [];
  for (const resinfo of resinfos) {
    const tokens = splitOutsideQuotes(resinfo.trim(), /\s/).filter(Boolean);
    const first = /^([\w.-]+)(?:\/\d+)?\s*=\s*([\w-]+)$/.exec(tokens[0] ?? '');
    if (!first) continue; // "none", or something this parser does not know
    const props: Record<string, string> = {};
    for (const t of tokens.slice(1)) {
      const eq = t.indexOf('=');
      if (eq > 0) props[t.slice(0, eq).toLowerCase()] = unquote(t.slice(eq + 1));
    }
    results.push({ method: first[1]!.toLowerCase(), result: first[2]!.toLowerCase(), props });
  }
  return { authservId, results };
}

/** The Authentication-Results values of a header block, topmost first (as mailparser lists them). */
export function authenticationResultsOf(
  headerLines: ReadonlyArray<{ key: string; line: string }> | undefined,
): string[] {
  return (headerLines ?? [])
    .filter((h) => h.key.toLowerCase() === 'authentication-results')
    .map((h) => h.line.replace(/^[^:]*:\s*/, '').replace(/\r?\n[ \t]+/g, ' '));
}

export type SenderVerdict =
  | { verified: true; address: string; domain: string; authservId: string; by: 'dmarc' | 'dkim' }
  | { verified: false; address?: string; why: string };

const asciiDomain = (d: string) => domainToASCII(d.trim().toLowerCase().replace(/\.$/, '')) || d.trim().toLowerCase();

/**
 * Whether the topmost Authentication-Results header vouches for the (single) From address:
 * dmarc=pass with header.from equal to its domain, or dkim=pass with header.d equal to it.
 */
export function verifySender(from: readonly string[], authResults: readonly string[] | undefined): SenderVerdict {
  const addresses = from.filter(Boolean);
  if (addresses.length === 0) return { verified: false, why: 'the message has no sender address' };
  if (addresses.length > 1) return { verified: false, why: 'the message names more than one sender' };
  const address = addresses[0]!.toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1)
    return { verified: false, address, why: `"${address}" is not a complete address` };
  const domain = asciiDomain(address.slice(at + 1));
  const top = authResults?.[0];
  if (top === undefined)
    return { verified: false, address, why: 'your mail server added no Authentication-Results header to it' };
  const parsed = parseAuthenticationResults(top);
  if (!parsed) return { verified: false, address, why: 'its topmost Authentication-Results header cannot be read' };
  const passes = (m: AuthMethodResult, prop: string) =>
    m.result === 'pass' && m.props[prop] !== undefined && asciiDomain(m.props[prop]!) === domain;
  const dmarc = parsed.results.find((m) => m.method === 'dmarc' && passes(m, 'header.from'));
  if (dmarc) return { verified: true, address, domain, authservId: parsed.authservId, by: 'dmarc' };
  const dkim = parsed.results.find((m) => m.method === 'dkim' && passes(m, 'header.d'));
  if (dkim) return { verified: true, address, domain, authservId: parsed.authservId, by: 'dkim' };
  const seen = parsed.results
    .filter((m) => m.method === 'dmarc' || m.method === 'dkim')
    .map((m) => `${m.method}=${m.result}`);
  return {
    verified: false,
    address,
    why: `${parsed.authservId} found neither DMARC nor a DKIM signature passing for ${domain}${seen.length ? ` (${seen.join(', ')})` : ''}`,
  };
}
