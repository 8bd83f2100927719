// Mail CSS, rewritten from a CSS Syntax Level 3 token stream (@csstools/css-tokenizer), so an
// escape (`\75 rl(`, `@\69mport`), a comment or odd case means to this code what it means to the
// browser. Only what is understood is written back: rules whose selectors cannot reach the reader
// around the mail (`:host`), declarations of allowlisted properties whose values use allowlisted
// functions, and every URL passed through the caller's `resolveUrl`. Everything is one forward
// pass over the tokens (nested at-rules are bounded), so the work is linear in the CSS size.
import { type CSSToken, tokenize, TokenType } from '@csstools/css-tokenizer';

export type UrlContext = 'resource' | 'import';

/**
 * What a URL of the mail may become: the URL to write back, or undefined to write an empty
 * `url()`. `import` URLs are never written back (an @import is always dropped); the call lets the
 * caller count them.
 */
export type ResolveUrl = (url: string, context: UrlContext) => string | undefined;

// Mail is laid out with these; anything else (position: fixed, custom properties, behaviour,
// masks, containment, anchors, …) is dropped. Vendor-prefixed forms of these are accepted too.
const PROPERTIES = new Set([
  'align-content',
  'align-items',
  'align-self',
  'animation',
  'animation-delay',
  'animation-direction',
  'animation-duration',
  'animation-fill-mode',
  'animation-iteration-count',
  'animation-name',
  'animation-play-state',
  'animation-timing-function',
  'aspect-ratio',
  'background',
  'background-attachment',
  'background-clip',
  'background-color',
  'background-image',
  'background-origin',
  'background-position',
  'background-position-x',
  'background-position-y',
  'background-repeat',
  'background-size',
  'border',
  'border-block',
  'border-bottom',
  'border-bottom-color',
  'border-bottom-left-radius',
  'border-bottom-right-radius',
  'border-bottom-style',
  'border-bottom-width',
  'border-collapse',
  'border-color',
  'border-image',
  'border-image-outset',
  'border-image-repeat',
  'border-image-slice',
  'border-image-source',
  'border-image-width',
  'border-inline',
  'border-left',
  'border-left-color',
  'border-left-style',
  'border-left-width',
  'border-radius',
  'border-right',
  'border-right-color',
  'border-right-style',
  'border-right-width',
  'border-spacing',
  'border-style',
  'border-top',
  'border-top-color',
  'border-top-left-radius',
  'border-top-right-radius',
  'border-top-style',
  'border-top-width',
  'border-width',
  'bottom',
  'box-shadow',
  'box-sizing',
  'caption-side',
  'clear',
  'clip-path',
  'color',
  'column-count',
  'column-gap',
  'column-rule',
  'column-width',
  'columns',
  'content',
  'counter-increment',
  'counter-reset',
  'cursor',
  'direction',
  'display',
  'empty-cells',
  'filter',
  'flex',
  'flex-basis',
  'flex-direction',
  'flex-flow',
  'flex-grow',
  'flex-shrink',
  'flex-wrap',
  'float',
  'font',
  'font-family',
  'font-feature-settings',
  'font-kerning',
  'font-size',
  'font-smoothing',
  'font-stretch',
  'font-style',
  'font-variant',
  'font-weight',
  'gap',
  'grid',
  'grid-area',
  'grid-auto-columns',
  'grid-auto-flow',
  'grid-auto-rows',
  'grid-column',
  'grid-column-end',
  'grid-column-start',
  'grid-gap',
  'grid-row',
  'grid-row-end',
  'grid-row-start',
  'grid-template',
  'grid-template-areas',
  'grid-template-columns',
  'grid-template-rows',
  'height',
  'hyphens',
  'inset',
  'justify-content',
  'justify-items',
  'justify-self',
  'left',
  'letter-spacing',
  'line-height',
  'list-style',
  'list-style-image',
  'list-style-position',
  'list-style-type',
  'margin',
  'margin-block',
  'margin-bottom',
  'margin-inline',
  'margin-left',
  'margin-right',
  'margin-top',
  'max-height',
  'max-width',
  'min-height',
  'min-width',
  'object-fit',
  'object-position',
  'opacity',
  'order',
  'outline',
  'outline-color',
  'outline-offset',
  'outline-style',
  'outline-width',
  'overflow',
  'overflow-wrap',
  'overflow-x',
  'overflow-y',
  'padding',
  'padding-block',
  'padding-bottom',
  'padding-inline',
  'padding-left',
  'padding-right',
  'padding-top',
  'place-content',
  'place-items',
  'place-self',
  'pointer-events',
  'position',
  'quotes',
  'right',
  'rotate',
  'row-gap',
  'scale',
  'tab-size',
  'table-layout',
  'text-align',
  'text-align-last',
  'text-decoration',
  'text-decoration-color',
  'text-decoration-line',
  'text-decoration-style',
  'text-decoration-thickness',
  'text-indent',
  'text-overflow',
  'text-shadow',
  'text-size-adjust',
  'text-transform',
  'text-underline-offset',
  'top',
  'transform',
  'transform-origin',
  'transition',
  'transition-delay',
  'transition-duration',
  'transition-property',
  'transition-timing-function',
  'translate',
  'unicode-bidi',
  'user-select',
  'vertical-align',
  'visibility',
  'white-space',
  'width',
  'word-break',
  'word-spacing',
  'word-wrap',
  'writing-mode',
  'z-index',
]);

