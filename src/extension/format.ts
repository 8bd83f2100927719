// How mail data reads in the UI.
import type { Address } from '../core/mailbox/messages';

export function formatAddress(a: Readonly<Address> | undefined): string {
  if (!a) return '';
  return a.name && a.address ? `${a.name} <${a.address}>` : (a.name ?? a.address ?? '');
}

export function senderName(list: readonly Readonly<Address>[]): string {
  const a = list[0];
  return a ? a.name || a.address || '' : '(unknown sender)';
}

export function formatAddresses(list: readonly Readonly<Address>[]): string {
  return list.map(formatAddress).join(', ');
}

// One formatter per style, made on first use: `toLocale…String(locale, options)` builds a new one on
// every call (~0.1 ms each), twice per message row, which was most of the time a page of rows took.
const DATE_STYLES = {
  time: { hour: '2-digit', minute: '2-digit' },
  weekday: { weekday: 'short' },
  dayMonth: { day: 'numeric', month: 'short' },
  dayMonthYear: { day: 'numeric', month: 'short', year: 'numeric' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;
type DateStyle = keyof typeof DATE_STYLES;
const formatters = new Map<DateStyle, Intl.DateTimeFormat>();

function formatter(style: DateStyle): Intl.DateTimeFormat {
  let f = formatters.get(style);
  if (!f) formatters.set(style, (f = new Intl.DateTimeFormat(undefined, DATE_STYLES[style])));
  return f;
}

/**
 * Makes the formatters before the first page of messages needs them: the process's first
 * Intl.DateTimeFormat loads the locale data (20–30 ms here), time a person would otherwise wait
 * on their first click of a folder.
 */
export function prepareDateFormats(): void {
  for (const style of Object.keys(DATE_STYLES) as DateStyle[]) formatter(style);
}

/** "14:05" today, "Mon 14:05" this week, "3 Mar" this year, "3 Mar 2024" before. */
export function shortDate(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = formatter('time').format(d);
  if (d.toDateString() === now.toDateString()) return time;
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days >= 0 && days < 6) return `${formatter('weekday').format(d)} ${time}`;
  if (d.getFullYear() === now.getFullYear()) return formatter('dayMonth').format(d);
  return formatter('dayMonthYear').format(d);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function subjectOf(s: string): string {
  return s.trim() || '(no subject)';
}
