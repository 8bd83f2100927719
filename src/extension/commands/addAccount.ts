// Add Account: the questions of src/core/setup/add-account.ts as one multi-step QuickInput (Back
// keeps every answer), then the sign-in for OAuth2 accounts, then Test Connection of IMAP and
// SMTP. A certificate refused for want of its CA offers "Choose CA File…"; an unencrypted
// connection to another machine needs a yes in a modal that names the host. Nothing is written
// to the settings before the person saw the test's outcome.
import * as vscode from 'vscode';
import { OAUTH2_PRESETS, type OAuth2Provider } from '../../core/auth/presets';
import { isMailError, MailError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { accountEntry } from '../../core/setup/account-entry';
import {
  accountFrom,
  answer,
  type Answers,
  defaultMethod,
  defaults,
  type SignInMethod,
  type StepId,
  stepsFor,
} from '../../core/setup/add-account';
import { isThisMachine } from '../../core/setup/local-host';
import { suggestServers } from '../../core/setup/providers';
import { describeResult, needsCaFile, passed, testConnection } from '../../core/setup/test-connection';
import type { AccountConfig, Security, SmtpSecurity } from '../../core/session/account';
import { BACK, MultiStep } from '../multiStep';
import { readAccounts, writeAccounts } from '../settings';
import { ask, label, type LabelText, message, notificationProgress, notify, type PickItem } from '../ui';
import type { CommandContext } from './context';

const TITLE = 'Add Mail Account';
const HOST = /^[A-Za-z0-9.\-:[\]]+$/;
const PORT = (v: string) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number from 1 to 65535');

interface MethodItem extends PickItem {
  method: SignInMethod;
}
interface SecurityItem extends PickItem {
  security: Security;
}
interface SmtpSecurityItem extends PickItem {
  security: SmtpSecurity;
}

function methodItems(email: string): MethodItem[] {
  const suggested = suggestServers(email).oauth2;
  const presets = (Object.keys(OAUTH2_PRESETS) as OAuth2Provider[]).map((p): MethodItem => ({
    label: label`Sign in with ${OAUTH2_PRESETS[p].label}`,
    ...(p === suggested ? { description: label`suggested for this address` } : {}),
    detail: label`${OAUTH2_PRESETS[p].setupHint}`,
    method: p,
  }));
  const password: MethodItem = {
    label: label`Password`,
    description: label`IMAP and SMTP server with a password (or an app password)`,
    method: 'password',
  };
  const custom: MethodItem = {
    label: label`Sign in with another OAuth 2.0 server…`,
    description: label`your organisation's issuer URL and client id`,
    method: 'custom',
  };
  const first = presets.filter((i) => i.method === suggested);
  return [...first, password, ...presets.filter((i) => i.method !== suggested), custom];
}

const SECURITY: SecurityItem[] = [
  { label: label`TLS`, description: label`IMAPS, usually port 993 (recommended)`, security: 'tls' },
  { label: label`STARTTLS`, description: label`upgrade to TLS, usually port 143`, security: 'starttls' },
  {
    label: label`None (no TLS)`,
    description: label`password and mail in clear text — only for a server on this machine`,
    security: 'plain',
  },
];

const SMTP_SECURITY: SmtpSecurityItem[] = [
  { label: label`TLS`, description: label`implicit TLS, usually port 465`, security: 'tls' },
  { label: label`STARTTLS`, description: label`upgrade to TLS, usually port 587`, security: 'starttls' },
];

/** Asks one question; returns the new answers, BACK, or undefined (Escape). */
async function askStep(
  steps: MultiStep,
  id: StepId,
  a: Answers,
  at: { step: number; total: number },
): Promise<Answers | typeof BACK | undefined> {
  const d = defaults(a);
  const text = async (
    key: keyof Answers,
    prompt: LabelText,
    value: string,
    opts: { password?: boolean; validate?: (v: string) => string | undefined } = {},
  ) => {
    const v = await steps.input(at, { prompt, value, ...opts });
    return v === BACK || v === undefined ? v : answer(a, key, v.trim() as never);
  };
  switch (id) {
    case 'email':
      return text('email', label`Email address`, a.email ?? '', {
        validate: (v) =>
          /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.trim()) ? undefined : 'Enter an address like you@example.com',
      });
    case 'method': {
      const current = a.method ?? defaultMethod(a.email ?? '');
      const chosen = await steps.pick(at, {
        placeholder: label`How do you sign in to ${a.email ?? ''}?`,
        items: methodItems(a.email ?? ''),
        active: (i) => i.method === current,
      });
      return chosen === BACK || chosen === undefined ? chosen : answer(a, 'method', chosen.method);
    }
    case 'issuer':
      return text('issuer', label`Issuer URL of the OAuth 2.0 / OpenID Connect server (https://…)`, a.issuer ?? '', {
        validate: (v) => (/^https:\/\/[^\s]+$/.test(v.trim()) ? undefined : 'An https:// URL'),
      });
    case 'clientId': {
      const preset = a.method && a.method in OAUTH2_PRESETS ? OAUTH2_PRESETS[a.method as OAuth2Provider] : undefined;
      return text(
        'clientId',
        preset
          ? label`Client id of your application at ${preset.label} — ${preset.setupHint}`
          : label`Client id of the application registered at that server`,
        a.clientId ?? '',
        { validate: (v) => (v.trim() ? undefined : 'The client id is required') },
      );
    }
    case 'clientSecret':
      return text(
        'clientSecret',
        label`Client secret of that desktop client (Google issues one; it is not confidential)`,
        a.clientSecret ?? '',
        {
          password: true,
          validate: (v) => (v.trim() ? undefined : 'Google wants the client secret back'),
        },
      );
    case 'scopes':
      return text(
        'scopes',
        label`Scopes, separated by spaces (include the one for refresh tokens)`,
        a.scopes ?? d.scopes,
        {
          validate: (v) => (v.trim() ? undefined : 'At least one scope'),
        },
      );
    case 'host': {
      const note = suggestServers(a.email ?? '').note;
      return text('host', note ? label`IMAP server — ${note}` : label`IMAP server`, a.host ?? d.host, {
        validate: (v) => (HOST.test(v.trim()) ? undefined : 'A host name or address'),
      });
    }
    case 'security': {
      for (;;) {
        const chosen = await steps.pick(at, {
          placeholder: label`Connection security of ${a.host ?? d.host}`,
          items: SECURITY,
          active: (i) => i.security === (a.security ?? d.security),
        });
        if (chosen === BACK || chosen === undefined) return chosen;
        const host = a.host ?? d.host;
        if (chosen.security === 'plain' && !isThisMachine(host)) {
          const ok = await ask(
            message`Send your password and mail to ${host} unencrypted?`,
            {
              detail: message`${host} is not this machine: anyone on the network in between can read your password and your mail. Choose TLS or STARTTLS unless you are sure.`,
            },
            'Send Unencrypted',
          );
          if (ok !== 'Send Unencrypted') continue;
        }
        return answer(a, 'security', chosen.security);
      }
    }
    case 'port':
      return text('port', label`IMAP port`, a.port ?? d.port, { validate: PORT });
    case 'user':
      return text('user', label`User name at ${a.host ?? d.host}`, a.user ?? d.user, {
        validate: (v) => (v.trim() ? undefined : 'The user name is required'),
      });
    case 'password':
      return text('password', label`Password for ${a.user ?? d.user} on ${a.host ?? d.host}`, a.password ?? '', {
        password: true,
        validate: (v) => (v ? undefined : 'The password is required (Escape cancels)'),
      });
    case 'smtpHost':
      return text(
        'smtpHost',
        label`SMTP server for sending (empty: this account only reads mail)`,
        a.smtpHost ?? d.smtpHost,
        { validate: (v) => (v.trim() === '' || HOST.test(v.trim()) ? undefined : 'A host name or address') },
      );
    case 'smtpSecurity': {
      const chosen = await steps.pick(at, {
        placeholder: label`Security of ${a.smtpHost ?? d.smtpHost} (submission is always encrypted)`,
        items: SMTP_SECURITY,
        active: (i) => i.security === (a.smtpSecurity ?? d.smtpSecurity),
      });
      return chosen === BACK || chosen === undefined ? chosen : answer(a, 'smtpSecurity', chosen.security);
    }
    case 'smtpPort':
      return text('smtpPort', label`SMTP port`, a.smtpPort ?? d.smtpPort, { validate: PORT });
    case 'smtpUser':
      return text('smtpUser', label`SMTP user name (usually the IMAP user)`, a.smtpUser ?? d.smtpUser, {
        validate: (v) => (v.trim() ? undefined : 'The user name is required'),
      });
    case 'smtpPassword':
      return text(
        'smtpPassword',
        label`Password for ${a.smtpUser ?? d.smtpUser} on ${a.smtpHost ?? d.smtpHost}`,
        a.smtpPassword ?? '',
        {
          password: true,
          validate: (v) => (v ? undefined : 'The password is required (Escape cancels)'),
        },
      );
  }
}

