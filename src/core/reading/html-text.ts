// The text of an HTML body: for finding workspace references in a mail and for showing HTML that
// is too complex to render. htmlparser2's tokenizer alone (no element stack, no tree) makes this
// one forward pass whatever the markup: unclosed tags, thousands of levels, megabytes of attributes.
import { htmlparser2 } from '../libraries';

// Their text is not part of what a reader sees.
const HIDDEN = new Set(['script', 'style', 'title', 'textarea', 'head', 'template', 'noscript', 'xmp']);
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'caption',
  'dd',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'tfoot',
  'thead',
  'tr',
  'ul',
]);
const CELLS = new Set(['td', 'th']);
const LINK = /^(https?|mailto):/i;

export function htmlToText(html: string): string {
  const parts: string[] = [];
  let tag = '';
  let attr = '';
  let attrValue = '';
  let href: string | undefined;
  let linkText = '';
  let hidden = ''; // the element whose text is being skipped
  let pre = 0;
  const slice = (start: number, end: number) => html.slice(start, end);
  const text = (s: string) => {
    if (hidden) return;
    parts.push(pre ? s : s.replace(/\s+/g, ' '));
    if (href !== undefined) linkText += s;
  };
  const tokenizer = new (htmlparser2().Tokenizer)(
    { decodeEntities: true },
    {
      ontext: (start, end) => text(slice(start, end)),
      ontextentity: (cp) => text(String.fromCodePoint(cp)),
      onopentagname: (start, end) => {
        tag = slice(start, end).toLowerCase();
        attrValue = '';
        if (tag === 'a' && !hidden) href = undefined;
      },
      onattribname: (start, end) => {
        attr = slice(start, end).toLowerCase();
        attrValue = '';
      },
      onattribdata: (start, end) => {
        if (attr === 'href') attrValue += slice(start, end);
      },
      onattribentity: (cp) => {
        if (attr === 'href') attrValue += String.fromCodePoint(cp);
      },
      onattribend: () => {
        if (tag === 'a' && attr === 'href') href = attrValue.trim();
      },
      onopentagend: () => {
        if (hidden) return;
        if (HIDDEN.has(tag)) hidden = tag;
        else if (BLOCKS.has(tag)) parts.push('\n');
        else if (CELLS.has(tag)) parts.push('\t');
        if (tag === 'pre') pre++;
        if (tag === 'a') linkText = '';
        if (tag !== 'a') return;
        if (href !== undefined && !LINK.test(href)) href = undefined;
      },
      onselfclosingtag: () => {
        if (!hidden && (BLOCKS.has(tag) || tag === 'br')) parts.push('\n');
      },
      onclosetag: (start, end) => {
        const name = slice(start, end).toLowerCase();
        if (hidden) {
          if (name === hidden) hidden = '';
          return;
        }
        if (BLOCKS.has(name)) parts.push('\n');
        if (name === 'pre' && pre > 0) pre--;
        if (name === 'a' && href !== undefined) {
          // A link's address is part of what it says (and where workspace references hide).
          if (href.replace(/^mailto:/i, '') !== linkText.trim()) parts.push(` <${href}>`);
          href = undefined;
        }
      },
      oncdata: () => undefined,
      oncomment: () => undefined,
      ondeclaration: () => undefined,
      onprocessinginstruction: () => undefined,
      onend: () => undefined,
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  // Lines trimmed and runs of blank lines cut to one, without a regular expression that could
  // backtrack over a long run of spaces.
  const out: string[] = [];
  let blank = 0;
  for (const line of parts.join('').split('\n')) {
    const trimmed = line.trim().replace(/ {2,}/g, ' ');
    if (!trimmed && (++blank > 1 || !out.length)) continue;
    if (trimmed) blank = 0;
    out.push(trimmed);
  }
  return out.join('\n').trim();
}
