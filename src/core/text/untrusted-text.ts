// Text that came from a mail, a server or a repository (a subject, a sender's name, a folder name, a
// file name, a server's responseText, a link's href, an error that embeds any of them), made inert
// for the surface that shows it. VS Code gives plain strings meaning on several surfaces:
//
//   message  notifications, modal dialogs, notification progress titles: `[label](command:…)`,
//            `(https:…)` and `(file:…)` become links, and a click runs the command;
//   label    quick picks, input boxes, status bar texts: `$(name)` becomes an icon, and the input
//            box's prompt also parses the links above;
//   markdown MarkdownString (hovers, tooltips): all of Markdown, including bare URLs (autolinks);
//   plain    tree labels, descriptions, string tooltips, editor titles, lines written to files:
//            no markup, but newlines, control and bidi characters still mislead.
//
// Every surface gets the same cleaning (no control, bidi or invisible format characters, one line,
// bounded length) plus the escaping its own syntax needs, so what shows is the literal text and
// never a link, an icon, markup or a second line.
//
// The tagged templates are the way to build such text: the literal parts are Mailroom's own
// (they may hold our icons), every interpolated value is untrusted. Their results carry a brand
// that the VS Code wrappers (src/extension/ui.ts) require, so a raw string cannot reach a sink.

export type Surface = 'plain' | 'message' | 'label' | 'markdown';

declare const surfaceBrand: unique symbol;
/** Text made safe for one surface; build it with the template of the same name. */
export type InertText<S extends Surface> = string & { readonly [surfaceBrand]: S };

/** Longest untrusted piece (in code points) each surface shows; longer ones end in "…". */
export const MAX_PART: Readonly<Record<Surface, number>> = { plain: 200, label: 200, message: 500, markdown: 500 };

// Cc: C0/C1 controls and DEL (the whitespace among them becomes a space first). Cf: format
// characters — bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069), marks
// (U+200E/F, U+061C), zero-width space and no-break (U+200B, U+2060, U+FEFF), soft hyphen,
// invisible operators, tag characters (U+E0000–E007F) — which change how text reads without
// being seen. Only ZWNJ and ZWJ (U+200C/D) stay: Persian and Indic scripts and emoji need them.
// Cs: lone surrogates (what is left when a string was cut inside a pair).
const WHITESPACE = /[\s\u0085]+/g;
const INVISIBLE = /[\p{Cc}\p{Cs}\p{Cf}]/gu;
const keepJoiners = (c: string) => (c === '\u200C' || c === '\u200D' ? c : '');

/**
 * The common cleaning: invisible and control characters removed, every run of whitespace
 * (newlines included) one space, trimmed, at most `max` code points ("…" marks a cut). Linear,
 * and never reads more than a bounded prefix of a huge input.
 */
export function plainText(value: unknown, max: number = MAX_PART.plain): string {
  let s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  // Whitespace collapses and invisible characters vanish: a prefix of 8× the limit holds all
  // that could be shown.
  const budget = max * 8 + 64;
  if (s.length > budget) s = s.slice(0, budget);
  s = s.replace(WHITESPACE, ' ').replace(INVISIBLE, keepJoiners).replace(WHITESPACE, ' ').trim();
  if (s.length <= max) return s; // UTF-16 length ≥ code points
  const points = Array.from(s);
  return points.length <= max
    ? s
    : `${points
        .slice(0, Math.max(0, max - 1))
        .join('')
        .trimEnd()}…`;
}

/**
 * For notifications, dialogs and progress titles. VS Code links `[label](https://…|command:…|file:…)`
 * only when `](` is adjacent: a space between them leaves the text readable and no link.
 */
export function messageText(value: unknown, max: number = MAX_PART.message): string {
  return plainText(value, max).replace(/\]\(/g, '] (');
}

/** For surfaces that draw `$(icon)` (quick picks, status bar, input boxes): icons escaped, links broken. */
export function labelText(value: unknown, max: number = MAX_PART.label): string {
  return messageText(value, max).replace(/\$\(/g, '\\$(');
}

/**
 * For MarkdownStrings. CommonMark lets any ASCII punctuation be backslash-escaped, and escaping
 * all of it leaves no emphasis, link, image, HTML, entity, code span, heading, list or table, and
 * no bare-URL autolink (`https\:`, `www\.`, `a\@b` do not match). Use it in a MarkdownString that
 * is neither trusted nor allowed HTML or theme icons.
 */
export function markdownText(value: unknown, max: number = MAX_PART.markdown): string {
  return plainText(value, max).replace(/[!-\/:-@[-`{-~]/g, '\\$&');
}

const ESCAPE: Readonly<Record<Surface, (value: unknown) => string>> = {
  plain: (v) => plainText(v),
  message: (v) => messageText(v),
  label: (v) => labelText(v),
  markdown: (v) => markdownText(v),
};

function template<S extends Surface>(surface: S) {
  const escape = ESCAPE[surface];
  return (strings: TemplateStringsArray, ...values: unknown[]): InertText<S> => {
    const parts: string[] = [strings[0]!];
    values.forEach((v, i) => parts.push(escape(v), strings[i + 1]!));
    // Pieces escaped one by one can still meet: "…$" from one and "(…" from the next is an
    // icon, "…]" and "(command:…" a link.
    if (surface === 'label') {
      for (let k = 1; k < parts.length; k += 2) {
        if (!parts[k]!.endsWith('$') || parts[k]!.endsWith('\\$')) continue;
        const next = parts.slice(k + 1).find((p) => p.length > 0);
        if (next?.startsWith('(')) parts[k] = `${parts[k]!.slice(0, -1)}\\$`;
      }
    }
    let out = parts.join('');
    if (surface === 'message' || surface === 'label') out = out.replace(/\]\(/g, '] (');
    return out as InertText<S>;
  };
}

/** `plain\`…${untrusted}…\`` for tree items, editor titles and lines written to files. */
export const plain = template('plain');
/** `message\`…${untrusted}…\`` for notifications, dialogs and progress titles. */
export const message = template('message');
/** `label\`$(icon) …${untrusted}…\`` for quick picks, input boxes and the status bar. */
export const label = template('label');
/** `markdown\`**${untrusted}**\`` for MarkdownStrings (never trusted, no HTML, no theme icons). */
export const markdown = template('markdown');
