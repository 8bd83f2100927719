// The reader's browser side. It renders what the host sends (already sanitized HTML goes into a
// shadow root so mail CSS cannot restyle the reader; the root's host box contains whatever that CSS
// draws, see .mail-html in media/reader.css) and turns clicks and keys into typed requests. It
// never navigates and never opens anything itself.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { Flag } from '../src/shared/flags';
import { segmentText } from '../src/shared/quotes';
import { REDECODE_CHARSETS } from '../src/shared/charsets';
import type {
  HostToReader,
  ReaderAction,
  ReaderAddress,
  ReaderCommand,
  ReaderComposeAction,
  ReaderListAction,
  ReaderMessage,
  ReaderUnavailable,
  ReaderRelated,
  ReaderRequest,
  ReaderState,
} from '../src/shared/reader-protocol';
import type { Reply } from '../src/shared/webview-protocol';
import { connectToHost } from './host-client';

const host = connectToHost<ReaderCommand, ReaderRequest, Exclude<HostToReader, Reply>, ReaderState>();
const app = document.getElementById('app')!;
let current: ReaderMessage | undefined;
let related: ReaderRelated[] = [];
/** Set when the message left its folder elsewhere: what to say about it. */
let gone: string | undefined;
/** An action is under way: the toolbar waits for the host's reply (one click, one action). */
let acting = false;
/** The whole header block, once asked for (Show All Headers). */
let allHeaders: { text: string; truncated: boolean } | undefined;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K];
function el(tag: string, attrs?: Record<string, string>, ...children: Array<Node | string>): HTMLElement;
function el(tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function button(label: string, icon: string, title: string, onClick: () => void, secondary = true): HTMLElement {
  const b = el('vscode-button', { icon, title, ...(secondary ? { secondary: '' } : {}) }, label);
  b.addEventListener('click', onClick);
  return b;
}

const address = (a: ReaderAddress) => (a.name && a.address ? `${a.name} <${a.address}>` : (a.name ?? a.address ?? ''));
const addresses = (list: ReaderAddress[]) => list.map(address).join(', ');

function act(action: ReaderAction): void {
  if (!current || acting) return;
  acting = true;
  const toolbar = app.querySelector('.toolbar');
  toolbar?.setAttribute('aria-busy', 'true');
  // Errors are shown by the host; the toolbar only waits.
  host
    .request({ type: 'action', key: current.key, action })
    .catch(() => undefined)
    .finally(() => {
      acting = false;
      app.querySelector('.toolbar')?.removeAttribute('aria-busy');
    });
}

/** The text selected in the message (mail HTML lives in shadow roots, which Chromium selects separately). */
function selectedText(): string {
  const shadowed = [...app.querySelectorAll('.mail-html')]
    .map((h) => (h.shadowRoot as (ShadowRoot & { getSelection?: () => Selection | null }) | null)?.getSelection?.())
    .map((sel) => sel?.toString() ?? '')
    .find((t) => t.trim());
  return shadowed ?? document.getSelection()?.toString() ?? '';
}

/** Reply, reply all, forward (quoting the selection when there is one), or a new message. */
function compose(action: ReaderComposeAction): void {
  if (!current) return;
  const selection = action === 'newMessage' ? '' : selectedText();
  host
    .request({ type: 'compose', key: current.key, action, ...(selection.trim() ? { selection } : {}) })
    .catch(() => undefined);
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function toolbar(m: ReaderMessage): HTMLElement {
  const unread = !m.flags.includes(Flag.Seen);
  const flagged = m.flags.includes(Flag.Flagged);
  return el(
    'nav',
    { class: 'toolbar', 'aria-label': 'Message actions' },
    button('Reply', 'reply', 'Reply (R); quotes the selection if there is one', () => compose('reply')),
    button('Reply All', 'reply-all', 'Reply all (Shift+R)', () => compose('replyAll')),
    button('Forward', 'forward', 'Forward (F)', () => compose('forward')),
    button('Archive', 'archive', 'Archive (A)', () => act('archive')),
    button('Delete', 'trash', 'Delete (Del or #)', () => act('delete')),
    button(flagged ? 'Unflag' : 'Flag', flagged ? 'star-full' : 'star-empty', 'Toggle flag (S)', () =>
      act('toggleFlag'),
    ),
    button(unread ? 'Mark Read' : 'Mark Unread', unread ? 'mail-read' : 'mail', 'Toggle read (U)', () =>
      act(unread ? 'markRead' : 'markUnread'),
    ),
    button('Move…', 'folder-opened', 'Move to folder (M)', () => act('move')),
    button('View Source', 'file-code', 'Open the raw message in a read-only editor', () =>
      host.send({ type: 'viewSource', key: m.key }),
    ),
    button(
      allHeaders ? 'Hide Headers' : 'All Headers',
      'list-unordered',
      allHeaders ? 'Hide the full header block' : 'Show every header of the message',
      () => {
        if (allHeaders) {
          allHeaders = undefined;
          render(m);
        } else host.send({ type: 'showHeaders', key: m.key });
      },
    ),
  );
}

/** The mailing list's actions, when the message came through one. */
function listBar(m: ReaderMessage): HTMLElement | undefined {
  const list = m.list;
  if (!list || (!list.unsubscribe && !list.replyToList && !list.archive)) return undefined;
  const send = (action: ReaderListAction) => host.send({ type: 'list', key: m.key, action });
  const how = { oneClick: 'one-click request', mailto: 'mail', web: 'web page' } as const;
  return el(
    'nav',
    { class: 'list-bar', 'aria-label': 'Mailing list' },
    el('span', { class: 'codicon codicon-broadcast' }),
    el('span', { class: 'list-name' }, list.name ? `Mailing list: ${list.name}` : 'Mailing list'),
    ...(list.unsubscribe
      ? [
          button(
            'Unsubscribe',
            'bell-slash',
            `Unsubscribe from this list (by ${how[list.unsubscribe]}, after you confirm)`,
            () => send('unsubscribe'),
          ),
        ]
      : []),
    ...(list.replyToList
      ? [button('Reply to List', 'reply', "Reply to the list's posting address", () => send('replyToList'))]
      : []),
    ...(list.archive
      ? [
          button('Open Archive', 'archive', "Open the list's archive in the browser (after you confirm)", () =>
            send('openArchive'),
          ),
        ]
      : []),
  );
}

/** "Tue 1 Dec, 16:47 · 3 hours ago", in the user's locale. */
function formatDate(iso: string, now = Date.now()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  const absolute = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
  }).format(date);
  const seconds = Math.round((date.getTime() - now) / 1000);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['week', 7 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const [unit, size] = units.find(([, n]) => Math.abs(seconds) >= n) ?? ['second', 1];
  const relative = Math.abs(seconds) < 60 ? rtf.format(0, 'minute') : rtf.format(Math.round(seconds / size), unit);
  return `${absolute} · ${relative}`;
}

/** IMAP keywords: the flags that are not system flags (\Seen…), shown as the server has them. */
const keywordsOf = (flags: readonly string[]) => flags.filter((f) => !f.startsWith('\\'));

function headerBlock(m: ReaderMessage): HTMLElement {
  const rows: Array<[string, string]> = [
    ['From', addresses(m.from)],
    ['To', addresses(m.to)],
  ];
  if (m.cc.length) rows.push(['Cc', addresses(m.cc)]);
  const dl = el('dl', { class: 'headers' });
  for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
  if (m.date)
    dl.append(el('dt', {}, 'Date'), el('dd', {}, el('time', { datetime: m.date, title: m.date }, formatDate(m.date))));
  const keywords = keywordsOf(m.flags);
  const tags = el('dd', { class: 'keywords' });
  for (const k of keywords) tags.append(el('span', { class: 'keyword' }, k));
  tags.append(
    button(keywords.length ? 'Edit…' : 'Add…', 'tag', 'Add or remove keywords', () =>
      host.send({ type: 'editKeywords', key: m.key }),
    ),
  );
  dl.append(el('dt', {}, 'Keywords'), tags);
  const badges = el('span', { class: 'badges' });
  if (m.flags.includes(Flag.Flagged)) badges.append(el('vscode-badge', { variant: 'counter' }, 'Flagged'));
  if (!m.flags.includes(Flag.Seen)) badges.append(el('vscode-badge', { variant: 'counter' }, 'Unread'));
  return el(
    'header',
    { class: 'message-header' },
    el('h1', { class: 'subject' }, m.subject.trim() || '(no subject)', badges),
    dl,
  );
}

function remoteBanner(m: ReaderMessage): HTMLElement | undefined {
  if (m.remoteAllowed || m.remoteBlocked === 0) return undefined;
  if (m.remoteRefused)
    return el(
      'div',
      { class: 'banner junk', role: 'status' },
      el('span', { class: 'codicon codicon-shield' }),
      el('span', {}, `Remote content blocked (${m.remoteBlocked}). ${m.remoteRefused}`),
    );
  return el(
    'div',
    { class: 'banner', role: 'status' },
    el('span', { class: 'codicon codicon-shield' }),
    el('span', {}, `Remote content blocked (${m.remoteBlocked}) to protect your privacy.`),
    button('Load remote content', 'cloud-download', 'Load remote images and styles for this message', () =>
      host.send({ type: 'loadRemote', key: m.key, always: false }),
    ),
    button('Always for this sender', 'check-all', 'Always load remote content from this sender', () =>
      host.send({ type: 'loadRemote', key: m.key, always: true }),
    ),
  );
}

/** The message is no longer where it was (moved or deleted on another device, or its folder rebuilt). */
function goneBanner(m: ReaderMessage): HTMLElement | undefined {
  if (gone === undefined) return undefined;
  return el(
    'div',
    { class: 'banner gone', role: 'alert' },
    el('span', { class: 'codicon codicon-info' }),
    el('span', {}, gone),
    button('Close', 'close', 'Close the reader', () => host.send({ type: 'close', key: m.key }), false),
  );
}

function linkify(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  const re = /\bhttps?:\/\/[^\s<>"')\]]+/g;
  let last = 0;
  for (const match of text.matchAll(re)) {
    frag.append(text.slice(last, match.index));
    frag.append(el('a', { href: match[0], title: match[0], 'data-external': 'true' }, match[0]));
    last = match.index! + match[0].length;
  }
  frag.append(text.slice(last));
  return frag;
}

/** A plain-text part: its own text, then quoted runs and the signature dimmed and foldable. */
function textPart(text: string): HTMLElement {
  const pre = el('div', { class: 'mail-text' });
  const segments = segmentText(text);
  let lastText = -1;
  segments.forEach((seg, i) => {
    if (seg.kind === 'text' && seg.text.trim()) lastText = i;
  });
  segments.forEach((seg, i) => {
    if (seg.kind === 'text') {
      pre.append(linkify(seg.text));
      return;
    }
    // A quote at the end (what a reply carries along) starts folded; one between answers stays open.
    const trailing = i > lastText;
    const lines = seg.text.split('\n').length - (seg.text.endsWith('\n') ? 1 : 0);
    const what = seg.kind === 'quote' ? `Quoted text (${lines} line${lines === 1 ? '' : 's'})` : 'Signature';
    const details = el(
      'details',
      { class: seg.kind, ...(seg.kind === 'quote' && trailing && lines > 3 ? {} : { open: '' }) },
      el('summary', {}, what),
      el('div', { class: 'folded' }, linkify(seg.text)),
    );
    pre.append(details);
  });
  return pre;
}

/** HTML mail: top-level blockquotes become foldable (dimmed by the shadow style), every link shows its URL. */
function polishHtml(root: ShadowRoot): void {
  for (const a of root.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href')!;
    const text = a.getAttribute('title');
    a.setAttribute('title', text && text !== href ? `${href}\n${text}` : href);
  }
  for (const q of root.querySelectorAll('blockquote')) {
    if (q.parentElement?.closest('blockquote')) continue;
    const details = el('details', { class: 'quote', open: '' }, el('summary', {}, 'Quoted text'));
    q.replaceWith(details);
    details.append(q);
  }
}

/**
 * Workspace files the mail mentions (the host found them and checked they are really inside the
 * workspace) become links where the text names them. One pattern of all labels; one pass per text node.
 */
function linkRelated(root: ParentNode, m: ReaderMessage): void {
  const files = related.filter((r) => r.kind === 'file');
  if (!files.length) return;
  const byLabel = new Map(files.map((r) => [r.label, r]));
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const labels = [...byLabel.keys()].sort((a, b) => b.length - a.length).map(escape);
  const re = new RegExp(`(?<![\\w./-])(?:${labels.join('|')})(?![\\w/-]|\\.\\w|:\\d)`, 'g');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = (n as Text).parentElement;
    if (!parent?.closest('a, style, summary')) nodes.push(n as Text);
  }
  for (const node of nodes) {
    const text = node.data;
    re.lastIndex = 0;
    if (!re.test(text)) continue;
    re.lastIndex = 0;
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(re)) {
      const r = byLabel.get(match[0])!;
      frag.append(text.slice(last, match.index));
      const a = el(
        'a',
        { href: '#', class: 'workspace-link', 'data-related': r.id, title: `Open ${r.label} (${r.detail})` },
        match[0],
      );
      a.addEventListener('click', (e) => {
        e.preventDefault();
        e.stopPropagation();
        host.send({ type: 'openRelated', key: m.key, id: r.id });
      });
      frag.append(a);
      last = match.index! + match[0].length;
    }
    frag.append(text.slice(last));
    node.replaceWith(frag);
  }
}

