// Passwords live only in SecretStorage. When an account has none, the user is asked once and the
// answer is stored; a wrong one is forgotten so the next attempt asks again.
import * as vscode from 'vscode';
import type { AccountConfig } from '../core/session/account';
import { input, label } from './ui';

const key = (account: Pick<AccountConfig, 'name'>) => `mailroom.password.${account.name}`;

export class PasswordStore {
  private readonly asking = new Map<string, Promise<string | undefined>>();
  /** One prompt at a time: a second input box would cancel the first. */
  private promptChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(account: AccountConfig): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(key(account)));
  }

  set(account: Pick<AccountConfig, 'name'>, password: string): Promise<void> {
    return Promise.resolve(this.secrets.store(key(account), password));
  }

  delete(account: Pick<AccountConfig, 'name'>): Promise<void> {
    return Promise.resolve(this.secrets.delete(key(account)));
  }

  /** The stored password, or one the user types now (asked once even if many connections need it). */
  async getOrAsk(account: AccountConfig): Promise<string | undefined> {
    const stored = await this.get(account);
    if (stored) return stored;
    let pending = this.asking.get(account.name);
    if (!pending) {
      pending = this.promptChain.then(() => this.ask(account)).finally(() => this.asking.delete(account.name));
      this.promptChain = pending.catch(() => undefined);
      this.asking.set(account.name, pending);
    }
    return pending;
  }

  private async ask(account: AccountConfig): Promise<string | undefined> {
    const password = await input({
      title: label`Mailroom: ${account.name}`,
      prompt: label`Password for ${account.user} on ${account.host}`,
      password: true,
      ignoreFocusOut: true,
    });
    if (password) await this.set(account, password);
    return password || undefined;
  }
}