/** Walks the steps from `start` (an index) until the last is answered; undefined on Escape. */
async function askAnswers(a: Answers, start = 0): Promise<Answers | undefined> {
  const steps = new MultiStep(TITLE);
  let i = start;
  for (;;) {
    const list = stepsFor(a);
    if (i >= list.length) return a;
    const next = await askStep(steps, list[i]!, a, { step: i + 1, total: list.length });
    if (next === undefined) return undefined;
    if (next === BACK) {
      i = Math.max(0, i - 1);
      continue;
    }
    a = next;
    i++;
  }
}

export async function addAccount(ctx: CommandContext, logger: Logger): Promise<void> {
  let answers: Answers | undefined = {};
  let start = 0;
  let signedIn: AccountConfig | undefined;
  /** Chosen after a refused certificate: kept when the person edits other answers. */
  let caFile: string | undefined;
  for (;;) {
    answers = await askAnswers(answers, start);
    if (!answers) break;
    let config = accountFrom(
      answers,
      readAccounts().map((e) => e.name),
    );
    if (caFile) config = { ...config, caFile };
    const who = (c: AccountConfig) => JSON.stringify([c.name, c.user, c.oauth2]);
    if (signedIn && (config.auth !== 'oauth2' || who(signedIn) !== who(config))) {
      await ctx.signIns.forget(signedIn.name);
      signedIn = undefined;
    }
    if (config.auth === 'oauth2' && !signedIn) {
      const outcome = await signInOnce(ctx, config);
      if (outcome === 'cancelled') break;
      if (outcome === 'edit') {
        start = stepsFor(answers).length - 1;
        continue;
      }
      config = outcome;
      if (config.caFile) caFile = config.caFile;
      signedIn = config;
    }
    const tokens = config.auth === 'oauth2' ? ctx.signIns.tokens(config) : undefined;
    for (;;) {
      const result = await notificationProgress(message`Testing IMAP and SMTP of ${config.name}…`, () =>
        testConnection(
          config,
          {
            ...(answers!.password ? { password: answers!.password } : {}),
            ...(answers!.smtpPassword ? { smtpPassword: answers!.smtpPassword } : {}),
            ...(tokens ? { tokens } : {}),
          },
          { logger, redactor: ctx.signIns.redactor(config.name) },
        ),
      );
      const lines = describeResult(config, result).join(' ');
      if (passed(result)) {
        await save(ctx, config, answers);
        void notify.info(message`Added ${config.name}. ${lines}`);
        return;
      }
      const caChoice = 'Choose CA File…';
      const choice = await notify.error(
        message`Test Connection: ${lines}`,
        ...(needsCaFile(result) ? [caChoice] : []),
        'Edit',
        'Save Anyway',
      );
      if (choice === caChoice) {
        const file = await chooseCaFile(config.host);
        if (file) {
          caFile = file;
          config = { ...config, caFile };
        }
        continue;
      }
      if (choice === 'Save Anyway') {
        await save(ctx, config, answers);
        void notify.info(message`Added ${config.name}; it will connect once the problem is fixed.`);
        return;
      }
      if (choice === 'Edit') break;
      // Dismissed: nothing is saved.
      if (signedIn) await ctx.signIns.forget(signedIn.name);
      return;
    }
    if (answers === undefined) break;
    // "Edit": back to the last question, every answer kept.
    start = stepsFor(answers).length - 1;
  }
  if (signedIn) await ctx.signIns.forget(signedIn.name);
}

