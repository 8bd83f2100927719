// IMAP message flags by name, in one place. They are part of what the reader webview is sent
// (ReaderMessage.flags) as well as of the core's vocabulary, so they live where both can import
// them: src/shared depends on nothing.

export const Flag = {
  Seen: '\\Seen',
  Flagged: '\\Flagged',
  Answered: '\\Answered',
  Deleted: '\\Deleted',
  Draft: '\\Draft',
  /** Session-scoped (RFC 3501): never shown, cached or compared. */
  Recent: '\\Recent',
  /** The keyword most clients set on a forwarded message (RFC 5788 registry). */
  Forwarded: '$Forwarded',
} as const;

export type SystemFlag = (typeof Flag)[keyof typeof Flag];

/** Keywords with a meaning shared by clients and server filters (RFC 5788 registry). */
export const Keyword = {
  Junk: '$Junk',
  NotJunk: '$NotJunk',
} as const;
