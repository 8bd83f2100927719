// Big benchmark mailboxes, written straight into Maildir `cur/` (no IMAP APPEND: 10-30x slower),
// cached under `.bench-data/` (git-ignored) and hard-link cloned into each run's Dovecot.
//
// Layout of the cache:  .bench-data/maildir-<SEED_VERSION>-<label>/{cur,new,tmp,seed.json}
// A seed is built in a temp dir and renamed into place, so a crash never leaves half a seed that
// looks complete. Change SEED_VERSION whenever the generator's output changes.
//
// Message i (0-based) gets UID i + 1: Dovecot assigns UIDs to new Maildir files in name order and
// the names start with a strictly increasing timestamp (also the mtime = INTERNALDATE).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { base64Lines, encodeQuotedPrintable as encodeQP } from '../test/harness/fixtures';

export const SEED_VERSION = 'v1';

export const SIZE_COUNTS: Readonly<Record<string, number>> = { '1k': 1_000, '10k': 10_000, '100k': 100_000 };

/** What a seed of `count` messages takes on disk (measured: 100k = 2.5 GB with 4 KiB blocks). */
export function seedBytesEstimate(count: number): number {
  return count * 26_000 + BIG_ATTACHMENT_BYTES * 2;
}

/** Free space to leave on the seed's file system: other people's work shares the disk. */
export const DISK_MARGIN_BYTES = 15e9;

export interface SeedMeta {
  version: string;
  label: string;
  count: number;
  /** UID of the message with the 5 MiB attachment (in the first page of 50). */
  bigUid: number;
  /** UIDs whose seeded flags include \Flagged (so flag-change tests can avoid them). */
  flaggedEvery: number;
  attachmentEvery: number;
  totalBytes: number;
  generateMs: number;
  createdAt: string;
}

export interface Owner {
  uid: number;
  gid: number;
}

const CRLF = '\r\n';
/** Newest message's date; older ones are STEP_S apart. */
const NEWEST = Date.UTC(2026, 0, 1, 9, 0, 0);
const STEP_S = 900;
const FLAGGED_EVERY = 97; // i % 97 === 5  -> \Flagged
const ANSWERED_EVERY = 7; // i % 7 === 3   -> \Answered
const ATTACHMENT_EVERY = 250; // i % 250 === 123 -> a 40-120 KB attachment
const UNREAD_NEWEST = 30;
const BIG_FROM_END = 10; // the big message is UID count - 10
export const BIG_ATTACHMENT_BYTES = 5 * 1024 * 1024;

export function seedFlags(i: number, count: number): string {
  let f = '';
  if (i % FLAGGED_EVERY === 5) f += 'F';
  if (i % ANSWERED_EVERY === 3) f += 'R';
  const unread = i >= count - UNREAD_NEWEST || i % 41 === 17;
  if (!unread) f += 'S';
  return f; // already in Maildir's alphabetical order (F < R < S)
}

export function isSeededFlagged(uid: number): boolean {
  return (uid - 1) % FLAGGED_EVERY === 5;
}

// ---------------------------------------------------------------------------
// deterministic text
// ---------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'release build deploy review merge branch pipeline cluster latency budget quarter roadmap customer invoice ' +
  'meeting agenda notes draft proposal contract schedule deadline feedback design mailbox server client cache ' +
  'index message folder sync update change request approve ticket incident postmortem metrics dashboard alert ' +
  'database migration rollout feature flag experiment result summary attached please thanks regards tomorrow ' +
  'week friday morning afternoon office remote travel hotel flight conference talk slides video recording'
).split(' ');

const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj',
  'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Jörg', 'Zoë', 'Renée', 'Łukasz', 'Søren'];
const LAST = ['Smith', 'Jones', 'Müller', 'García', 'Rossi', 'Novak', 'Kowalski', 'Nguyen', 'Dubois', 'Andersson',
  'Tanaka', 'Okafor', 'Silva', 'Ivanova', 'Schmidt', 'Ó Briain'];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'corp.example', 'lists.example.org', 'mail.example.co.uk'];
