// What Add Account suggests for an address: the IMAP and SMTP servers of well-known providers,
// and the sign-in preset (src/core/auth/presets.ts) when the provider has one. A domain nobody
// knows gets the usual names (imap.<domain>, smtp.<domain>): a guess the person can edit.
import { OAUTH2_PRESETS, type OAuth2Provider, type ServerAddress } from '../auth/presets';
import type { SmtpSecurity } from '../session/account';

export interface SmtpAddress {
  host: string;
  port: number;
  security: SmtpSecurity;
}

export interface ServerSuggestion {
  imap: ServerAddress;
  smtp: SmtpAddress;
  /** The provider's sign-in preset, when Mailroom has one for it. */
  oauth2?: OAuth2Provider;
  /** One line about passwords there (app passwords, OAuth only). */
  note?: string;
  /** False for the imap./smtp.<domain> guess. */
  known: boolean;
}

/** The submission port of each security (RFC 8314: 465 implicit TLS; RFC 6409: 587 STARTTLS). */
export const SMTP_PORTS: Readonly<Record<SmtpSecurity, number>> = { tls: 465, starttls: 587 };

const fromPreset = (p: OAuth2Provider) => ({ imap: OAUTH2_PRESETS[p].imap, smtp: smtpOf(OAUTH2_PRESETS[p].smtp) });

function smtpOf(s: ServerAddress): SmtpAddress {
  return { host: s.host, port: s.port, security: s.security === 'starttls' ? 'starttls' : 'tls' };
}

const tls = (host: string): ServerAddress => ({ host, port: 993, security: 'tls' });

const PROVIDERS: Array<[RegExp, Omit<ServerSuggestion, 'known'>]> = [
  [
    /^(gmail|googlemail)\.com$/,
    {
      ...fromPreset('google'),
      oauth2: 'google',
      note: 'Gmail: sign in with Google (your own OAuth client), or use an app password.',
    },
  ],
  [
    /^(outlook|hotmail|live|msn)\.[a-z.]+$|^office365\.com$/,
    {
      ...fromPreset('microsoft'),
      oauth2: 'microsoft',
      note: 'Outlook.com and Microsoft 365 accept no passwords for IMAP: sign in with Microsoft.',
    },
  ],
  [
    /^(yahoo|ymail)\.[a-z.]+$/,
    {
      imap: tls('imap.mail.yahoo.com'),
      smtp: { host: 'smtp.mail.yahoo.com', port: 465, security: 'tls' },
      note: 'Yahoo: use an app password.',
    },
  ],
  [
    /^(icloud|me|mac)\.com$/,
    {
      imap: tls('imap.mail.me.com'),
      smtp: { host: 'smtp.mail.me.com', port: 587, security: 'starttls' },
      note: 'iCloud: use an app-specific password.',
    },
  ],
  [
    /^(fastmail\.(com|fm)|messagingengine\.com)$/,
    { ...fromPreset('fastmail'), oauth2: 'fastmail', note: 'Fastmail: sign in with Fastmail, or use an app password.' },
  ],
  [/^(gmx\.[a-z.]+)$/, { imap: tls('imap.gmx.net'), smtp: { host: 'mail.gmx.net', port: 587, security: 'starttls' } }],
  [/^posteo\.(de|net)$/, { imap: tls('posteo.de'), smtp: { host: 'posteo.de', port: 587, security: 'starttls' } }],
];

export function suggestServers(email: string): ServerSuggestion {
  const domain = email.trim().split('@')[1]?.toLowerCase() ?? '';
  const known = PROVIDERS.find(([re]) => re.test(domain))?.[1];
  if (known) return { ...known, known: true };
  return { imap: tls(`imap.${domain}`), smtp: { host: `smtp.${domain}`, port: 465, security: 'tls' }, known: false };
}
