// Quoted text and signatures of a plain-text part, so the reader can dim them and fold them away:
// runs of lines starting with ">" (RFC 3676 quote marks, however deep) and the signature after the
// last "-- " line (RFC 3676 §4.3) outside a quote. One pass over the lines; the segments hold
// slices of the text, so the work and the memory are linear in its size.

export type TextSegment = { kind: 'text' | 'quote' | 'signature'; text: string };

/** 'quote' for a line whose first non-blank character is ">", 'blank' for an empty one, else 'text'. */
const lineKind = (text: string, start: number, end: number): 'quote' | 'blank' | 'text' => {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3e) return 'quote'; // '>'
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return 'text';
  }
  return 'blank';
};

/** A signature longer than this many lines is probably not one (a "-- " line inside the text). */
const MAX_SIGNATURE_LINES = 30;

export function segmentText(text: string): TextSegment[] {
  // Line starts, and where the signature separator is (the last "-- " line that is not quoted).
  const starts: number[] = [];
  let signatureLine = -1;
  for (let i = 0; i <= text.length;) {
    starts.push(i);
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl;
    const lineEnd = end > i && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    if (lineEnd - i === 3 && text.startsWith('-- ', i)) signatureLine = starts.length - 1;
    if (nl < 0) break;
    i = nl + 1;
  }
  const lineCount = starts.length;
  if (signatureLine >= 0 && lineCount - signatureLine > MAX_SIGNATURE_LINES) signatureLine = -1;
  const bodyEnd = signatureLine >= 0 ? starts[signatureLine]! : text.length;
  const lastBodyLine = signatureLine >= 0 ? signatureLine : lineCount;

  const segments: TextSegment[] = [];
  let runStart = 0;
  let runKind: 'text' | 'quote' | undefined;
  const lineEndOf = (n: number) => (n + 1 < lineCount ? starts[n + 1]! : text.length);
  for (let n = 0; n < lastBodyLine; n++) {
    const start = starts[n]!;
    const line = lineKind(text, start, lineEndOf(n));
    // A blank line stays with the run it follows: a quote's empty lines do not cut it in two.
    const kind = line === 'blank' ? (runKind ?? 'text') : line;
    if (kind !== runKind) {
      if (runKind !== undefined && start > runStart)
        segments.push({ kind: runKind, text: text.slice(runStart, start) });
      runKind = kind;
      runStart = start;
    }
  }
  if (runKind !== undefined && bodyEnd > runStart)
    segments.push({ kind: runKind, text: text.slice(runStart, bodyEnd) });
  if (signatureLine >= 0) segments.push({ kind: 'signature', text: text.slice(bodyEnd) });
  return segments;
}
