// The reader's browser side. It renders what the host sends (already sanitized HTML goes into a
// shadow root so mail CSS cannot restyle the reader; the root's host box contains whatever that CSS
// draws, see .mail-html in media/reader.css) and turns clicks and keys into typed requests. It
// never navigates and never opens anything itself.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { Flag } from '../src/shared/flags';
import type {
  HostToReader,
  ReaderAction,
  ReaderAddress,
  ReaderCommand,
  ReaderComposeAction,
  ReaderMessage,
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
  );
}

function headerBlock(m: ReaderMessage): HTMLElement {
  const rows: Array<[string, string]> = [
    ['From', addresses(m.from)],
    ['To', addresses(m.to)],
  ];
  if (m.cc.length) rows.push(['Cc', addresses(m.cc)]);
  if (m.date) rows.push(['Date', new Date(m.date).toLocaleString()]);
  const dl = el('dl', { class: 'headers' });
  for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
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
    frag.append(el('a', { href: match[0], 'data-external': 'true' }, match[0]));
    last = match.index! + match[0].length;
  }
  frag.append(text.slice(last));
  return frag;
}

function body(m: ReaderMessage): HTMLElement {
  const container = el('article', { class: 'body', 'aria-label': 'Message body' });
  for (const part of m.body) {
    if (part.kind === 'html') {
      const host = el('div', { class: 'mail-html' });
      const shadow = host.attachShadow({ mode: 'open' });
      // Already sanitized by the host; innerHTML never runs scripts, and the CSP forbids them anyway.
      shadow.innerHTML = `<style>:host{display:block} img{max-width:100%;height:auto} a{color:#0b62c4}</style><div class="mail-root">${part.html}</div>`;
      container.append(host);
    } else {
      container.append(el('pre', { class: 'mail-text' }, linkify(part.text)));
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
  }
  current = m;
  const parts: Array<HTMLElement | undefined> = [
    toolbar(m),
    goneBanner(m),
    headerBlock(m),
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
  if (!anchor) return;
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

host.ready();
