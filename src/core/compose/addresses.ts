// Addresses as a person types them in To/Cc/Bcc ("Bob <bob@example.test>, carol@example.test"),
// parsed by nodemailer's addressparser one entry at a time so that every entry that does not parse
// can be pointed at (columns) instead of failing the whole line.
import addressparser from 'nodemailer/lib/addressparser';

export interface MailAddress {
  name?: string;
  address: string;
}

/** One comma-separated entry of an address line that is not a usable address. */
export interface AddressProblem {
  text: string;
  /** Offsets into the parsed string, end exclusive. */
  start: number;
  end: number;
}

// A usable mailbox: something@something, nothing that could end a header or split an address.
const MAILBOX = /^[^\s@<>()",;:\\]+@[^\s@<>()",;:\\[\]]+$/;

export function isMailbox(address: string): boolean {
  return MAILBOX.test(address);
}

/** Top-level comma positions: not inside "quotes", <angle brackets> or (comments). */
function splitEntries(text: string): Array<{ text: string; start: number; end: number }> {
  const out: Array<{ text: string; start: number; end: number }> = [];
  let quoted = false;
  let angle = 0;
  let comment = 0;
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (trimmed) out.push({ text: trimmed, start: start + lead, end: start + lead + trimmed.length });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '<') angle++;
    else if (c === '>') angle = Math.max(0, angle - 1);
    else if (c === '(') comment++;
    else if (c === ')') comment = Math.max(0, comment - 1);
    else if ((c === ',' || c === ';') && !angle && !comment) {
      push(i);
      start = i + 1;
    }
  }
  push(text.length);
  return out;
}

/** Parses an address line. Groups are flattened; an empty group ("undisclosed-recipients:;") adds nothing. */
export function parseAddressList(text: string): { addresses: MailAddress[]; problems: AddressProblem[] } {
  const addresses: MailAddress[] = [];
  const problems: AddressProblem[] = [];
  for (const entry of splitEntries(text)) {
    // "undisclosed-recipients:" is the head of an empty group (its ";" was the separator).
    if (/^[^<>@"]*:$/.test(entry.text)) continue;
    const parsed = addressparser(entry.text, { flatten: true });
    const mailboxes = parsed.filter((a): a is { name: string; address: string } => typeof a.address === 'string');
    if (mailboxes.length !== 1 || !isMailbox(mailboxes[0]!.address)) {
      problems.push(entry);
      continue;
    }
    const { name, address } = mailboxes[0]!;
    addresses.push(name ? { name, address } : { address });
  }
  return { addresses, problems };
}

/** `Name <addr>`, the name quoted when it holds characters with a meaning in an address line. */
export function formatAddress(a: MailAddress): string {
  if (!a.name) return a.address;
  const name = a.name.replace(/[\r\n]+/g, ' ').trim();
  const quoted = /[^A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~\u0080-\uFFFF]/.test(name)
    ? `"${name.replace(/(["\\])/g, '\\$1')}"`
    : name;
  return `${quoted} <${a.address}>`;
}

export function formatAddressList(list: readonly MailAddress[]): string {
  return list.map(formatAddress).join(', ');
}

export const sameAddress = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Drops later duplicates (by address, case-insensitive), keeping the first name seen. */
export function uniqueAddresses(list: readonly MailAddress[]): MailAddress[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const key = a.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Whether `address` is one of `patterns`: exact addresses, or wildcards where `*` stands for any
 * run of characters ("*@example.test", "alice+*@example.test"). Case-insensitive.
 */
export function matchesAddress(address: string, patterns: readonly string[]): boolean {
  const a = address.trim().toLowerCase();
  return patterns.some((p) => {
    const pattern = p.trim().toLowerCase();
    if (!pattern.includes('*')) return pattern === a;
    const re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^@\\s]*')}$`,
    );
    return re.test(a);
  });
}

/** The address of an `AccountConfig.from` ("Alice <alice@example.test>" or a bare address). */
export function parseMailbox(text: string): MailAddress | undefined {
  const { addresses, problems } = parseAddressList(text);
  return addresses.length === 1 && problems.length === 0 ? addresses[0] : undefined;
}