const FONT_FACE_DESCRIPTORS = new Set([
  'font-family',
  'src',
  'font-style',
  'font-weight',
  'font-stretch',
  'font-display',
  'unicode-range',
]);

// Value functions a mail may use. url()/src() and the strings of image-set() are URLs and go
// through resolveUrl; any other function (var(), attr(), env(), expression(), paint(), element(),
// a new one a browser adds tomorrow) drops the declaration.
const FUNCTIONS = new Set([
  'rgb',
  'rgba',
  'hsl',
  'hsla',
  'hwb',
  'lab',
  'lch',
  'oklab',
  'oklch',
  'color',
  'color-mix',
  'light-dark',
  'calc',
  'min',
  'max',
  'clamp',
  'linear-gradient',
  'radial-gradient',
  'conic-gradient',
  'repeating-linear-gradient',
  'repeating-radial-gradient',
  'repeating-conic-gradient',
  'image-set',
  'cross-fade',
  'translate',
  'translatex',
  'translatey',
  'translatez',
  'translate3d',
  'rotate',
  'rotatex',
  'rotatey',
  'rotatez',
  'rotate3d',
  'scale',
  'scalex',
  'scaley',
  'scalez',
  'scale3d',
  'skew',
  'skewx',
  'skewy',
  'matrix',
  'matrix3d',
  'perspective',
  'cubic-bezier',
  'steps',
  'blur',
  'brightness',
  'contrast',
  'drop-shadow',
  'grayscale',
  'hue-rotate',
  'invert',
  'opacity',
  'saturate',
  'sepia',
  'inset',
  'circle',
  'ellipse',
  'polygon',
  'rect',
  'local',
  'format',
  'tech',
  'repeat',
  'minmax',
  'fit-content',
  'counter',
  'counters',
]);
const URL_FUNCTIONS = new Set(['url', 'src']);
const IMAGE_SET = new Set(['image-set']);

/** At-rules whose block holds rules; any other at-rule but @font-face and @keyframes is dropped. */
const GROUPING_AT_RULES = new Set(['media', 'supports', 'layer', 'container']);
const MAX_AT_RULE_NESTING = 8;

// Selectors that style the shadow host would restyle the box that contains the mail.
const HOST_PSEUDOS = new Set(['host', 'host-context', 'slotted', 'part']);

const POSITIONS = new Set(['static', 'relative', 'absolute']);
const MAX_Z_INDEX = 1000;