/** Show All Headers: the header block as the server has it, as text. */
function headersBlock(): HTMLElement | undefined {
  if (!allHeaders) return undefined;
  return el(
    'section',
    { class: 'all-headers', 'aria-label': 'All headers' },
    el('pre', { tabindex: '0' }, allHeaders.text),
    ...(allHeaders.truncated
      ? [el('p', { class: 'note' }, 'The header block is longer; only its first 256 KB are shown.')]
      : []),
  );
}

/** "Show as…": a part whose characters did not decode can be decoded again in another charset. */
function encodingPicker(m: ReaderMessage, part: ReaderMessage['body'][number]): HTMLElement | undefined {
  if (!part.part || (!part.undecodable && !part.decodedAs)) return undefined;
  const select = el('select', { 'aria-label': `Text encoding of part ${part.part}` });
  select.append(el('option', { value: '' }, part.decodedAs ? `${part.decodedAs} (chosen)` : 'as declared'));
  for (const charset of REDECODE_CHARSETS)
    if (charset !== part.decodedAs) select.append(el('option', { value: charset }, charset));
  const partId = part.part;
  select.addEventListener('change', () => {
    const charset = REDECODE_CHARSETS.find((c) => c === select.value);
    if (charset) host.send({ type: 'redecode', key: m.key, part: partId, charset });
  });
  return el(
    'div',
    { class: 'encoding' },
    el('span', { class: 'codicon codicon-symbol-key' }),
    el(
      'label',
      {},
      part.decodedAs
        ? `Shown as ${part.decodedAs}. Show as: `
        : 'Some characters of this part could not be decoded. Show as: ',
      select,
    ),
  );
}

