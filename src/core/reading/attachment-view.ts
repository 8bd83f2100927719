// How "Open" shows an attachment. An attachment is hostile content with a name the sender chose:
// opened by VS Code's own rules, `.ipynb` becomes a notebook (with its Run buttons), `.code-workspace`
// a workspace, `.svg` or `.html` a rendered page, and anything else an editable text editor. So only
// two kinds get a viewer — images and PDFs, and only when their bytes are what the name says —
// and everything else is shown as read-only plain text (a hex dump when it is not text).
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export type AttachmentViewer = 'image' | 'pdf' | 'text';

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

// File signatures of the formats VS Code's image preview shows (SVG is a document with scripts,
// not an image here).
const IMAGES: ReadonlyArray<[RegExp, (b: Uint8Array) => boolean]> = [
  [/\.png$/i, (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  [/\.jpe?g$/i, (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  [/\.gif$/i, (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))],
  [/\.webp$/i, (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)],
  [/\.bmp$/i, (b) => startsWith(b, ascii('BM'))],
];

/** Which viewer may show `filename` whose content begins with `head` (a few dozen bytes suffice). */
export function viewerFor(filename: string, head: Uint8Array): AttachmentViewer {
  for (const [name, matches] of IMAGES) if (name.test(filename)) return matches(head) ? 'image' : 'text';
  if (/\.pdf$/i.test(filename) && startsWith(head, ascii('%PDF-'))) return 'pdf';
  return 'text';
}

/** Text shown for at most this many bytes; the rest is a note (Save… keeps the whole file). */
export const MAX_TEXT_VIEW = 5 * 1024 * 1024;
const HEX_BYTES = 64 * 1024;

function isText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 64 * 1024);
  if (sample.includes(0)) return false;
  let control = 0;
  for (const b of sample) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  return control <= sample.length / 100;
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = [...row]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(' ')
      .padEnd(47);
    const chars = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex}  ${chars}`);
  }
  return lines.join('\n');
}

/**
 * The read-only text "Open" shows for an attachment that gets no viewer. `bytes` may be the first
 * MAX_TEXT_VIEW bytes of a file of `size` bytes.
 */
export function textView(bytes: Uint8Array, info: { filename: string; type: string; size?: number }): string {
  const total = info.size ?? bytes.length;
  if (!isText(bytes)) {
    const shown = bytes.subarray(0, HEX_BYTES);
    const part = shown.length < total ? `the first ${shown.length} of ${total} bytes` : `all ${total} bytes`;
    return `${info.filename} (${info.type}) is not text: ${part} as hex. Use Save… to keep the file.\n\n${hexDump(shown)}\n`;
  }
  const shown = bytes.subarray(0, MAX_TEXT_VIEW);
  const cut = total > shown.length;
  // Valid UTF-8 reads as such; anything else byte for byte (latin1) rather than as U+FFFD.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(shown, { stream: cut });
  } catch {
    text = Buffer.from(shown).toString('latin1');
  }
  return cut
    ? `${text}\n\n[Only the first ${shown.length} of ${total} bytes are shown. Use Save… to keep the file.]\n`
    : text;
}

/**
 * Where opened attachments wait while a viewer shows them: a directory of this extension host
 * (named after its pid) that only the user can enter, removed when the reader closes. Directories
 * of extension hosts that died without cleaning up are removed by the next one; those of other
 * windows still running are left alone.
 */
export class AttachmentTempDir {
  private constructor(readonly dir: string) {}

  static async create(base: string): Promise<AttachmentTempDir> {
    await mkdir(base, { recursive: true, mode: 0o700 });
    await chmod(base, 0o700);
    for (const name of await readdir(base).catch(() => [] as string[])) {
      const pid = /^(\d+)-/.exec(name)?.[1];
      if (pid && Number(pid) !== process.pid && !alive(Number(pid)))
        await rm(join(base, name), { recursive: true, force: true });
    }
    return new AttachmentTempDir(await mkdtemp(join(base, `${process.pid}-`)));
  }

  /** Makes a file in the directory readable by the user only. */
  async seal(file: string): Promise<void> {
    await chmod(file, 0o600);
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /** Synchronous: the extension host's shutdown does not wait for promises. */
  disposeSync(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
