// What the account row (and the status bar) says about an account: one short line a narrow
// sidebar can show, a longer detail for the tooltip, the icon, what a click does, and a few words
// for the status bar when the account needs the person. Plain data, built from the store's
// state; the VS Code layer only draws it.
import { MailError } from '../errors';
import type { AccountConfig } from '../session/account';
import type { ConnectionState } from '../session/connection';
import type { AccountStatus } from '../sync/store-events';
import type { WatchState } from '../sync/watcher';

export type AccountAction = 'retry' | 'signIn' | 'settings';

export interface AccountLine {
  /** The row's description. */
  text: string;
  /** More for the tooltip (may be empty). */
  detail: string;
  /** A codicon name. */
  icon: 'account' | 'sync~spin' | 'error' | 'key' | 'debug-disconnect' | 'unlock' | 'warning';
  /** Whether the icon is drawn in the error colour. */
  alarming: boolean;
  /** What a click on the row does (none: expand/collapse). */
  action?: AccountAction;
  /** A few words for the status bar when the person has to do something. */
  attention?: string;
}

export interface AccountFacts {
  /** Undefined when the settings entry is unusable (`problem` says why). */
  config?: AccountConfig;
  problem?: string;
  status: AccountStatus;
  connection?: ConnectionState;
  /** The live state of INBOX's watcher, which notices a dropped connection at once. */
  inbox?: WatchState;
  /** Whether the folder list is known (from the server or the cache). */
  hasFolders: boolean;
  unread: number;
}

const PLAINTEXT = 'unencrypted';

function errorLine(error: MailError, config: AccountConfig | undefined): AccountLine {
  const oauth = config?.auth === 'oauth2';
  if (error.kind === 'signInRequired') {
    const revoked = error.details.reason === 'revoked';
    return {
      text: revoked ? 'Sign in again' : 'Not signed in — click to sign in',
      detail: error.message,
      icon: 'key',
      alarming: revoked,
      action: 'signIn',
      attention: revoked ? 'sign in again' : 'not signed in',
    };
  }
  if (error.kind === 'auth' && error.details.missing === true) {
    // No password was given (Escape on the prompt): nothing is wrong, the person has to act.
    return {
      text: 'Not signed in — click to enter the password',
      detail: error.message,
      icon: 'key',
      alarming: false,
      action: 'retry',
      attention: 'password needed',
    };
  }
  if (error.kind === 'auth' && oauth) {
    return {
      text: 'Sign in again',
      detail: error.message,
      icon: 'key',
      alarming: true,
      action: 'signIn',
      attention: 'sign in again',
    };
  }
  if (error.kind === 'auth') {
    return {
      text: 'Wrong password — click to retry',
      detail: error.message,
      icon: 'error',
      alarming: true,
      action: 'retry',
      attention: 'wrong password',
    };
  }
  if (error.kind === 'config') {
    return {
      text: 'Settings problem — click for details',
      detail: error.message,
      icon: 'error',
      alarming: true,
      action: 'settings',
      attention: 'settings problem',
    };
  }
  return {
    text: `${error.message} — click to retry`,
    detail: error.message,
    icon: 'error',
    alarming: true,
    action: 'retry',
    attention: error.transient ? 'cannot connect' : 'needs attention',
  };
}

export function describeAccount(f: AccountFacts): AccountLine {
  if (!f.config)
    return errorLine(new MailError('config', f.problem ?? 'This account is not configured correctly.'), undefined);
  const plaintext = f.config.security === 'plain';
  const mark = (line: AccountLine): AccountLine =>
    plaintext
      ? {
          ...line,
          text: [PLAINTEXT, line.text].filter(Boolean).join(' · '),
          detail: [`Not encrypted: the password and the mail travel in clear text to ${f.config!.host}.`, line.detail]
            .filter(Boolean)
            .join(' '),
          icon: line.icon === 'account' ? 'unlock' : line.icon,
        }
      : line;
  const lost =
    f.inbox?.status === 'reconnecting' ? f.inbox : f.connection?.status === 'reconnecting' ? f.connection : undefined;
  // A command that failed because the server is away while the live connection is already
  // reconnecting says nothing new: the account is disconnected and comes back by itself.
  if (f.status.kind === 'error' && !(lost && f.status.error.transient))
    return mark(errorLine(f.status.error, f.config));
  if (lost) {
    return mark({
      text: 'Disconnected — reconnecting…',
      detail: `${lost.error.message} Next attempt in ${Math.max(1, Math.round(lost.delayMs / 1000))} s.`,
      icon: 'debug-disconnect',
      alarming: false,
    });
  }
  if (f.status.kind === 'connecting' || (f.status.kind === 'idle' && !f.hasFolders)) {
    return mark({ text: 'Connecting…', detail: '', icon: 'sync~spin', alarming: false });
  }
  const unread = f.unread ? `${f.unread} unread` : '';
  if (f.inbox?.status === 'failed') {
    return mark({
      text: ['live updates stopped — Refresh to retry', unread].filter(Boolean).join(' · '),
      detail: `Live updates stopped: ${f.inbox.error.message}`,
      icon: 'warning',
      alarming: false,
    });
  }
  return mark({ text: unread, detail: '', icon: 'account', alarming: false });
}
