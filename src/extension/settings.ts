// Reading `mailroom.*` settings. Accounts are validated by the core; an invalid entry is reported
// with the reason instead of silently ignored.
import * as vscode from 'vscode';
import { type AccountConfig, validateAccount } from '../core/session/account';
import { isMailError } from '../core/errors';

export interface AccountEntry {
  config?: AccountConfig;
  /** Why the entry cannot be used. */
  problem?: string;
  raw: unknown;
  name: string;
}

const section = () => vscode.workspace.getConfiguration('mailroom');

export function readAccounts(): AccountEntry[] {
  const raw = section().get<unknown[]>('accounts', []);
  const seen = new Set<string>();
  return (Array.isArray(raw) ? raw : []).map((entry, i) => {
    const name =
      typeof (entry as { name?: unknown })?.name === 'string' ? (entry as { name: string }).name : `Account ${i + 1}`;
    try {
      const config = validateAccount(entry);
      if (seen.has(config.name))
        return { raw: entry, name, problem: `Two accounts are named "${config.name}"; names must be unique.` };
      seen.add(config.name);
      return { raw: entry, name, config };
    } catch (err) {
      return { raw: entry, name, problem: isMailError(err) ? err.message : String(err) };
    }
  });
}

export async function writeAccounts(entries: unknown[]): Promise<void> {
  await section().update('accounts', entries, vscode.ConfigurationTarget.Global);
}

/**
 * A setting that guards the user (package.json gives it `application` or `machine` scope, so VS
 * Code already ignores workspace values): read from the user's own settings only, so that no
 * repository's .vscode/settings.json can change it whatever VS Code does with the scope.
 */
function userSetting<T>(key: string, fallback: T): T {
  const inspected = section().inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

export const settings = {
  markReadOnOpen: () => section().get<boolean>('markReadOnOpen', true),
  pageSize: () => Math.max(10, Math.min(500, section().get<number>('pageSize', 50))),
  notifications: () => section().get<boolean>('notifications', true),
  pollIntervalSeconds: () => Math.max(15, section().get<number>('pollIntervalSeconds', 120)),
  confirmDelete: () => userSetting('confirmPermanentDelete', true),
  cacheSizeMB: () => Math.max(0, userSetting('cacheSizeMB', 100)),
  composeFormat: (): 'markdown' | 'plain' =>
    section().get<string>('compose.format') === 'plain' ? 'plain' : 'markdown',
  forwardAs: (): 'inline' | 'attachment' =>
    section().get<string>('compose.forwardAs') === 'attachment' ? 'attachment' : 'inline',
  undoSendSeconds: () => Math.max(0, Math.min(60, section().get<number>('compose.undoSendSeconds', 5))),
  saveSentCopy: () => section().get<boolean>('saveSentCopy', true),
  /** A command Mailroom runs: never from a workspace. */
  addressBookCommand: () => userSetting<string>('addressBookCommand', '').trim(),
};