const TOPICS = ['Quarterly report', 'Release 4.2 planning', 'Invoice #', 'Weekly sync notes', 'Outage follow-up',
  'Design review: mailbox view', 'Conference travel', 'Your order has shipped', 'Build failed on main',
  'Lunch on Friday?', 'Budget 2026', 'Contract renewal', 'Über die Migration', 'Résumé des décisions',
  'Newsletter: what is new in March', 'Security advisory', 'Pull request #', 'Onboarding checklist'];

function sentence(rnd: () => number, words: number): string {
  const w: string[] = [];
  for (let i = 0; i < words; i++) w.push(pick(rnd, WORDS));
  const s = w.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + (rnd() < 0.1 ? ' — naïve café détails.' : '.');
}

function paragraph(rnd: () => number): string {
  const n = 3 + Math.floor(rnd() * 5);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(sentence(rnd, 6 + Math.floor(rnd() * 14)));
  return out.join(' ');
}

/** RFC 2047 B-encoding of a whole value when it is not plain ASCII. */
function encodeWord(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** xorshift32 bytes: incompressible, deterministic. */
function pseudoRandomBytes(size: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, size);
}

interface BodyVariant {
  /** The multipart/alternative body (after the top-level headers), with its own boundary. */
  alternative: string;
  boundary: string;
}

