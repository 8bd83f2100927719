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

/** "14:05" today, "Mon 14:05" this week, "3 Mar" this year, "3 Mar 2024" before. */
export function shortDate(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days >= 0 && days < 6) return `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`;
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function subjectOf(s: string): string {
  return s.trim() || '(no subject)';
}