function body(m: ReaderMessage): HTMLElement {
  const container = el('article', { class: 'body', 'aria-label': 'Message body' });
  for (const part of m.body) {
    const picker = encodingPicker(m, part);
    if (picker) container.append(picker);
    if (part.kind === 'html') {
      const host = el('div', { class: 'mail-html' });
      const shadow = host.attachShadow({ mode: 'open' });
      // Already sanitized by the host; innerHTML never runs scripts, and the CSP forbids them anyway.
      shadow.innerHTML = `<style>:host{display:block} img{max-width:100%;height:auto} a{color:#0b62c4} details.quote>summary{cursor:pointer;color:#666;font-size:.9em} details.quote>blockquote{color:#555;opacity:.85} a:focus-visible,summary:focus-visible{outline:2px solid #0b62c4}</style><div class="mail-root">${part.html}</div>`;
      polishHtml(shadow);
      linkRelated(shadow, m);
      container.append(host);
    } else {
      const text = textPart(part.text);
      linkRelated(text, m);
      container.append(text);
    }
  }
  return container;
}

/**
 * Rows listed at first: a message of thousands of parts would otherwise take seconds to show
 * (two buttons per row); the rest are one click away.
 */
const ATTACHMENTS_SHOWN = 100;

function attachmentList(m: ReaderMessage): HTMLElement | undefined {
  if (!m.attachments.length) return undefined;
  const list = el('ul', { class: 'attachments', 'aria-label': 'Attachments' });
  const add = (from: number, to: number) => {
    for (const a of m.attachments.slice(from, to)) {
      list.append(
        el(
          'li',
          {},
          el('span', { class: 'codicon codicon-file' }),
          el('span', { class: 'name', title: a.type }, a.filename),
          el('span', { class: 'size' }, formatSize(a.size)),
          button('Save…', 'save', `Save ${a.filename}`, () =>
            host.send({ type: 'saveAttachment', key: m.key, part: a.part, open: false }),
          ),
          button('Open', 'go-to-file', `Open ${a.filename} in VS Code`, () =>
            host.send({ type: 'saveAttachment', key: m.key, part: a.part, open: true }),
          ),
        ),
      );
    }
  };
  add(0, ATTACHMENTS_SHOWN);
  const section = el(
    'section',
    { class: 'attachment-section' },
    el('h2', {}, `Attachments (${m.attachments.length})`),
    list,
  );
  const more = m.attachments.length - ATTACHMENTS_SHOWN;
  if (more > 0) {
    const showAll = button(`Show ${more} more`, 'unfold', `List all ${m.attachments.length} attachments`, () => {
      showAll.remove();
      add(ATTACHMENTS_SHOWN, m.attachments.length);
    });
    section.append(showAll);
  }
  return section;
}

