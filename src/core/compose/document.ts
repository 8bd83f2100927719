// The composer is a text document: header lines, a blank line, the Markdown body.
//
//   From: Alice Example <alice@example.test>
//   To: Bob <bob@example.test>
//   Subject: Re: Quarterly report
//   Attach: ./reports/q1.pdf
//
//   Thanks — numbers below.
//
// Parsing never throws: whatever is wrong comes back as a problem with a position (0-based line
// and columns), the same list the editor shows as diagnostics and Send refuses on.
import { type AddressProblem, formatAddressList, type MailAddress, parseAddressList } from './addresses';

export interface TextRange {
  line: number;
  startColumn: number;
  /** Exclusive. */
  endColumn: number;
}

export type ProblemSeverity = 'error' | 'warning';

export interface ComposerProblem {
  severity: ProblemSeverity;
  /** Stable, for the UI to branch on (quick fixes). */
  code:
    | 'unknownHeader'
    | 'notAHeader'
    | 'duplicateHeader'
    | 'badAddress'
    | 'badFrom'
    | 'noRecipient'
    | 'emptySubject'
    | 'attachmentMissing'
    | 'attachmentUnknown'
    | 'forgotAttachment'
    | 'tooLarge';
  message: string;
  range: TextRange;
}

/** An `Attach:` value: a file (workspace-relative or absolute), or `#n label` — part n of the compose context. */
export type AttachSpec =
  { kind: 'file'; path: string; range: TextRange } | { kind: 'ref'; id: number; label: string; range: TextRange };

export interface AddressField {
  addresses: MailAddress[];
  /** The header lines' ranges (empty when the header is absent). */
  ranges: TextRange[];
}

export interface ComposerDocument {
  from?: { address?: MailAddress; text: string; range: TextRange };
  to: AddressField;
  cc: AddressField;
  bcc: AddressField;
  replyTo: AddressField;
  subject: string;
  subjectRange?: TextRange;
  attach: AttachSpec[];
  body: string;
  /** Line number where the body starts (after the blank line). */
  bodyLine: number;
  problems: ComposerProblem[];
}

/** What the composer shows: the input of `formatComposer`. */
export interface ComposerFields {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  bcc?: MailAddress[];
  replyTo?: MailAddress[];
  subject: string;
  /** File paths, or `#n label` references to parts (forwarded attachments, a resumed draft's). */
  attach: string[];
  body: string;
}

export const HEADER_NAMES = ['From', 'To', 'Cc', 'Bcc', 'Reply-To', 'Subject', 'Attach'] as const;
type HeaderName = (typeof HEADER_NAMES)[number];
const CANONICAL = new Map<string, HeaderName>(HEADER_NAMES.map((h) => [h.toLowerCase(), h]));

interface HeaderLine {
  name: HeaderName;
  /** Value with continuation lines joined by a space. */
  value: string;
  /** Where each physical piece of the value sits, to map offsets back to positions. */
  pieces: Array<{ line: number; column: number; offset: number; length: number }>;
  range: TextRange;
}

/** Maps an offset in a (possibly folded) header value back to a range on one physical line. */
function rangeIn(h: HeaderLine, start: number, end: number): TextRange {
  const piece = [...h.pieces].reverse().find((p) => p.offset <= start) ?? h.pieces[0]!;
  const s = piece.column + (start - piece.offset);
  return { line: piece.line, startColumn: s, endColumn: Math.min(piece.column + piece.length, s + (end - start)) };
}

const lineRange = (line: number, text: string): TextRange => ({
  line,
  startColumn: 0,
  endColumn: Math.max(1, text.length),
});

