// Attachment names come from the sender: they may hold path separators, "..", control
// characters, invisible characters that disguise an extension ("report.pdf\u200B.exe"), Windows
// device names or be absurdly long. This makes any of them safe to create on Linux, macOS and
// Windows, keeping what a person would recognise.

// Windows opens the device, whatever the extension, and ignores spaces before it ("CON .txt");
// superscript digits count as digits there.
const WINDOWS_RESERVED =
  /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])[\s.]*(\..*)?$/i;
const MAX_BYTES = 180;

const EXT_BY_TYPE: Record<string, string> = {
  'text/plain': '.txt',
  'text/html': '.html',
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'message/rfc822': '.eml',
  'text/calendar': '.ics',
  'application/zip': '.zip',
};

export function safeFilename(name: string | undefined, type = 'application/octet-stream'): string {
  let s = (name ?? '').normalize('NFC');
  // Keep only the last path component, whichever separator the sender's OS used.
  s = s.split(/[/\\]/).pop() ?? '';
  s = s
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    // Invisible characters (format characters, bidi overrides, zero-width spaces, fillers) hide
    // what the extension really is ("invoice\u202Etxt.exe" shows as "invoiceexe.txt").
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '') // no hidden files, no "..", no leading dots
    .replace(/[.\s]+$/, ''); // Windows strips trailing dots and spaces
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  if (!s) s = `attachment${EXT_BY_TYPE[type.toLowerCase()] ?? ''}`;
  if (Buffer.byteLength(s) > MAX_BYTES) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 12 ? s.slice(dot) : '';
    let stem = s.slice(0, s.length - ext.length);
    while (Buffer.byteLength(stem + ext) > MAX_BYTES) stem = [...stem].slice(0, -1).join('');
    s = stem + ext;
  }
  return s;
}

/** "name.ext", then "name (1).ext", "name (2).ext"… for the first that `exists` says is free. */
export async function uniqueName(name: string, exists: (candidate: string) => Promise<boolean>): Promise<string> {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 0; i < 10_000; i++) {
    const candidate = i === 0 ? name : `${stem} (${i})${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
  throw new Error(`No free file name for ${name}`);
}
