// The Add Account flow without its widgets: which questions are asked for the answers given so
// far (so the step counter is honest and Back returns to the question before, its answer kept),
// what each question suggests, and the account that results. The VS Code layer draws the steps
// (src/extension/commands/addAccount.ts).
import { OAUTH2_PRESETS, type OAuth2Provider } from '../auth/presets';
import type { OAuth2Settings } from '../auth/settings';
import { type AccountConfig, type Security, type SmtpSecurity, validateAccount } from '../session/account';
import { uniqueAccountName } from './account-entry';
import { SMTP_PORTS, suggestServers } from './providers';

export type SignInMethod = 'password' | OAuth2Provider | 'custom';

export type StepId =
  | 'email'
  | 'method'
  | 'issuer'
  | 'clientId'
  | 'clientSecret'
  | 'scopes'
  | 'host'
  | 'security'
  | 'port'
  | 'user'
  | 'password'
  | 'smtpHost'
  | 'smtpSecurity'
  | 'smtpPort'
  | 'smtpUser'
  | 'smtpPassword';

export interface Answers {
  email?: string;
  method?: SignInMethod;
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  /** Space-separated. */
  scopes?: string;
  host?: string;
  security?: Security;
  port?: string;
  user?: string;
  password?: string;
  /** Empty: no SMTP (the account reads mail but cannot send). */
  smtpHost?: string;
  smtpSecurity?: SmtpSecurity;
  smtpPort?: string;
  smtpUser?: string;
  smtpPassword?: string;
}

const isPreset = (m: SignInMethod | undefined): m is OAuth2Provider =>
  m === 'microsoft' || m === 'google' || m === 'fastmail';

/** The questions for these answers, in order. Questions not reached yet are assumed at their defaults. */
export function stepsFor(a: Answers): StepId[] {
  const steps: StepId[] = ['email', 'method'];
  const method = a.method ?? defaultMethod(a.email ?? '');
  if (isPreset(method)) {
    // A preset knows the servers and the scopes: only the application is missing.
    steps.push('clientId');
    if (OAUTH2_PRESETS[method].clientSecret === 'required') steps.push('clientSecret');
    return steps;
  }
  if (method === 'custom') steps.push('issuer', 'clientId', 'scopes');
  steps.push('host', 'security', 'port', 'user');
  if (method === 'password') steps.push('password');
  steps.push('smtpHost');
  if ((a.smtpHost ?? defaults(a).smtpHost) === '') return steps;
  steps.push('smtpSecurity', 'smtpPort');
  if (method === 'password') {
    steps.push('smtpUser');
    const smtpUser = a.smtpUser ?? defaults(a).smtpUser;
    if (smtpUser !== (a.user ?? defaults(a).user)) steps.push('smtpPassword');
  }
  return steps;
}

/** Sign in where the provider has a preset; a password elsewhere. */
export function defaultMethod(email: string): SignInMethod {
  return suggestServers(email).oauth2 ?? 'password';
}

/** What each question proposes before the person answers it. */
export function defaults(
  a: Answers,
): Required<
  Pick<
    Answers,
    'host' | 'security' | 'port' | 'user' | 'smtpHost' | 'smtpSecurity' | 'smtpPort' | 'smtpUser' | 'scopes'
  >
> {
  const email = (a.email ?? '').trim();
  const s = suggestServers(email);
  const security = a.security ?? s.imap.security;
  const port = security === s.imap.security ? s.imap.port : security === 'tls' ? 993 : 143;
  const smtpSecurity = a.smtpSecurity ?? s.smtp.security;
  const smtpPort = smtpSecurity === s.smtp.security ? s.smtp.port : SMTP_PORTS[smtpSecurity];
  const user = a.user ?? email;
  return {
    host: s.imap.host,
    security,
    port: String(port),
    user: email,
    smtpHost: s.smtp.host,
    smtpSecurity,
    smtpPort: String(smtpPort),
    smtpUser: user,
    scopes: 'openid offline_access',
  };
}

/**
 * A changed answer makes the answers that were derived from it stale: a new address suggests new
 * servers, another security another port. Returns the answers to keep.
 */
export function answer<K extends keyof Answers>(a: Answers, key: K, value: Answers[K]): Answers {
  const next: Answers = { ...a, [key]: value };
  if (a[key] === value) return next;
  if (key === 'email') {
    const domain = (v?: string) => v?.trim().split('@')[1]?.toLowerCase();
    if (domain(a.email) !== domain(value as string)) {
      for (const k of ['method', 'host', 'security', 'port', 'smtpHost', 'smtpSecurity', 'smtpPort'] as const)
        delete next[k];
    }
    delete next.user;
    delete next.smtpUser;
  }
  if (key === 'security') delete next.port;
  if (key === 'smtpSecurity') delete next.smtpPort;
  if (key === 'user') delete next.smtpUser;
  return next;
}

/** The account these answers describe, validated as settings are; a name no other account has. */
export function accountFrom(a: Answers, takenNames: Iterable<string>): AccountConfig {
  const email = (a.email ?? '').trim();
  const d = defaults(a);
  const method = a.method ?? defaultMethod(email);
  const name = uniqueAccountName(email, takenNames);
  if (isPreset(method)) {
    const preset = OAUTH2_PRESETS[method];
    const oauth2: OAuth2Settings = { provider: method, clientId: (a.clientId ?? '').trim() };
    if (a.clientSecret?.trim()) oauth2.clientSecret = a.clientSecret.trim();
    return validateAccount({
      name,
      host: preset.imap.host,
      port: preset.imap.port,
      security: preset.imap.security,
      user: email,
      auth: 'oauth2',
      oauth2,
      smtp: { ...preset.smtp },
    });
  }
  const security = a.security ?? d.security;
  const user = (a.user ?? d.user).trim();
  const smtpHost = (a.smtpHost ?? d.smtpHost).trim();
  const smtpUser = (a.smtpUser ?? d.smtpUser).trim();
  return validateAccount({
    name,
    host: (a.host ?? d.host).trim(),
    port: Number(a.port ?? d.port),
    security,
    user,
    ...(security === 'plain' ? { allowPlaintext: true } : {}),
    ...(method === 'custom'
      ? {
          auth: 'oauth2',
          oauth2: {
            issuer: (a.issuer ?? '').trim(),
            clientId: (a.clientId ?? '').trim(),
            scopes: (a.scopes ?? d.scopes).split(/\s+/).filter(Boolean),
          },
        }
      : {}),
    ...(smtpHost
      ? {
          smtp: {
            host: smtpHost,
            port: Number(a.smtpPort ?? d.smtpPort),
            security: a.smtpSecurity ?? d.smtpSecurity,
            ...(method === 'password' && smtpUser && smtpUser !== user ? { user: smtpUser } : {}),
          },
        }
      : {}),
  });
}
