// The HTML part of an outgoing message: the Markdown body rendered by markdown-it (raw HTML off,
// so text in the body, quoted mail included, can never become markup) and passed through an
// allowlist of the tags Markdown produces. This is what we send, not what we display: the
// reader's sanitizer (../sanitize.ts) guards the other direction with its own rules.
import type { MarkdownIt } from 'markdown-it';
import { markdownIt, sanitizeHtml as sanitize } from '../libraries';

let renderer: MarkdownIt | undefined;
function md(): MarkdownIt {
  return (renderer ??= new (markdownIt())({
    html: false,
    linkify: true,
    // A line break in mail is a line break: people write short lines and expect them kept.
    breaks: true,
    typographer: false,
  }));
}

const TAGS = [
  'a',
  'blockquote',
  'br',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'img',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'strong',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
  'div',
];

function clean(html: string): string {
  return sanitize()(html, {
    allowedTags: TAGS,
    allowedAttributes: {
      a: ['href', 'title'],
      img: ['src', 'alt', 'title'],
      ol: ['start'],
      td: ['style'],
      th: ['style'],
      div: ['class'],
    },
    allowedStyles: { td: { 'text-align': [/^(left|right|center)$/] }, th: { 'text-align': [/^(left|right|center)$/] } },
    allowedClasses: { div: ['signature'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'escape',
  });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A complete HTML document for the body, with the signature (plain text) after a "-- " line. */
export function renderMarkdown(body: string, signature?: string): string {
  let html = clean(md().render(body));
  if (signature) {
    html += `<div class="signature">-- <br>${escapeHtml(signature).replace(/\n/g, '<br>')}</div>`;
  }
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${html}</body></html>`;
}