/** ~14-34 KB multipart/alternative bodies (text/plain + text/html, quoted-printable). */
function makeBodyVariants(n: number): BodyVariant[] {
  const out: BodyVariant[] = [];
  for (let v = 0; v < n; v++) {
    const rnd = mulberry32(0xb0d1 + v);
    const paras: string[] = [];
    const target = 5_000 + Math.floor(rnd() * 6_500); // plain-text characters
    let len = 0;
    while (len < target) {
      const p = paragraph(rnd);
      paras.push(p);
      len += p.length + 2;
    }
    const text = `Hi,\n\n${paras.join('\n\n')}\n\nBest regards\n-- \nSent from the benchmark generator\n`;
    const htmlParas = paras.map((p, i) => i % 4 === 2
      ? `<p style="margin:0 0 12px 0;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222">${p} <a href="https://tracking.example.com/c/${v}/${i}?utm_source=mail&amp;utm_medium=email&amp;utm_campaign=bench">Read more</a></p>`
      : `<p style="margin:0 0 12px 0;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222">${p}</p>`);
    const html = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><style>
body{margin:0;padding:0} .wrapper{max-width:640px;margin:0 auto} td{vertical-align:top}</style></head>
<body><table role="presentation" class="wrapper" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td style="padding:24px">
<p style="margin:0 0 12px 0;font-family:Arial,Helvetica,sans-serif;font-size:14px">Hi,</p>
${htmlParas.join('\n')}
<p style="margin:24px 0 0 0;font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#888888">Best regards<br>Sent from the benchmark generator
<img src="https://tracking.example.com/open/${v}.gif" width="1" height="1" alt=""></p>
</td></tr></table></body></html>\n`;
    const boundary = `----=_Alt_${v.toString(16).padStart(4, '0')}_bench`;
    const alternative = [
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      encodeQP(text),
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      encodeQP(html),
      `--${boundary}--`,
      '',
    ].join(CRLF);
    out.push({ alternative, boundary });
  }
  return out;
}

// ---------------------------------------------------------------------------
// message generation
// ---------------------------------------------------------------------------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');
function rfc5322Date(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

interface Person { display: string; address: string }

function person(rnd: () => number): Person {
  const first = pick(rnd, FIRST);
  const last = pick(rnd, LAST);
  const address = `${first}.${last}`.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/[^A-Za-z.]/g, '').toLowerCase() +
    '@' + pick(rnd, DOMAINS);
  const name = `${first} ${last}`;
  return { address, display: /^[\x20-\x7e]*$/.test(name) ? `"${name}" <${address}>` : `${encodeWord(name)} <${address}>` };
}

function messageId(i: number): string {
  return `<bench.${i}.${(i * 2654435761 >>> 0).toString(36)}@mail.example.com>`;
}

export class MessageGenerator {
  private readonly variants = makeBodyVariants(48);
  private readonly attachments = [40, 64, 90, 120].map((kb, k) => base64Lines(pseudoRandomBytes(kb * 1024, 0xa77 + k)));
  private bigBody: string | undefined;

  constructor(readonly count: number) {}

  get bigIndex(): number { return this.count - BIG_FROM_END; }

  date(i: number): Date {
    return new Date(NEWEST - (this.count - 1 - i) * STEP_S * 1000);
  }

  /** The raw RFC 5322 message i, CRLF line ends. */
  message(i: number): Buffer {
    const rnd = mulberry32(0x5eed0000 + i);
    const date = this.date(i);
    const from = person(rnd);
    const isReply = rnd() < 0.25;
    const isList = !isReply && rnd() < 0.35;
    let subject = pick(rnd, TOPICS);
    if (subject.endsWith('#')) subject += String(1000 + Math.floor(rnd() * 90000));
    if (isReply) subject = `Re: ${subject}`;
    else if (rnd() < 0.05) subject = `Fwd: ${subject}`;
    const big = i === this.bigIndex;
    const withAttachment = !big && i % ATTACHMENT_EVERY === 123;
    if (big) subject = 'Quarterly data export (5 MB attachment)';
    const cc: string[] = [];
    if (rnd() < 0.3) for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) cc.push(person(rnd).display);
    const id = messageId(i);
    const hostA = `mx${1 + Math.floor(rnd() * 9)}.example.net`;
    const ip = `192.0.2.${1 + Math.floor(rnd() * 250)}`;
    const stamp = rfc5322Date(date);
    const dkimB = base64Lines(pseudoRandomBytes(256, 0xd1c + i)).replace(/\r\n/g, `${CRLF}\t `);
    const headers: Array<[string, string | undefined]> = [
      ['Return-Path', `<${from.address}>`],
      ['Delivered-To', 'alice@example.test'],
      ['Received', `from ${hostA} (${hostA} [${ip}])${CRLF}\tby imap.example.test (Postfix) with ESMTPS id ${(i * 7919).toString(16).toUpperCase()}${CRLF}\tfor <alice@example.test>; ${stamp}`],
      ['Received', `from mail.example.com (mail.example.com [198.51.100.${i % 250}])${CRLF}\tby ${hostA} with ESMTPSA id ${(i * 104729).toString(36)}${CRLF}\t(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);${CRLF}\t${stamp}`],
      ['Received', `from localhost (localhost [127.0.0.1])${CRLF}\tby mail.example.com (Postfix) with ESMTP id ${(i * 31).toString(16)}; ${stamp}`],
      ['DKIM-Signature', `v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel2025;${CRLF}\tt=${Math.floor(date.getTime() / 1000)}; h=from:to:cc:subject:date:message-id:mime-version:content-type;${CRLF}\tbh=${Buffer.from(id).toString('base64')};${CRLF}\tb=${dkimB}`],
      ['Authentication-Results', `imap.example.test;${CRLF}\tdkim=pass header.d=example.com header.s=sel2025;${CRLF}\tspf=pass smtp.mailfrom=${from.address};${CRLF}\tdmarc=pass (p=QUARANTINE) header.from=example.com`],
      ['Date', stamp],
      ['From', from.display],
      ['To', i % 5 === 0 ? `"Alice Example" <alice@example.test>, ${person(rnd).display}` : '"Alice Example" <alice@example.test>'],
      ['Cc', cc.length ? cc.join(`,${CRLF} `) : undefined],
      ['Subject', encodeWord(subject)],
      ['Message-ID', id],
      ['In-Reply-To', isReply && i > 0 ? messageId(i - 1 - Math.floor(rnd() * Math.min(i, 50))) : undefined],
      ['References', isReply && i > 0 ? messageId(Math.max(0, i - 60)) + ` ${messageId(i - 1)}` : undefined],
      ['List-Id', isList ? `Team updates <updates.lists.example.org>` : undefined],
      ['List-Unsubscribe', isList ? `<https://lists.example.org/unsubscribe?u=${i.toString(36)}>, <mailto:unsubscribe@lists.example.org>` : undefined],
      ['X-Mailer', pick(rnd, ['Mailroom Bench 1.0', 'Apple Mail (2.3774)', 'Microsoft Outlook 16.0', 'Thunderbird 128.3'])],
      ['MIME-Version', '1.0'],
    ];
    const variant = this.variants[i % this.variants.length] as BodyVariant;
    let mime: string;
    if (big || withAttachment) {
      const mixed = `----=_Mixed_${i.toString(16)}_bench`;
      const name = big ? 'quarterly-data.bin' : `report-${i}.pdf`;
      const type = big ? 'application/octet-stream' : 'application/pdf';
      const payload = big ? (this.bigBody ??= base64Lines(pseudoRandomBytes(BIG_ATTACHMENT_BYTES, 0xb16))) : pick(rnd, this.attachments);
      mime = [
        `Content-Type: multipart/mixed; boundary="${mixed}"`,
        '',
        'This is a multi-part message in MIME format.',
        `--${mixed}`,
        `Content-Type: multipart/alternative; boundary="${variant.boundary}"`,
        '',
        variant.alternative,
        `--${mixed}`,
        `Content-Type: ${type}; name="${name}"`,
        `Content-Disposition: attachment; filename="${name}"`,
        'Content-Transfer-Encoding: base64',
        '',
        payload,
        `--${mixed}--`,
        '',
      ].join(CRLF);
    } else {
      mime = `Content-Type: multipart/alternative; boundary="${variant.boundary}"${CRLF}${CRLF}${variant.alternative}`;
    }
    let head = '';
    for (const [k, v] of headers) if (v !== undefined) head += `${k}: ${v}${CRLF}`;
    return Buffer.from(head + mime, 'utf8');
  }
}