const RELATED_ICONS: Record<ReaderRelated['kind'], string> = {
  task: 'checklist',
  file: 'go-to-file',
  issue: 'issues',
  pull: 'git-pull-request',
};

function relatedSection(m: ReaderMessage): HTMLElement | undefined {
  if (!related.length) return undefined;
  const list = el('ul', { class: 'related' });
  for (const r of related) {
    const link = el('a', { href: '#', class: 'related-link', 'data-related': r.id }, r.label);
    link.addEventListener('click', (e) => {
      e.preventDefault();
      e.stopPropagation();
      host.send({ type: 'openRelated', key: m.key, id: r.id });
    });
    list.append(
      el(
        'li',
        { 'data-kind': r.kind },
        el('span', { class: `codicon codicon-${RELATED_ICONS[r.kind]}` }),
        link,
        el('span', { class: 'detail' }, r.detail),
      ),
    );
  }
  return el(
    'section',
    { class: 'related-section', 'aria-label': 'In this workspace' },
    el('h2', {}, 'In this workspace'),
    list,
  );
}

function render(m: ReaderMessage): void {
  if (m.key !== current?.key) {
    related = [];
    gone = undefined;
    allHeaders = undefined;
  }
  current = m;
  const parts: Array<HTMLElement | undefined> = [
    toolbar(m),
    goneBanner(m),
    headerBlock(m),
    listBar(m),
    headersBlock(),
    remoteBanner(m),
    ...m.warnings.map((w) =>
      el('div', { class: 'warning', role: 'note' }, el('span', { class: 'codicon codicon-warning' }), w),
    ),
    relatedSection(m),
    body(m),
    attachmentList(m),
  ];
  app.replaceChildren(...parts.filter((p): p is HTMLElement => p !== undefined));
}

