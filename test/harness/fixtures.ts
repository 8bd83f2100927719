/**
 * RFC 5322 test messages seeded into alice's INBOX by `startDovecot()`.
 *
 * FIXTURES[i] gets UID i + 1 (Dovecot assigns UIDs in Maildir file-name order,
 * and the harness names the files in this order). Every message uses CRLF line
 * endings, has a unique Subject and a fixed Date (2026-01-01 onward, one day
 * apart); INTERNALDATE equals that Date.
 */
import { createHash } from 'node:crypto';

export interface Fixture {
  key: string;
  subject: string;
  raw: Buffer;
  flags: string[];
  date: Date;
}

const CRLF = '\r\n';

// ---------------------------------------------------------------------------
// Encoding helpers (also used by buildMessage)
// ---------------------------------------------------------------------------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC, e.g. "Thu, 01 Jan 2026 09:00:00 +0000". */
export function rfc5322Date(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`
  );
}

/** RFC 2047 B-encoding, split into encoded words of at most 75 characters; ASCII input is returned as is. */
export function encodeWord(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

/** Quoted-printable (RFC 2045 §6.7) of UTF-8 text; line breaks become CRLF, lines are soft-wrapped at 76. */
export function encodeQuotedPrintable(text: string): string {
  const lines = text.replace(/\r?\n/g, '\n').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const bytes = Buffer.from(line, 'utf8');
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      const last = i === bytes.length - 1;
      let tok: string;
      if ((b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last)) tok = String.fromCharCode(b);
      else tok = '=' + b.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + tok.length > 75) {
        out.push(cur + '=');
        cur = '';
      }
      cur += tok;
    }
    out.push(cur);
  }
  return out.join(CRLF);
}

/** Base64 wrapped at 76 characters with CRLF. */
export function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const parts: string[] = [];
  for (let i = 0; i < b64.length; i += 76) parts.push(b64.slice(i, i + 76));
  return parts.join(CRLF);
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, CRLF);
}

// ---------------------------------------------------------------------------
// Binary payloads (exported so tests can compare what a client decodes)
// ---------------------------------------------------------------------------

/** A valid 1x1 RGBA PNG (70 bytes). */
export const PNG_1X1: Buffer = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Fake PDF bytes of the `attachment` fixture's report.pdf. */
export const REPORT_PDF: Buffer = Buffer.from(
  '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n% mailroom fake report\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

/** Size of big.bin in the `big-attachment` fixture: 5 MiB. */
export const BIG_ATTACHMENT_SIZE = 5 * 1024 * 1024;

/** Deterministic pseudo-random bytes (xorshift32, fixed seed). */
export function deterministicBytes(size: number, seed = 0x6d61696c): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, size);
}

/** The 5 MiB body of big.bin (decoded). */
export const BIG_ATTACHMENT: Buffer = deterministicBytes(BIG_ATTACHMENT_SIZE);
/** sha256 hex of BIG_ATTACHMENT. */
export const BIG_ATTACHMENT_SHA256: string = createHash('sha256').update(BIG_ATTACHMENT).digest('hex');

/** What the `encoded` fixture's headers and attachment names decode to. */
export const ENCODED_EXPECT = {
  subject: 'Grüße aus Köln — 日本語',
  fromName: 'Jörg',
  fromAddress: 'joerg@example.test',
  /** RFC 2231 `filename*=` */
  rfc2231Filename: 'übersicht €.txt',
  /** RFC 2047 in `name=` (Content-Disposition without filename) */
  rfc2047Filename: 'Straße Café.txt',
} as const;

/** Attachment file names of the `traversal-filename` fixture (decoded). */
export const TRAVERSAL_FILENAMES: readonly string[] = ['../../etc/passwd', 'C:\\evil\\con.txt'];

// ---------------------------------------------------------------------------
// Fixture bodies
// ---------------------------------------------------------------------------

const ALICE = 'Alice Example <alice@example.test>';
const BOB = 'Bob Example <bob@example.test>';
const BASE_DATE = Date.UTC(2026, 0, 1, 9, 0, 0);

function head(h: Record<string, string | undefined>): string {
  let s = '';
  for (const [k, v] of Object.entries(h)) if (v !== undefined) s += `${k}: ${v}${CRLF}`;
  return s;
}

interface Spec {
  key: string;
  subject: string;
  /** Subject as written in the header (defaults to subject) */
  subjectHeader?: string;
  from?: string;
  flags: string[];
  messageId?: string | null;
  /** Content-Type and the rest of the MIME headers plus the body (LF or CRLF; normalised to CRLF unless binary) */
  mime: string | Buffer;
}

function render(spec: Spec, date: Date): Buffer {
  const headers = head({
    Date: rfc5322Date(date),
    From: spec.from ?? ALICE,
    To: BOB,
    Subject: spec.subjectHeader ?? spec.subject,
    'Message-ID': spec.messageId === null ? undefined : (spec.messageId ?? `<${spec.key}-1@mailroom.test>`),
    'MIME-Version': '1.0',
  });
  const mime = typeof spec.mime === 'string' ? Buffer.from(crlf(spec.mime), 'utf8') : spec.mime;
  return Buffer.concat([Buffer.from(headers, 'utf8'), mime]);
}

const SPECS: Spec[] = [
  {
    key: 'plain',
    subject: 'Plain fixture',
    flags: [],
    messageId: '<plain-1@mailroom.test>',
    mime: `Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Hello from the plain fixture.

This is the second paragraph of a plain us-ascii message.
-- 
Alice
`,
  },
  {
    key: 'html',
    subject: 'HTML fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/alternative; boundary="alt-html-1"

--alt-html-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

${encodeQuotedPrintable('Hello HTML — plain alternative.\nGrüße.')}
--alt-html-1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

${encodeQuotedPrintable('<html><body><p>Hello <b>HTML</b></p><p>Grüße — the html alternative.</p></body></html>')}
--alt-html-1--
`,
  },
  {
    key: 'attachment',
    subject: 'Attachment fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="mixed-att-1"

This is a multi-part message in MIME format.
--mixed-att-1
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Please find the report attached.
--mixed-att-1
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

${base64Lines(REPORT_PDF)}
--mixed-att-1--
`,
  },
  {
    key: 'big-attachment',
    subject: 'Big attachment fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="mixed-big-1"

--mixed-big-1
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

See the big file
--mixed-big-1
Content-Type: application/octet-stream; name="big.bin"
Content-Disposition: attachment; filename="big.bin"
Content-Transfer-Encoding: base64

${base64Lines(BIG_ATTACHMENT)}
--mixed-big-1--
`,
  },
  {
    key: 'inline-image',
    subject: 'Inline image fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/related; boundary="rel-img-1"; type="text/html"

--rel-img-1
Content-Type: text/html; charset=us-ascii
Content-Transfer-Encoding: 7bit

<html><body><p>Our logo:</p><img src="cid:logo@mailroom.test" alt="logo" width="1" height="1"></body></html>
--rel-img-1
Content-Type: image/png; name="logo.png"
Content-ID: <logo@mailroom.test>
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

${base64Lines(PNG_1X1)}
--rel-img-1--
`,
  },
  {
    key: 'encoded',
    subject: ENCODED_EXPECT.subject,
    subjectHeader: `=?UTF-8?B?${Buffer.from(ENCODED_EXPECT.subject, 'utf8').toString('base64')}?=`,
    from: '=?ISO-8859-1?Q?J=F6rg?= <joerg@example.test>',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="mixed-enc-1"

--mixed-enc-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

${encodeQuotedPrintable('Grüße aus Köln! Zwei Anhänge: übersicht €.txt und Straße Café.txt.')}
--mixed-enc-1
Content-Type: text/plain; charset=utf-8; name*=UTF-8''%C3%BCbersicht%20%E2%82%AC.txt
Content-Disposition: attachment; filename*=UTF-8''%C3%BCbersicht%20%E2%82%AC.txt
Content-Transfer-Encoding: base64

${base64Lines(Buffer.from('Übersicht: 100 €\n', 'utf8'))}
--mixed-enc-1
Content-Type: text/plain; charset=utf-8; name="=?UTF-8?B?${Buffer.from(ENCODED_EXPECT.rfc2047Filename, 'utf8').toString('base64')}?="
Content-Disposition: attachment
Content-Transfer-Encoding: base64

${base64Lines(Buffer.from('Straße und Café\n', 'utf8'))}
--mixed-enc-1--
`,
  },
  {
    key: 'nested',
    subject: 'Nested fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="outer-nest-1"

--outer-nest-1
Content-Type: multipart/alternative; boundary="alt-nest-2"

--alt-nest-2
Content-Type: text/plain; charset=us-ascii

Nested plain part.
--alt-nest-2
Content-Type: text/html; charset=us-ascii

<p>Nested <i>html</i> part.</p>
--alt-nest-2--
--outer-nest-1
Content-Type: multipart/related; boundary="rel-nest-3"; type="text/html"

--rel-nest-3
Content-Type: text/html; charset=us-ascii

<p>Related part with an image: <img src="cid:nested-logo@mailroom.test"></p>
--rel-nest-3
Content-Type: image/png; name="nested-logo.png"
Content-ID: <nested-logo@mailroom.test>
Content-Disposition: inline; filename="nested-logo.png"
Content-Transfer-Encoding: base64

${base64Lines(PNG_1X1)}
--rel-nest-3--
--outer-nest-1
Content-Type: message/rfc822
Content-Disposition: attachment; filename="forwarded.eml"

Date: ${rfc5322Date(new Date(Date.UTC(2025, 11, 24, 12, 0, 0)))}
From: Carol Example <carol@example.test>
To: ${ALICE}
Subject: Inner forwarded message
Message-ID: <inner-1@mailroom.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

This is the forwarded message body.
--outer-nest-1--
`,
  },
  {
    key: 'no-message-id',
    subject: 'No Message-ID fixture',
    flags: ['\\Seen'],
    messageId: null,
    mime: `Content-Type: text/plain; charset=us-ascii

This message has no Message-ID header.
`,
  },
  {
    key: 'hostile-html',
    subject: 'Hostile HTML fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: text/html; charset=us-ascii
Content-Transfer-Encoding: 7bit

<!DOCTYPE html>
<html><head>
<meta http-equiv="refresh" content="0; url=https://example.com/phish">
<base href="https://evil.example.test/">
<link rel="stylesheet" href="http://127.0.0.1:9/remote.css">
<style>@import url("http://127.0.0.1:9/import.css"); p { color: #333; }</style>
<script>window.__mailroomPwned = true; alert('script');</script>
</head><body>
<p id="safe-text">Visible hostile fixture text</p>
<img src="data:," onerror="window.__mailroomPwned = true" alt="onerror">
<div onclick="window.__mailroomPwned = true" style="background:url(http://127.0.0.1:9/bg.png)">Click me</div>
<a href="javascript:window.__mailroomPwned=true">javascript link</a>
<a href="https://example.com/">safe link</a>
<img src="http://127.0.0.1:9/tracker.png" width="1" height="1" alt="tracker">
<iframe src="https://example.com/frame"></iframe>
<form action="https://example.com/steal" method="post"><input type="password" name="pw"><button>Send</button></form>
<object data="https://example.com/x.swf" type="application/x-shockwave-flash"></object>
<embed src="https://example.com/y.swf">
<svg onload="window.__mailroomPwned = true"><circle r="1"></circle></svg>
</body></html>
`,
  },
  {
    key: 'malformed-boundary',
    subject: 'Malformed boundary fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="never-closed"

--never-closed
Content-Type: text/plain; charset=us-ascii

Part one of a message whose closing boundary is missing.
--never-closed
Content-Type: text/plain; charset=us-ascii; name="lost.txt"
Content-Disposition: attachment; filename="lost.txt"

The last part, never terminated.
`,
  },
  {
    key: 'bad-charset',
    subject: 'Bad charset fixture',
    flags: ['\\Seen'],
    mime: Buffer.concat([
      Buffer.from(
        crlf(
          'Content-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: 8bit\n\nBad charset body: ',
        ),
        'latin1',
      ),
      Buffer.from('Caf\xe9 na\xefve \xff\xfe\x80\x81 bytes.\r\n', 'latin1'),
    ]),
  },
  {
    key: 'traversal-filename',
    subject: 'Traversal filename fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="mixed-trav-1"

--mixed-trav-1
Content-Type: text/plain; charset=us-ascii

Two attachments with dangerous file names.
--mixed-trav-1
Content-Type: text/plain; charset=us-ascii; name="../../etc/passwd"
Content-Disposition: attachment; filename="../../etc/passwd"

root:x:0:0:not really:/root:/bin/sh
--mixed-trav-1
Content-Type: text/plain; charset=us-ascii; name="C:\\\\evil\\\\con.txt"
Content-Disposition: attachment; filename="C:\\\\evil\\\\con.txt"

A Windows device name in a Windows path.
--mixed-trav-1--
`,
  },
  {
    key: 'flagged-unread',
    subject: 'Flagged unread fixture',
    flags: ['\\Flagged'],
    mime: `Content-Type: text/plain; charset=us-ascii

This message is flagged and unread.
`,
  },
  // The malformed and many-part corpus (reader.test.ts): shapes real mail takes. Each has a line
  // the reader must show (MALFORMED_EXPECT) and, when the damage can be seen, a note about it.
  {
    key: 'mixed-inline-texts',
    subject: 'Several inline text parts fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="mixed-texts-1"

--mixed-texts-1
Content-Type: multipart/alternative; boundary="alt-texts-2"

--alt-texts-2
Content-Type: text/plain; charset=us-ascii

First part, plain alternative.
--alt-texts-2
Content-Type: text/html; charset=us-ascii

<p>First part, <b>HTML</b> alternative.</p>
--alt-texts-2--
--mixed-texts-1
Content-Type: application/pdf; name="middle.pdf"
Content-Disposition: attachment; filename="middle.pdf"
Content-Transfer-Encoding: base64

${base64Lines(REPORT_PDF)}
--mixed-texts-1
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline

Second part: a forwarded note in plain text.
--mixed-texts-1
Content-Type: text/html; charset=us-ascii

<p>Third part: an HTML note side by side.</p>
--mixed-texts-1
Content-Type: text/plain; charset=us-ascii

_______________________________________________
Mailing-list footer: unsubscribe at https://lists.example.test/
--mixed-texts-1--
`,
  },
  {
    key: 'odd-case-headers',
    subject: 'Odd case headers fixture',
    flags: ['\\Seen'],
    mime: `CONTENT-TYPE: TEXT/PLAIN; CHARSET="ISO-8859-1"
content-transfer-encoding: QUOTED-PRINTABLE

Odd case headers: caf=E9 cr=E8me.
`,
  },
  {
    key: 'duplicate-params',
    subject: 'Duplicate parameters fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="dup-a"; boundary="dup-b"

--dup-a
Content-Type: text/plain; charset=us-ascii; charset=utf-8

Duplicate parameters: the first boundary wins.
--dup-a--
`,
  },
  {
    key: 'boundary-in-part',
    subject: 'Boundary text inside a part fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain; charset=us-ascii

Boundary text inside a part, before the stray line.
--inner
and after the stray boundary line, still text the user must see.
--inner--
`,
  },
  {
    key: 'deep-nesting',
    subject: 'Deep nesting fixture',
    flags: ['\\Seen'],
    mime:
      Array.from({ length: 60 }, (_, i) => `Content-Type: multipart/mixed; boundary="deep-${i}"\n\n--deep-${i}\n`).join(
        '',
      ) +
      'Content-Type: text/plain; charset=us-ascii\n\nDeep nesting: sixty levels down.\n' +
      Array.from({ length: 60 }, (_, i) => `--deep-${59 - i}--\n`).join(''),
  },
  {
    key: 'invalid-utf8',
    subject: 'Invalid UTF-8 fixture',
    flags: ['\\Seen'],
    mime: Buffer.concat([
      Buffer.from(
        crlf('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nInvalid UTF-8: '),
        'latin1',
      ),
      Buffer.from('caf\xe9 \xff\xfe end.\r\n', 'latin1'),
    ]),
  },
  {
    key: 'broken-base64',
    subject: 'Broken base64 fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

${Buffer.from('Broken base64: this line decodes.\n', 'utf8').toString('base64')}
!!!! not base64 at all ####
${Buffer.from('And so does this one', 'utf8').toString('base64').slice(0, -3)}
`,
  },
  {
    key: 'broken-qp',
    subject: 'Broken quoted-printable fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Broken quoted-printable: =ZZ is not an escape, =C3=A9 is.
The last line ends in a lone =`,
  },
  {
    key: 'unknown-encoding',
    subject: 'Unknown transfer encoding fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: x-made-up

Unknown transfer encoding: shown as it is.
`,
  },
  {
    key: 'nul-bytes',
    subject: 'NUL bytes fixture',
    flags: ['\\Seen'],
    mime: Buffer.concat([
      Buffer.from(
        crlf(
          'Content-Type: multipart/alternative; boundary="nul-1"\n\n--nul-1\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\nNUL\0bytes in the plain part.\n--nul-1\nContent-Type: text/html; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\n<p>NUL\0bytes in the HTML part.</p>\n--nul-1--\n',
        ),
        'latin1',
      ),
    ]),
  },
  {
    key: 'multipart-without-boundary',
    subject: 'Multipart without boundary fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed

Multipart without a boundary: the body is still text.
`,
  },
  {
    key: 'empty-multipart',
    subject: 'Empty multipart fixture',
    flags: ['\\Seen'],
    mime: `Content-Type: multipart/mixed; boundary="nothing-here"

Only a preamble, no part at all.
`,
  },
];

/** In INBOX order: FIXTURES[i] has UID i + 1. */
export const FIXTURES: Fixture[] = SPECS.map((spec, i) => {
  const date = new Date(BASE_DATE + i * 86_400_000);
  return { key: spec.key, subject: spec.subject, raw: render(spec, date), flags: [...spec.flags], date };
});

const BY_KEY = new Map<string, number>(FIXTURES.map((f, i) => [f.key, i]));

export function fixture(key: string): Fixture {
  const i = BY_KEY.get(key);
  if (i === undefined) throw new Error(`unknown fixture "${key}" (known: ${[...BY_KEY.keys()].join(', ')})`);
  return FIXTURES[i] as Fixture;
}

export function uidOf(key: string): number {
  fixture(key);
  return (BY_KEY.get(key) as number) + 1;
}

/** Number of INBOX fixtures without \Seen. */
export const UNSEEN_COUNT: number = FIXTURES.filter((f) => !f.flags.includes('\\Seen')).length;

// ---------------------------------------------------------------------------
// buildMessage: more mail for tests to APPEND
// ---------------------------------------------------------------------------

export interface BuildMessageOptions {
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  cc?: string | string[];
  /** With or without angle brackets; null = no Message-ID header. Default: a random one. */
  messageId?: string | null;
  inReplyTo?: string;
  references?: string | string[];
  date?: Date;
  /** Extra raw header lines (ASCII), e.g. { 'X-Test': '1' } */
  headers?: Record<string, string>;
}

let built = 0;

function angle(id: string): string {
  return id.startsWith('<') ? id : `<${id}>`;
}

/**
 * A small RFC 5322 message with CRLF line endings: text/plain, or
 * multipart/alternative when `html` is given. Bodies are UTF-8
 * quoted-printable; a non-ASCII subject is RFC 2047 encoded. Address
 * strings are used as given (encode non-ASCII display names yourself).
 */
export function buildMessage(opts: BuildMessageOptions): Buffer {
  built++;
  const list = (v: string | string[] | undefined): string | undefined =>
    v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : v;
  const messageId =
    opts.messageId === null
      ? undefined
      : angle(opts.messageId ?? `built-${Date.now().toString(36)}-${process.pid}-${built}@mailroom.test`);
  const extra: Record<string, string> = opts.headers ?? {};
  let headers = head({
    Date: rfc5322Date(opts.date ?? new Date()),
    From: opts.from,
    To: list(opts.to),
    Cc: list(opts.cc),
    Subject: encodeWord(opts.subject),
    'Message-ID': messageId,
    'In-Reply-To': opts.inReplyTo === undefined ? undefined : angle(opts.inReplyTo),
    References:
      opts.references === undefined
        ? undefined
        : (Array.isArray(opts.references) ? opts.references : [opts.references]).map(angle).join(' '),
    'MIME-Version': '1.0',
  });
  headers += head(extra);
  const textPart =
    `Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}` +
    encodeQuotedPrintable(opts.text) +
    CRLF;
  if (opts.html === undefined) return Buffer.from(headers + textPart, 'utf8');
  const boundary = `alt-${createHash('sha1').update(`${built}:${opts.subject}`).digest('hex').slice(0, 16)}`;
  const htmlPart =
    `Content-Type: text/html; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}` +
    encodeQuotedPrintable(opts.html) +
    CRLF;
  return Buffer.from(
    headers +
      `Content-Type: multipart/alternative; boundary="${boundary}"${CRLF}${CRLF}` +
      `--${boundary}${CRLF}${textPart}--${boundary}${CRLF}${htmlPart}--${boundary}--${CRLF}`,
    'utf8',
  );
}