const VENDOR = /^-(webkit|moz|ms|o)-/;

type Range = [start: number, end: number];

const OPENERS: Partial<Record<TokenType, TokenType>> = {
  [TokenType.OpenParen]: TokenType.CloseParen,
  [TokenType.Function]: TokenType.CloseParen,
  [TokenType.OpenSquare]: TokenType.CloseSquare,
  [TokenType.OpenCurly]: TokenType.CloseCurly,
};

/** Lower-cased, unescaped name of an ident, function or at-keyword token. */
function nameOf(t: CSSToken | undefined): string {
  const data = t?.[4] as { value?: unknown } | undefined;
  return typeof data?.value === 'string' ? data.value.toLowerCase() : '';
}

function stringValue(t: CSSToken): string {
  return String((t[4] as { value: string }).value);
}

/** A CSS string that means `s`, safe inside a <style> element and inside an attribute. */
export function cssString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out +=
      c < 0x20 || c === 0x7f || ch === '"' || ch === '\\' || ch === '<' || ch === '>' || ch === '&'
        ? `\\${c.toString(16)} `
        : ch;
  }
  return `${out}"`;
}

class Rewriter {
  private readonly t: CSSToken[];

  constructor(
    css: string,
    private readonly resolveUrl: ResolveUrl,
  ) {
    this.t = tokenize({ css });
    this.t.pop(); // EOF
  }

  get all(): Range {
    return [0, this.t.length];
  }

  /** Index after the component value starting at i (a block or function runs to its matching end). */
  private componentEnd(i: number, end: number): number {
    const closers: TokenType[] = [];
    do {
      const type = this.t[i]![0];
      const closer = OPENERS[type];
      if (closer) closers.push(closer);
      else if (closers.length && type === closers[closers.length - 1]) closers.pop();
      i++;
    } while (closers.length && i < end);
    return i;
  }

  private is(i: number, type: TokenType): boolean {
    return this.t[i]?.[0] === type;
  }

  private skipBlank(i: number, end: number): number {
    while (i < end && (this.is(i, TokenType.Whitespace) || this.is(i, TokenType.Comment))) i++;
    return i;
  }

  /** A list of rules (a style sheet, or the block of @media and the like). */
  rules([start, end]: Range, nesting = 0): string {
    let out = '';
    let i = start;
    while (i < end) {
      const type = this.t[i]![0];
      if (
        type === TokenType.Whitespace ||
        type === TokenType.Comment ||
        type === TokenType.CDO ||
        type === TokenType.CDC
      ) {
        i++;
        continue;
      }
      // The prelude runs to a ';' (at-rules only) or to the rule's {} block.
      const isAt = type === TokenType.AtKeyword;
      let j = isAt ? i + 1 : i;
      while (j < end && !this.is(j, TokenType.OpenCurly) && !(isAt && this.is(j, TokenType.Semicolon)))
        j = this.componentEnd(j, end);
      const prelude: Range = [isAt ? i + 1 : i, j];
      if (j >= end || this.is(j, TokenType.Semicolon)) {
        // A statement at-rule, or a rule cut off before its block.
        if (isAt && nameOf(this.t[i]) === 'import') this.urlsIn(prelude, 'import');
        i = j + 1;
        continue;
      }
      const blockEnd = this.componentEnd(j, end);
      const closed = this.is(blockEnd - 1, TokenType.CloseCurly) && blockEnd - 1 > j;
      const block: Range = [j + 1, closed ? blockEnd - 1 : blockEnd];
      i = blockEnd;
      if (!isAt) {
        const body = this.selectorAllowed(prelude) ? this.declarations(block, PROPERTIES) : '';
        if (body) out += `${this.raw(prelude)}{${body}}`;
        continue;
      }
      const name = nameOf(this.t[prelude[0] - 1]);
      if (!this.preludeAllowed(prelude)) continue;
      if (GROUPING_AT_RULES.has(name) && nesting < MAX_AT_RULE_NESTING) {
        const body = this.rules(block, nesting + 1);
        if (body) out += `@${name} ${this.raw(prelude)}{${body}}`;
      } else if (name === 'font-face') {
        out += `@font-face{${this.declarations(block, FONT_FACE_DESCRIPTORS)}}`;
      } else if ((name === 'keyframes' || name === '-webkit-keyframes') && nesting < MAX_AT_RULE_NESTING) {
        out += `@${name} ${this.raw(prelude)}{${this.rules(block, MAX_AT_RULE_NESTING)}}`;
      } else if (name === 'import') {
        this.urlsIn(prelude, 'import');
      }
    }
    return out;
  }

