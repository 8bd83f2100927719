// HTML mail is hostile input. sanitize-html (an allowlist parser built for server-side use, no
// DOM emulation needed in the extension host) keeps the layout tags of mail and drops everything
// that runs, submits, embeds or redirects; its CSS, in <style> and style="", is rewritten from
// tokens (css.ts). Remote resources (images, CSS url()s) are removed until the user allows them:
// loading one tells the sender the mail was read. Every step is a forward pass over the HTML, and
// nesting deeper than MAX_HTML_DEPTH stops the parse (HtmlTooComplex) instead of slowing it.
import { sanitizeHtml as sanitizeHtmlLibrary } from '../libraries';
import { sanitizeStyleAttribute, sanitizeStylesheet, type UrlContext } from './css';
import { bareId } from '../ids';

export interface SanitizeOptions {
  /** Keep http(s) images and CSS url()s. */
  allowRemote: boolean;
  /** Content-ID (no brackets) → data: URL of an inline image fetched with the message. */
  cid?: ReadonlyMap<string, string>;
}

export interface SanitizedHtml {
  html: string;
  /** How many remote resources were blocked. */
  remoteBlocked: number;
  /** Style sheets dropped because they were too large. */
  droppedStyleSheets: number;
}

/**
 * Elements nested deeper than this are not rendered as HTML. Real mail stays far below (nested
 * layout tables reach a few dozen levels); Chromium's own parser flattens beyond 512. The bound
 * also keeps htmlparser2's search of its open-element stack on each end tag cheap.
 */
export const MAX_HTML_DEPTH = 256;
/**
 * CSS larger than this is dropped: a style sheet's tokens take ~100 times its size in memory while
 * it is rewritten. Mail style sheets are a few KB, inline styles a few hundred bytes.
 */
export const MAX_STYLESHEET_CHARS = 256 * 1024;
export const MAX_STYLE_ATTRIBUTE_CHARS = 16 * 1024;

export class HtmlTooComplex extends Error {
  constructor(readonly depth: number) {
    super(`HTML elements are nested more than ${depth} levels deep`);
  }
}

const TAGS = [
  'a',
  'abbr',
  'address',
  'b',
  'bdi',
  'bdo',
  'big',
  'blockquote',
  'br',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'dfn',
  'div',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'font',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'ins',
  'kbd',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'samp',
  'small',
  'span',
  'strike',
  'strong',
  'style',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'time',
  'tr',
  'tt',
  'u',
  'ul',
  'var',
  'wbr',
];

const COMMON_ATTRS = [
  'style',
  'align',
  'valign',
  'width',
  'height',
  'bgcolor',
  'color',
  'border',
  'dir',
  'lang',
  'title',
  'cellpadding',
  'cellspacing',
  'colspan',
  'rowspan',
  'face',
  'size',
  'start',
  'type',
  'span',
];

const SAFE_IMAGE_DATA = /^data:image\/(png|jpe?g|gif|webp|bmp);base64,[a-z0-9+/=\s]+$/i;
const REMOTE = /^(https?:)?\/\//i;