// One listener for every link: a click inside a mail's (open) shadow root reaches the document
// with the anchor in its composed path.
function onLinkClick(event: Event): void {
  const anchor = event.composedPath().find((n) => n instanceof HTMLAnchorElement) as HTMLAnchorElement | undefined;
  if (!anchor || anchor.dataset.related) return;
  event.preventDefault();
  const href = anchor.getAttribute('href');
  if (href) host.send({ type: 'openLink', href });
}

document.addEventListener('click', onLinkClick);

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || !current) return;
  const keys: Record<string, ReaderAction> = {
    a: 'archive',
    Delete: 'delete',
    '#': 'delete',
    s: 'toggleFlag',
    m: 'move',
  };
  const writing: Record<string, ReaderComposeAction> = { r: 'reply', R: 'replyAll', f: 'forward', n: 'newMessage' };
  if (e.key === 'u') act(current.flags.includes(Flag.Seen) ? 'markUnread' : 'markRead');
  else if (keys[e.key]) act(keys[e.key]!);
  else if (writing[e.key]) compose(writing[e.key]!);
  else return;
  e.preventDefault();
});

/** New flags: only the toolbar and the header change (the body, its images and its scroll position stay). */
function updateFlags(m: ReaderMessage): void {
  current = m;
  const oldToolbar = app.querySelector('.toolbar');
  const oldHeader = app.querySelector('.message-header');
  if (!oldToolbar || !oldHeader) return render(m);
  oldToolbar.replaceWith(toolbar(m));
  oldHeader.replaceWith(headerBlock(m));
}