  /** Declarations of a block or of a style attribute; nested rules and at-rules are dropped. */
  declarations([start, end]: Range, allowed: ReadonlySet<string>): string {
    let out = '';
    let i = start;
    while (i < end) {
      i = this.skipBlank(i, end);
      if (i >= end) break;
      if (this.is(i, TokenType.Semicolon)) {
        i++;
        continue;
      }
      // One item: up to the next ';' at this level, or through a nested rule's block.
      let k = i;
      let block = false;
      while (k < end && !this.is(k, TokenType.Semicolon)) {
        if (this.is(k, TokenType.OpenCurly)) block = true;
        k = this.componentEnd(k, end);
        if (block) break;
      }
      const item: Range = [i, k];
      i = k + (this.is(k, TokenType.Semicolon) ? 1 : 0);
      if (block || !this.is(item[0], TokenType.Ident)) continue;
      const decl = this.declaration(item, allowed);
      if (decl) out += `${decl};`;
    }
    return out;
  }

  private declaration([start, end]: Range, allowed: ReadonlySet<string>): string | undefined {
    const name = nameOf(this.t[start]);
    const colon = this.skipBlank(start + 1, end);
    if (!this.is(colon, TokenType.Colon)) return undefined;
    if (!allowed.has(name) && !allowed.has(name.replace(VENDOR, ''))) return undefined;
    const value = this.value([colon + 1, end], name);
    return value === undefined ? undefined : `${name}:${value}`;
  }

  /** The value written back, or undefined when it uses anything not understood. */
  private value([start, end]: Range, property: string): string | undefined {
    const keywords: string[] = [];
    let numbers = 0;
    let out = '';
    const functions: string[] = [];
    const closers: TokenType[] = [];
    for (let i = start; i < end; i++) {
      const tok = this.t[i]!;
      const type = tok[0];
      switch (type) {
        case TokenType.Comment:
          out += '/**/'; // keeps tokens apart exactly as the comment did
          continue;
        case TokenType.URL:
          out += this.url(stringValue(tok));
          continue;
        case TokenType.Function: {
          const fn = nameOf(tok);
          if (URL_FUNCTIONS.has(fn)) {
            // url("…") / src("…"): one string and nothing else (url(var(--x)) is not understood).
            const arg = this.skipBlank(i + 1, end);
            const close = this.skipBlank(arg + 1, end);
            if (!this.is(arg, TokenType.String) || !this.is(close, TokenType.CloseParen)) return undefined;
            out += this.url(stringValue(this.t[arg]!));
            i = close;
            continue;
          }
          if (!FUNCTIONS.has(fn.replace(VENDOR, ''))) return undefined;
          functions.push(fn.replace(VENDOR, ''));
          closers.push(TokenType.CloseParen);
          out += tok[1];
          continue;
        }
        case TokenType.String:
          out += IMAGE_SET.has(functions[functions.length - 1] ?? '')
            ? this.url(stringValue(tok))
            : cssString(stringValue(tok));
          continue;
        case TokenType.OpenParen:
        case TokenType.OpenSquare:
          // Bare parentheses belong inside functions (calc((a + b) * 2)); "url/**/(" is not a URL.
          if (type === TokenType.OpenParen && !functions.length) return undefined;
          functions.push('');
          closers.push(OPENERS[type]!);
          out += tok[1];
          continue;
        case TokenType.CloseParen:
        case TokenType.CloseSquare:
          if (closers[closers.length - 1] !== type) return undefined;
          closers.pop();
          functions.pop();
          out += tok[1];
          continue;
        case TokenType.Ident:
          if (!functions.length) keywords.push(nameOf(tok));
          out += tok[1];
          continue;
        case TokenType.Number:
          if (!functions.length) numbers++;
          if (property === 'z-index' && Math.abs(Number((tok[4] as { value: number }).value)) > MAX_Z_INDEX)
            return undefined;
          out += tok[1];
          continue;
        case TokenType.Delim:
        case TokenType.Whitespace:
        case TokenType.Comma:
        case TokenType.Colon:
        case TokenType.Hash:
        case TokenType.Dimension:
        case TokenType.Percentage:
        case TokenType.UnicodeRange:
          out += tok[1];
          continue;
        default:
          // bad strings and URLs, blocks, at-keywords, CDO/CDC: not a value we understand
          return undefined;
      }
    }
    if (closers.length) return undefined;
    const important = keywords[keywords.length - 1] === 'important';
    const plain = important ? keywords.slice(0, -1) : keywords;
    if (property === 'position' && !(plain.length === 1 && numbers === 0 && POSITIONS.has(plain[0]!))) return undefined;
    if (property === 'cursor' && out.includes('url(')) return undefined;
    return out.trim() || undefined;
  }

