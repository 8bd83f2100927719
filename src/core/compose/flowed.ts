// text/plain; format=flowed (RFC 3676, DelSp=no): long paragraphs go out as lines of at most
// ~72 characters that a flowed-aware reader joins again (a soft break is a line ending in a
// space), while every other reader still sees readable short lines.
//
// - Trailing white space is removed from every line, which makes it a hard break (it would
//   otherwise be read as a soft one); the signature separator "-- " alone keeps its space.
// - Lines that start with a space or with "From " are space-stuffed (one extra leading space,
//   removed by the reader); so is every line a wrap produces.
// - Quoted lines (">") are left as they are, unwrapped: a wrapped quote needs its prefix repeated
//   on every piece, and decoders that join soft breaks without looking at the quote depth (the one
//   in mailparser, used by our own reader, is one) would glue the prefix into the text. A quote
//   keeps the line length it had in the original.
// - Code (fenced or indented) is not wrapped either.

export const FLOWED_WIDTH = 72;

function stuff(line: string): string {
  return /^( |From )/.test(line) ? ` ${line}` : line;
}

/** A piece of a wrapped line that starts with ">" is text, not a quote: stuffed as well. */
function stuffPiece(piece: string): string {
  return /^( |From |>)/.test(piece) ? ` ${piece}` : piece;
}

/**
 * Breaks `line` at spaces into pieces of at most `width` characters; every piece but the last
 * ends with a space. Walks the line once (indices, no re-slicing): linear in its length.
 */
function wrap(line: string, width: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (line.length - start > width) {
    // The last space within the width; a word longer than the width breaks after itself.
    let cut = line.lastIndexOf(' ', start + width - 1);
    if (cut <= start) {
      cut = line.indexOf(' ', start + width);
      if (cut < 0) break;
    }
    // Keep a run of spaces together at the end of the piece, so the next piece starts with a word.
    let end = cut + 1;
    while (end < line.length && line[end] === ' ') end++;
    if (end >= line.length) break;
    pieces.push(line.slice(start, end));
    start = end;
  }
  pieces.push(line.slice(start));
  return pieces;
}

export function encodeFlowed(text: string, width = FLOWED_WIDTH): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (raw === '-- ') {
      out.push(raw);
      continue;
    }
    const line = raw.replace(/[ \t]+$/, '');
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      out.push(stuff(line));
      continue;
    }
    if (marker) {
      fence = marker;
      out.push(stuff(line));
      continue;
    }
    if (line.startsWith('>') || /^( {4}|\t)/.test(line)) {
      out.push(stuff(line));
      continue;
    }
    for (const piece of wrap(line, width)) out.push(stuffPiece(piece));
  }
  return out.join('\n');
}

/**
 * Reads format=flowed text back (RFC 3676 §4): soft breaks joined within one quote depth,
 * space-stuffing removed. Quote markers come out as one ">" per level followed by a space.
 */
export function decodeFlowed(text: string, delSp = false): string {
  const out: string[] = [];
  let open: { depth: number; text: string } | undefined;
  const flush = () => {
    if (open) out.push(open.depth ? `${'>'.repeat(open.depth)} ${open.text}`.trimEnd() : open.text);
    open = undefined;
  };
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const depth = /^>*/.exec(raw)![0].length;
    let content = raw.slice(depth);
    if (content.startsWith(' ')) content = content.slice(1);
    const soft = content.endsWith(' ') && content !== '-- ';
    if (open && open.depth === depth) {
      open.text += content;
    } else {
      flush();
      open = { depth, text: content };
    }
    if (soft) {
      if (delSp) open.text = open.text.slice(0, -1);
    } else {
      flush();
    }
  }
  flush();
  return out.join('\n');
}