/** Shows a message; when it is the one this page showed before it was hidden or reloaded, where it was scrolled to. */
function show(m: ReaderMessage, state: ReaderState | undefined): void {
  const saved = host.state;
  render(m);
  if (!state) return;
  const same =
    saved &&
    saved.account === state.account &&
    saved.ref.mailbox === state.ref.mailbox &&
    saved.ref.uidValidity === state.ref.uidValidity &&
    saved.ref.uid === state.ref.uid;
  host.setState(same && saved.scrollY !== undefined ? { ...state, scrollY: saved.scrollY } : state);
  if (same && saved.scrollY) window.scrollTo(0, saved.scrollY);
}

let scrollTimer: number | undefined;
window.addEventListener('scroll', () => {
  window.clearTimeout(scrollTimer);
  scrollTimer = window.setTimeout(() => {
    const saved = host.state;
    if (saved) host.setState({ ...saved, scrollY: Math.round(window.scrollY) });
  }, 150);
});

host.onNotification((msg) => {
  switch (msg.type) {
    case 'show':
      show(msg.message, msg.state);
      break;
    case 'flags':
      if (current && current.key === msg.key) updateFlags({ ...current, flags: msg.flags });
      break;
    case 'related':
      if (current && current.key === msg.key) {
        related = msg.items;
        render(current);
      }
      break;
    case 'gone':
      if (current && current.key === msg.key) {
        gone = msg.text;
        render(current);
      }
      break;
    case 'headers':
      if (current && current.key === msg.key) {
        allHeaders = { text: msg.text, truncated: msg.truncated };
        render(current);
        app.querySelector('.all-headers pre')?.scrollIntoView({ block: 'nearest' });
      }
      break;
    case 'unavailable':
      current = undefined;
      showUnavailable(msg.message);
      break;
    case 'busy':
      app.replaceChildren(el('p', { class: 'placeholder' }, msg.text));
      break;
    case 'error':
      app.replaceChildren(
        el('div', { class: 'error', role: 'alert' }, el('span', { class: 'codicon codicon-error' }), msg.text),
      );
      break;
  }
});

/** The server is down: the message's own subject and sender, why it cannot be shown, and Retry. */
function showUnavailable(u: ReaderUnavailable): void {
  const dl = el('dl', { class: 'headers' }, el('dt', {}, 'From'), el('dd', {}, addresses(u.from)));
  if (u.date) dl.append(el('dt', {}, 'Date'), el('dd', {}, formatDate(u.date)));
  const retry = button(
    'Retry',
    'refresh',
    'Try to read the message again',
    () => host.send({ type: 'retry', key: u.key }),
    false,
  );
  app.replaceChildren(
    el('header', { class: 'message-header' }, el('h1', { class: 'subject' }, u.subject.trim() || '(no subject)'), dl),
    el(
      'div',
      { class: 'error unavailable', role: 'alert' },
      el('span', { class: 'codicon codicon-debug-disconnect' }),
      el('span', {}, u.text),
      retry,
    ),
  );
}

host.ready();