/** A Content-ID as referenced from HTML (`cid:` URL, maybe percent-encoded), bare. */
export function cidOf(url: string): string {
  const id = bareId(url.replace(/^cid:/i, ''));
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

/** Every Content-ID the HTML mentions in a cid: URL, lower-cased; one pass. */
export function referencedCids(html: string): Set<string> {
  const out = new Set<string>();
  const lower = html.toLowerCase();
  let end = 0;
  for (let at = lower.indexOf('cid:'); at >= 0; at = lower.indexOf('cid:', end)) {
    end = at + 4;
    while (end < lower.length && !` \t\r\n"'()<>`.includes(lower[end]!)) end++; // each character once
    out.add(cidOf(lower.slice(at, end)));
  }
  return out;
}

/** What a URL in the mail becomes: kept (data:, cid: resolved, remote when allowed) or dropped. */
function resourcePolicy(opts: SanitizeOptions, count: { blocked: number }) {
  return (url: string, context: UrlContext): string | undefined => {
    if (context === 'import') {
      if (REMOTE.test(url)) count.blocked++;
      return undefined;
    }
    if (/^cid:/i.test(url)) return opts.cid?.get(cidOf(url));
    if (SAFE_IMAGE_DATA.test(url)) return url;
    if (REMOTE.test(url)) {
      if (opts.allowRemote) return url;
      count.blocked++;
    }
    return undefined;
  };
}

/**
 * sanitize-html passes <style> text through as it came. In its output "<style" can only start a
 * style element and the first "</style>" after it ends it (text and attribute values have their
 * "<" escaped), so one scan finds every style sheet; css.ts never writes a "<".
 */
function rewriteStyleElements(html: string, rewrite: (css: string) => string): string {
  let out = '';
  let pos = 0;
  for (let open = html.indexOf('<style', pos); open >= 0; open = html.indexOf('<style', pos)) {
    const bodyStart = html.indexOf('>', open) + 1;
    const close = html.indexOf('</style>', bodyStart);
    const bodyEnd = close < 0 ? html.length : close;
    const css = rewrite(html.slice(bodyStart, bodyEnd));
    out += html.slice(pos, open) + (css ? `<style>${css}</style>` : '');
    pos = close < 0 ? html.length : close + '</style>'.length;
  }
  return out + html.slice(pos);
}

export function sanitizeHtml(raw: string, opts: SanitizeOptions): SanitizedHtml {
  const count = { blocked: 0 };
  const resolve = resourcePolicy(opts, count);
  let depth = 0;
  let droppedStyleSheets = 0;
  const sanitized = sanitizeHtmlLibrary()(raw, {
    allowedTags: TAGS,
    allowVulnerableTags: true, // <style> is allowed on purpose; its text is rewritten below
    disallowedTagsMode: 'discard',
    nonTextTags: [
      'script',
      'textarea',
      'option',
      'noscript',
      'title',
      'xmp',
      'template',
      'head',
      'iframe',
      'object',
      'select',
    ],
    allowedAttributes: {
      '*': COMMON_ATTRS,
      a: ['href', 'name', 'rel', 'data-external'],
      img: ['src', 'alt', 'data-remote-src', 'data-cid-missing'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    // htmlparser2 reports every element it opens and closes (implied closes too), so this is the
    // depth of its open-element stack.
    onOpenTag: () => {
      if (++depth > MAX_HTML_DEPTH) throw new HtmlTooComplex(MAX_HTML_DEPTH);
    },
    onCloseTag: () => {
      depth--;
    },
    transformTags: {
      '*': (tagName, attribs) => {
        const out: Record<string, string> = { ...attribs };
        if (out.style !== undefined) {
          if (out.style.length > MAX_STYLE_ATTRIBUTE_CHARS) delete out.style;
          else out.style = sanitizeStyleAttribute(out.style, resolve);
        }
        if (tagName === 'a' && out.href !== undefined) {
          // Links never navigate the reader: the host opens them outside after validating them.
          out.rel = 'noopener noreferrer';
          out['data-external'] = 'true';
        }
        if (tagName === 'img') rewriteImage(out, opts, count);
        return { tagName, attribs: out };
      },
    },
  });
  const html = rewriteStyleElements(sanitized, (css) => {
    if (css.length > MAX_STYLESHEET_CHARS) {
      droppedStyleSheets++;
      return '';
    }
    return sanitizeStylesheet(css, resolve);
  });
  return { html, remoteBlocked: count.blocked, droppedStyleSheets };
}

function rewriteImage(attribs: Record<string, string>, opts: SanitizeOptions, count: { blocked: number }): void {
  const src = (attribs.src ?? '').trim();
  delete attribs.src;
  delete attribs.srcset;
  if (/^cid:/i.test(src)) {
    const data = opts.cid?.get(cidOf(src));
    if (data) attribs.src = data;
    else attribs['data-cid-missing'] = 'true';
  } else if (SAFE_IMAGE_DATA.test(src)) {
    attribs.src = src;
  } else if (REMOTE.test(src)) {
    if (opts.allowRemote) attribs.src = src;
    else {
      attribs['data-remote-src'] = src;
      count.blocked++;
    }
  }
}