// ---------------------------------------------------------------------------
// cache
// ---------------------------------------------------------------------------

export function seedDirName(label: string): string {
  return `maildir-${SEED_VERSION}-${label}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp seed dirs of dead processes (a run killed while seeding). */
export function removeStaleTemps(cacheRoot: string): void {
  if (!fs.existsSync(cacheRoot)) return;
  for (const name of fs.readdirSync(cacheRoot)) {
    const m = /^\.tmp-.*-(\d+)$/.exec(name);
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(cacheRoot, name), { recursive: true, force: true });
  }
}

export function seedMeta(label: string, gen: MessageGenerator, totalBytes: number, generateMs: number): SeedMeta {
  return {
    version: SEED_VERSION, label, count: gen.count, bigUid: gen.bigIndex + 1, flaggedEvery: FLAGGED_EVERY,
    attachmentEvery: ATTACHMENT_EVERY, totalBytes, generateMs, createdAt: new Date().toISOString(),
  };
}

/**
 * Writes messages [from, to) of `gen` into the Maildir directory `cur` (UID order = name order) and
 * returns their total size. `progress` is called about every 5 s.
 */
export function writeMaildirMessages(gen: MessageGenerator, from: number, to: number, cur: string, owner: Owner | null, progress: (done: number) => void): number {
  let totalBytes = 0;
  let lastLog = performance.now();
  for (let i = from; i < to; i++) {
    const raw = gen.message(i);
    const date = gen.date(i);
    const ts = Math.floor(date.getTime() / 1000);
    // Messages use CRLF, so the virtual size (W=) equals the file size (S=).
    const name = `${ts}.M${String(i + 1).padStart(7, '0')}P1.bench,S=${raw.length},W=${raw.length}:2,${seedFlags(i, gen.count)}`;
    const fd = fs.openSync(path.join(cur, name), 'wx', 0o600);
    try {
      fs.writeSync(fd, raw);
      if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
      fs.futimesSync(fd, date, date);
    } finally {
      fs.closeSync(fd);
    }
    totalBytes += raw.length;
    const now = performance.now();
    if (now - lastLog > 5000) {
      progress(i + 1);
      lastLog = now;
    }
  }
  return totalBytes;
}

export function freeBytes(dir: string): number {
  const st = fs.statfsSync(dir);
  return Number(st.bavail) * Number(st.bsize);
}

/**
 * The cached seed of `label` under `cacheRoot`, generating it first if missing. Files are owned by
 * `owner` (Dovecot's mail uid): hard links share the inode, so clones need no chown per file.
 */
export function ensureSeed(
  cacheRoot: string,
  label: string,
  owner: Owner | null,
  log: (msg: string) => void,
): { dir: string; meta: SeedMeta; generated: boolean } {
  const count = SIZE_COUNTS[label];
  if (!count) throw new Error(`unknown size ${label} (known: ${Object.keys(SIZE_COUNTS).join(', ')})`);
  const dir = path.join(cacheRoot, seedDirName(label));
  const metaFile = path.join(dir, 'seed.json');
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as SeedMeta;
    if (meta.version === SEED_VERSION && meta.count === count) return { dir, meta, generated: false };
    throw new Error(`${metaFile} does not match version ${SEED_VERSION}/${count}: remove ${dir}`);
  }
  fs.mkdirSync(cacheRoot, { recursive: true });
  removeStaleTemps(cacheRoot);
  const free = freeBytes(cacheRoot);
  const need = seedBytesEstimate(count);
  if (free - need < DISK_MARGIN_BYTES) {
    throw new Error(`not enough disk for the ${label} seed in ${cacheRoot}: it needs ~${(need / 1e9).toFixed(1)} GB and ` +
      `${(DISK_MARGIN_BYTES / 1e9).toFixed(0)} GB must stay free, but only ${(free / 1e9).toFixed(1)} GB are (use --data-dir elsewhere, or leave that size out)`);
  }
  const tmp = path.join(cacheRoot, `.tmp-${seedDirName(label)}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(tmp, sub), { recursive: true });
  log(`seeding ${label} (${count} messages) into ${dir} …`);
  const t0 = performance.now();
  const gen = new MessageGenerator(count);
  const totalBytes = writeMaildirMessages(gen, 0, count, path.join(tmp, 'cur'), owner, (done) => log(`  ${done}/${count} (${Math.round((performance.now() - t0) / 1000)} s)`));
  const generateMs = Math.round(performance.now() - t0);
  const meta = seedMeta(label, gen, totalBytes, generateMs);
  fs.writeFileSync(path.join(tmp, 'seed.json'), JSON.stringify(meta, null, 2) + '\n');
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another run finished the same seed first: use theirs.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(metaFile)) throw e;
    return { dir, meta: JSON.parse(fs.readFileSync(metaFile, 'utf8')) as SeedMeta, generated: false };
  }
  log(`seeded ${label}: ${count} messages, ${(totalBytes / 1e6).toFixed(0)} MB in ${(generateMs / 1000).toFixed(1)} s`);
  return { dir, meta, generated: true };
}