async function chooseCaFile(host: string): Promise<string | undefined> {
  const files = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectMany: false,
    openLabel: 'Trust This CA',
    title: `CA certificate (PEM) that signed the certificate of ${host}`,
    filters: { 'PEM certificates': ['pem', 'crt', 'cer'], 'All files': ['*'] },
  });
  return files?.[0]?.fsPath;
}

/**
 * Signs the new account in. A sign-in server whose certificate has no trusted CA (a company's)
 * offers the CA file too: the same file then serves the sign-in and the mail servers.
 */
async function signInOnce(ctx: CommandContext, config: AccountConfig): Promise<AccountConfig | 'cancelled' | 'edit'> {
  for (;;) {
    try {
      return (await ctx.signIns.signIn(config)) ? config : 'cancelled';
    } catch (err) {
      const e = isMailError(err) ? err : new MailError('oauthToken', (err as Error)?.message ?? String(err));
      const caChoice = 'Choose CA File…';
      const choice = await notify.error(
        message`Sign-in failed: ${e.message}`,
        ...(e.kind === 'certUntrusted' ? [caChoice] : []),
        'Try Again',
        'Edit',
      );
      if (choice === caChoice) {
        const file = await chooseCaFile(config.oauth2?.issuer ?? config.host);
        if (file) config = { ...config, caFile: file };
        continue;
      }
      if (choice === 'Try Again') continue;
      return choice === 'Edit' ? 'edit' : 'cancelled';
    }
  }
}

async function save(ctx: CommandContext, config: AccountConfig, answers: Answers): Promise<void> {
  if (answers.password) await ctx.passwords.set(config, answers.password);
  if (answers.smtpPassword && config.smtp?.user)
    await ctx.passwords.set({ name: `${config.name} (SMTP)` }, answers.smtpPassword);
  await writeAccounts([...readAccounts().map((e) => e.raw), accountEntry(config)]);
}
