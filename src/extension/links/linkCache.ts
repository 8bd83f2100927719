// What a hover needs to describe a message link without a network round trip (and offline):
// subject, sender and date, remembered when a link is created or opened. Bounded LRU in globalState.
import type * as vscode from 'vscode';

export interface LinkInfo {
  subject: string;
  from: string;
  date?: string;
  mailbox?: string;
}

const KEY = 'mailroom.linkCache';
const MAX = 2000;

export class LinkCache {
  constructor(private readonly state: vscode.Memento) {}

  private key(account: string, messageId: string): string {
    return `${account}\u0000${messageId}`;
  }

  get(account: string, messageId: string): LinkInfo | undefined {
    return this.state.get<Record<string, LinkInfo>>(KEY, {})[this.key(account, messageId)];
  }

  /** A linked message was moved: hovers say where it is now. */
  async moved(account: string, messageId: string, mailbox: string): Promise<void> {
    const info = this.get(account, messageId);
    if (info && info.mailbox !== mailbox) await this.set(account, messageId, { ...info, mailbox });
  }

  async set(account: string, messageId: string, info: LinkInfo): Promise<void> {
    const all = { ...this.state.get<Record<string, LinkInfo>>(KEY, {}) };
    const k = this.key(account, messageId);
    delete all[k];
    all[k] = info;
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX))) delete all[old];
    await this.state.update(KEY, all);
  }
}
