// The accounts of `mailroom.accounts` and their stores, adapted to VS Code: settings become the
// store's options (read again at each use), SecretStorage answers its password questions and
// forgets a password the server refused, and the stores' events become one VS Code event. The
// mail state itself lives in the core (src/core/sync/store.ts).
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import type { AccountStatus, StoreEvent } from '../core/sync/store-events';
import { AccountStore, type StoreSettings } from '../core/sync/store';
import { UndoLog } from '../core/sync/undo';
import type { Logger } from '../core/log';
import { type AccountLine, describeAccount } from '../core/setup/account-state';
import { Disposable } from './disposable';
import type { PasswordStore } from './secrets';
import type { SignIns } from './signIn';
import { type AccountEntry, readAccounts, settings } from './settings';

/** One entry of `mailroom.accounts`: its store, or why it has none. */
export class Account {
  readonly store: AccountStore | undefined;

  constructor(
    readonly entry: AccountEntry,
    store: AccountStore | undefined,
  ) {
    this.store = store;
  }

  get name(): string {
    return this.entry.name;
  }

  get status(): AccountStatus {
    return this.store?.status ?? { kind: 'error', error: this.configProblem() };
  }

  private configProblem(): MailError {
    return new MailError('config', this.entry.problem ?? 'This account is not configured correctly.');
  }

  /** The account's store, or a precise error why there is none. */
  requireStore(): AccountStore {
    if (!this.store) throw this.configProblem();
    return this.store;
  }
}

/** What the account row and the status bar say about an account now. */
export function accountLine(account: Account): AccountLine {
  const store = account.store;
  const config = account.entry.config;
  const inbox = store?.liveState('INBOX');
  const connection = store?.connectionState;
  return describeAccount({
    ...(config ? { config } : {}),
    ...(account.entry.problem ? { problem: account.entry.problem } : {}),
    status: account.status,
    ...(connection ? { connection } : {}),
    ...(inbox ? { inbox } : {}),
    hasFolders: Boolean(store?.folders),
    unread: store?.folder('INBOX')?.counts?.unseen ?? 0,
  });
}

export type ModelEvent = { kind: 'accounts' } | { kind: 'store'; account: Account; event: StoreEvent };

/** The store's settings, read from VS Code each time the store asks. */
function storeSettings(): StoreSettings {
  return {
    pageSize: settings.pageSize(),
    pollIntervalMs: settings.pollIntervalSeconds() * 1000,
    cacheSizeBytes: settings.cacheSizeMB() * 1024 * 1024,
    confirmPermanentDelete: settings.confirmDelete(),
  };
}

export class MailModel extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<ModelEvent>());
  readonly onDidChange = this.emitter.event;
  /** "Undo Last Action" is the last action of any account. */
  readonly undo = new UndoLog();
  private models: Account[] = [];
  private readonly subscriptions = new Map<Account, { dispose(): void }>();

  constructor(
    private readonly passwords: PasswordStore,
    private readonly logger: Logger,
    private readonly traceProtocol: () => boolean,
    private readonly cacheDir?: string,
    private readonly signIns?: SignIns,
  ) {
    super();
    this.reload();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mailroom.accounts')) this.reload();
      }),
    );
  }

  get accounts(): readonly Account[] {
    return this.models;
  }

  account(name: string): Account | undefined {
    return this.models.find((a) => a.name === name);
  }

  /** Rebuilds accounts whose settings changed; keeps the others (and their connections). */
  reload(): void {
    const next: Account[] = [];
    const keep = new Map(this.models.map((m) => [JSON.stringify(m.entry.raw), m]));
    for (const entry of readAccounts()) {
      const key = JSON.stringify(entry.raw);
      const existing = keep.get(key);
      if (existing) {
        keep.delete(key);
        next.push(existing);
      } else {
        next.push(this.create(entry));
      }
    }
    for (const old of keep.values()) this.drop(old);
    this.models = next;
    void vscode.commands.executeCommand('setContext', 'mailroom.hasAccounts', next.length > 0);
    this.emitter.fire({ kind: 'accounts' });
  }

  private create(entry: AccountEntry): Account {
    const config = entry.config;
    if (!config) return new Account(entry, undefined);
    // One redactor per account, shared by its token source and its connections: every secret
    // either of them learns is masked in every log line of the account.
    const redactor = this.signIns?.redactor(config.name);
    const tokens = config.auth === 'oauth2' ? this.signIns?.tokens(config) : undefined;
    const store = new AccountStore({
      account: config,
      ...(tokens ? { tokens } : {}),
      ...(redactor ? { connection: { redactor } } : {}),
      logger: this.logger,
      settings: storeSettings,
      // The account itself, or its SMTP entry "<name> (SMTP)" when the SMTP user differs.
      password: (asked) => this.passwords.getOrAsk(asked),
      forgetPassword: (a) => this.passwords.delete(a),
      ...(this.cacheDir ? { cacheDir: this.cacheDir } : {}),
      undo: this.undo,
      traceProtocol: this.traceProtocol(),
    });
    const account = new Account(entry, store);
    this.subscriptions.set(
      account,
      store.onDidChange((event) => this.emitter.fire({ kind: 'store', account, event })),
    );
    return account;
  }

  private drop(account: Account): void {
    this.subscriptions.get(account)?.dispose();
    this.subscriptions.delete(account);
    account.store?.dispose();
  }

  /** "Clear Cache": forgets cached folders, messages and bodies of every account. */
  async clearCache(): Promise<void> {
    for (const m of this.models) await m.store?.clearCache();
  }

  override dispose(): void {
    for (const m of this.models) this.drop(m);
    super.dispose();
  }
}
