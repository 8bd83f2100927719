// HTML mail is hostile input. sanitize-html (an allowlist parser built for server-side use, no
// DOM emulation needed in the extension host) keeps the layout tags of mail and drops everything
// that runs, submits, embeds or redirects. Remote resources (images, CSS url()) are removed until
// the user allows them: loading one tells the sender the mail was read.
import sanitize from 'sanitize-html';
import { bareId } from './ids';

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
}

const TAGS = [
  'a', 'abbr', 'address', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col',
  'colgroup', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'h1', 'h2', 'h3', 'h4', 'h5',
  'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span', 'strike',
  'strong', 'style', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var',
  'wbr',
];

const COMMON_ATTRS = [
  'style', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border', 'dir', 'lang', 'title', 'cellpadding',
  'cellspacing', 'colspan', 'rowspan', 'face', 'size', 'start', 'type', 'span',
];

const SAFE_IMAGE_DATA = /^data:image\/(png|jpe?g|gif|webp|bmp);base64,[a-z0-9+/=\s]+$/i;
const REMOTE = /^(https?:)?\/\//i;

/** Neutralises CSS: no scripting constructs, no @import, remote url()s only when allowed. */
export function neutralizeCss(css: string, opts: SanitizeOptions, count: { blocked: number }): string {
  return css
    .replace(/expression\s*\(|behaviou?r\s*:|-moz-binding\s*:|javascript\s*:|vbscript\s*:/gi, 'blocked:')
    .replace(/@import\b[^;]*;?/gi, () => { count.blocked++; return ''; })
    .replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (_m, _q, raw: string) => {
      const url = raw.trim();
      if (/^cid:/i.test(url)) {
        const data = opts.cid?.get(decodeCid(url));
        return data ? `url('${data}')` : 'url()';
      }
      if (SAFE_IMAGE_DATA.test(url)) return `url('${url}')`;
      if (REMOTE.test(url) && opts.allowRemote) return `url('${url.replace(/['"\\\n\r]/g, '')}')`;
      if (REMOTE.test(url)) count.blocked++;
      return 'url()';
    });
}

function decodeCid(url: string): string {
  const id = bareId(url.replace(/^cid:/i, ''));
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

export function sanitizeHtml(raw: string, opts: SanitizeOptions): SanitizedHtml {
  const count = { blocked: 0 };
  // sanitize-html passes <style> text through untouched, so it is neutralised first.
  const input = raw.replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style\s*>)/gi, (_m, open: string, css: string, close: string) =>
    `${open}${neutralizeCss(css, opts, count)}${close}`);

  const html = sanitize(input, {
    allowedTags: TAGS,
    allowVulnerableTags: true, // <style> is allowed on purpose; its text was neutralised above
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'textarea', 'option', 'noscript', 'title', 'xmp', 'template', 'head', 'iframe', 'object', 'select'],
    allowedAttributes: {
      '*': COMMON_ATTRS,
      a: ['href', 'name', 'rel', 'data-external'],
      img: ['src', 'alt', 'data-remote-src', 'data-cid-missing'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    transformTags: {
      '*': (tagName, attribs) => {
        const out: Record<string, string> = { ...attribs };
        if (out.style !== undefined) out.style = neutralizeCss(out.style, opts, count);
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
  return { html, remoteBlocked: count.blocked };
}

function rewriteImage(attribs: Record<string, string>, opts: SanitizeOptions, count: { blocked: number }): void {
  const src = (attribs.src ?? '').trim();
  delete attribs.src;
  delete attribs.srcset;
  if (/^cid:/i.test(src)) {
    const data = opts.cid?.get(decodeCid(src));
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