  private url(raw: string): string {
    const kept = this.resolveUrl(raw.trim(), 'resource');
    return kept === undefined ? 'url()' : `url(${cssString(kept)})`;
  }

  /** Reports the URLs of a dropped prelude (an @import) to resolveUrl. */
  private urlsIn([start, end]: Range, context: UrlContext): void {
    for (let i = start; i < end; i++) {
      const tok = this.t[i]!;
      if (tok[0] === TokenType.URL || tok[0] === TokenType.String) this.resolveUrl(stringValue(tok).trim(), context);
    }
  }

  private selectorAllowed([start, end]: Range): boolean {
    if (start >= end) return false;
    for (let i = start; i < end; i++) {
      const type = this.t[i]![0];
      if (
        type === TokenType.OpenCurly ||
        type === TokenType.CloseCurly ||
        type === TokenType.Semicolon ||
        type === TokenType.BadString ||
        type === TokenType.BadURL ||
        type === TokenType.URL
      )
        return false;
      if (type === TokenType.Colon && HOST_PSEUDOS.has(nameOf(this.t[i + 1]))) return false;
      if (type === TokenType.Function && URL_FUNCTIONS.has(nameOf(this.t[i]))) return false;
    }
    return true;
  }

  /** Media queries and the like: no URLs, nothing unbalanced. */
  private preludeAllowed([start, end]: Range): boolean {
    for (let i = start; i < end; i++) {
      const type = this.t[i]![0];
      if (
        type === TokenType.BadString ||
        type === TokenType.BadURL ||
        type === TokenType.URL ||
        type === TokenType.CloseCurly ||
        (type === TokenType.Function && URL_FUNCTIONS.has(nameOf(this.t[i])))
      )
        return false;
    }
    return true;
  }

  /** The source text of a range, comments kept as empty comments so tokens stay apart. */
  private raw([start, end]: Range): string {
    let out = '';
    for (let i = start; i < end; i++) out += this.t[i]![0] === TokenType.Comment ? '/**/' : this.t[i]![1];
    return out.trim();
  }
}

/** A <style> element's text, rewritten. */
export function sanitizeStylesheet(css: string, resolveUrl: ResolveUrl): string {
  const r = new Rewriter(css, resolveUrl);
  return r.rules(r.all);
}

/** A style attribute, rewritten. */
export function sanitizeStyleAttribute(css: string, resolveUrl: ResolveUrl): string {
  const r = new Rewriter(css, resolveUrl);
  return r.declarations(r.all, PROPERTIES);
}