export function parseComposer(text: string): ComposerDocument {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const problems: ComposerProblem[] = [];
  const headers: HeaderLine[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line) && headers.length) {
      // A folded header: the line continues the previous one (long recipient lists).
      const h = headers[headers.length - 1]!;
      const lead = line.length - line.trimStart().length;
      const piece = line.trim();
      h.pieces.push({ line: i, column: lead, offset: h.value.length + 1, length: piece.length });
      h.value += ` ${piece}`;
      continue;
    }
    const m = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:(.*)$/.exec(line);
    if (!m) {
      problems.push({
        severity: 'error',
        code: 'notAHeader',
        range: lineRange(i, line),
        message: 'This is not a header line ("Name: value"). Leave one empty line between the headers and the message.',
      });
      continue;
    }
    const name = CANONICAL.get(m[1]!.toLowerCase());
    if (!name) {
      problems.push({
        severity: 'error',
        code: 'unknownHeader',
        range: { line: i, startColumn: 0, endColumn: m[1]!.length },
        message: `Unknown header "${m[1]}": it would not be sent. Use ${HEADER_NAMES.join(', ')}.`,
      });
      continue;
    }
    const rawValue = m[2]!;
    const lead = rawValue.length - rawValue.trimStart().length;
    const value = rawValue.trim();
    const column = line.length - rawValue.length + lead;
    headers.push({
      name,
      value,
      pieces: [{ line: i, column, offset: 0, length: value.length }],
      range: lineRange(i, line),
    });
  }
  const bodyLine = Math.min(i + 1, lines.length);
  const body = lines.slice(bodyLine).join('\n');

  const once = new Map<HeaderName, HeaderLine>();
  for (const h of headers) {
    if (h.name === 'From' || h.name === 'Subject') {
      if (once.has(h.name)) {
        problems.push({
          severity: 'error',
          code: 'duplicateHeader',
          range: h.range,
          message: `"${h.name}" appears twice; keep one.`,
        });
        continue;
      }
      once.set(h.name, h);
    }
  }

  const field = (name: HeaderName): AddressField => {
    const f: AddressField = { addresses: [], ranges: [] };
    for (const h of headers.filter((x) => x.name === name)) {
      f.ranges.push(h.range);
      const { addresses, problems: bad } = parseAddressList(h.value);
      f.addresses.push(...addresses);
      for (const p of bad) problems.push(badAddress(h, p));
    }
    return f;
  };

  const doc: ComposerDocument = {
    to: field('To'),
    cc: field('Cc'),
    bcc: field('Bcc'),
    replyTo: field('Reply-To'),
    subject: once.get('Subject')?.value ?? '',
    attach: [],
    body,
    bodyLine,
    problems,
  };
  const subject = once.get('Subject');
  if (subject) doc.subjectRange = subject.range;
  const from = once.get('From');
  if (from) {
    const { addresses, problems: bad } = parseAddressList(from.value);
    const range = rangeIn(from, 0, from.value.length);
    doc.from = { text: from.value, range: from.value ? range : from.range };
    if (addresses.length === 1 && bad.length === 0) doc.from.address = addresses[0]!;
    else
      problems.push({
        severity: 'error',
        code: 'badFrom',
        range: doc.from.range,
        message: 'From must be exactly one address, e.g. "Alice Example <alice@example.test>".',
      });
  }
  for (const h of headers.filter((x) => x.name === 'Attach')) {
    if (!h.value) continue;
    const range = rangeIn(h, 0, h.value.length);
    const ref = /^#(\d+)(?:\s+(.*))?$/.exec(h.value);
    doc.attach.push(
      ref ? { kind: 'ref', id: Number(ref[1]), label: ref[2] ?? '', range } : { kind: 'file', path: h.value, range },
    );
  }
  return doc;
}

function badAddress(h: HeaderLine, p: AddressProblem): ComposerProblem {
  return {
    severity: 'error',
    code: 'badAddress',
    range: rangeIn(h, p.start, p.end),
    message: `"${p.text}" is not an e-mail address (expected name@example.com or "Name <name@example.com>").`,
  };
}

/** The composer text for `fields`: every header line the user may need (empty Cc included), a blank line, the body. */
export function formatComposer(fields: ComposerFields): string {
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
  const lines = [
    `From: ${oneLine(formatAddressList([fields.from]))}`,
    `To: ${oneLine(formatAddressList(fields.to))}`,
    `Cc: ${oneLine(formatAddressList(fields.cc))}`,
  ];
  if (fields.bcc?.length) lines.push(`Bcc: ${oneLine(formatAddressList(fields.bcc))}`);
  if (fields.replyTo?.length) lines.push(`Reply-To: ${oneLine(formatAddressList(fields.replyTo))}`);
  lines.push(`Subject: ${oneLine(fields.subject)}`);
  for (const a of fields.attach) lines.push(`Attach: ${oneLine(a)}`);
  return `${lines.join('\n')}\n\n${fields.body.replace(/\r\n?/g, '\n')}`;
}

/** The `Attach:` value for part `id` of the compose context, labelled with its (already safe) file name. */
export function attachRef(id: number, label: string): string {
  return `#${id} ${label.replace(/[\r\n]+/g, ' ')}`.trimEnd();
}

/** All recipients (To, Cc, Bcc), in order. */
export function recipientsOf(doc: Pick<ComposerDocument, 'to' | 'cc' | 'bcc'>): MailAddress[] {
  return [...doc.to.addresses, ...doc.cc.addresses, ...doc.bcc.addresses];
}