/**
 * A fresh Maildir at `target` whose cur/ hard-links the seed's messages (copies if the seed is on
 * another file system). Dovecot renames files on flag changes and never rewrites a message, so
 * the clone can be changed freely without touching the seed.
 */
export function cloneSeed(seedDir: string, target: string, owner: Owner | null): { ms: number; linked: boolean } {
  const t0 = performance.now();
  fs.rmSync(target, { recursive: true, force: true });
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(target, sub), { recursive: true, mode: 0o700 });
  const from = path.join(seedDir, 'cur');
  const to = path.join(target, 'cur');
  let linked = true;
  for (const name of fs.readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    if (linked) {
      try {
        fs.linkSync(src, dst);
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        linked = false;
      }
    }
    fs.copyFileSync(src, dst);
    if (owner) fs.chownSync(dst, owner.uid, owner.gid);
  }
  const dirs = [target, ...['cur', 'new', 'tmp'].map((s) => path.join(target, s))];
  if (owner) for (const d of dirs) fs.chownSync(d, owner.uid, owner.gid);
  // A Maildir directory modified within the last moments is "dirty" for Dovecot: it cannot trust
  // the mtime and rescans cur/ (100k entries: 100-700 ms) on the next sync, until a sync sees the
  // mtime old enough. Backdate the fresh clone so the server reaches its steady state right away.
  const past = new Date(Date.now() - 3600_000);
  for (const d of dirs) fs.utimesSync(d, past, past);
  return { ms: performance.now() - t0, linked };
}
