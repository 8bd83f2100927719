// The encodings the reader offers for a text part whose bytes are not valid in the charset it
// declares (or declares none): what mislabelled mail is most often really written in. The host
// accepts only these names (iconv-lite knows them all).
export const REDECODE_CHARSETS = [
  'utf-8',
  'windows-1252',
  'iso-8859-1',
  'iso-8859-2',
  'iso-8859-15',
  'windows-1250',
  'windows-1251',
  'koi8-r',
  'shift_jis',
  'euc-jp',
  'iso-2022-jp',
  'gb18030',
  'big5',
  'euc-kr',
] as const;

export type RedecodeCharset = (typeof REDECODE_CHARSETS)[number];

export const isRedecodeCharset = (v: unknown): v is RedecodeCharset =>
  typeof v === 'string' && (REDECODE_CHARSETS as readonly string[]).includes(v);
