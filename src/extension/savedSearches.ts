// Searches over several folders and accounts, and the saved ones of `mailroom.savedSearches`
// (shown as nodes in the Mailboxes view; "Unified Inbox" is the preset). One way to search many
// folders: each account's server searches its folders (UID SEARCH), the results are merged
// newest first and say where each message is.
import * as vscode from 'vscode';
import type { MailboxInfo } from '../core/mailbox/mailboxes';
import type { ReadonlySummary } from '../core/mailbox/messages';
import { parseSearchText, type SearchQuery } from '../core/mailbox/search';
import { freezeSummary } from '../core/sync/folder-state';
import { Disposable } from './disposable';
import type { Account, MailModel } from './model';

export interface SavedSearch {
  readonly name: string;
  /** Search Mail's query language; empty lists every message. */
  readonly query: string;
  /** Account names; all accounts when missing. */
  readonly accounts?: readonly string[];
  /** Folder paths, or "all" (every folder but All Mail, which repeats the others); INBOX when missing. */
  readonly folders?: readonly string[] | 'all';
}

export interface FoundMessage {
  readonly account: Account;
  readonly message: ReadonlySummary;
}

export interface SearchEverywhereResult {
  readonly messages: readonly FoundMessage[];
  /** Matches in all the folders together (more than `messages` when cut at the limit). */
  readonly total: number;
  /** Folders that could not be searched, and why. */
  readonly problems: readonly string[];
}

/** Where to search: every folder but All Mail (which holds the others again) for "all". */
export function searchablePaths(folders: readonly MailboxInfo[], wanted: readonly string[] | 'all'): string[] {
  const selectable = folders.filter((f) => f.selectable);
  if (wanted === 'all') return selectable.filter((f) => f.specialUse !== 'all').map((f) => f.path);
  return selectable.filter((f) => wanted.includes(f.path)).map((f) => f.path);
}

/** Searches these folders of these accounts; the newest `limit` matches first, each saying where it is. */
export async function searchEverywhere(
  scope: ReadonlyArray<{ account: Account; folders: readonly string[] | 'all' }>,
  query: SearchQuery,
  limit = 100,
): Promise<SearchEverywhereResult> {
  const found: FoundMessage[] = [];
  const problems: string[] = [];
  let total = 0;
  for (const { account, folders } of scope) {
    const store = account.store;
    if (!store) continue;
    const paths = searchablePaths(await store.loadFolders(), folders);
    if (!paths.length) continue;
    const result = await store.mail.searchFolders(paths, query, { limit });
    // Shown outside the loaded pages: the store keeps their flags up to date.
    store.track(result.messages);
    total += result.total;
    for (const f of result.folders) if (f.error) problems.push(`${account.name} / ${f.mailbox}: ${f.error}`);
    for (const m of result.messages) found.push({ account, message: freezeSummary(m) });
  }
  found.sort((a, b) => b.message.date.localeCompare(a.message.date));
  return { messages: found.slice(0, limit), total, problems };
}

/** A saved search's query (an empty one lists everything). */
export function savedQuery(s: SavedSearch): SearchQuery {
  return s.query.trim() ? parseSearchText(s.query) : { all: true };
}

function isSavedSearch(v: unknown): v is SavedSearch {
  const s = v as SavedSearch;
  return (
    !!s &&
    typeof s.name === 'string' &&
    s.name.trim() !== '' &&
    typeof (s.query ?? '') === 'string' &&
    (s.accounts === undefined || (Array.isArray(s.accounts) && s.accounts.every((a) => typeof a === 'string'))) &&
    (s.folders === undefined ||
      s.folders === 'all' ||
      (Array.isArray(s.folders) && s.folders.every((f) => typeof f === 'string')))
  );
}

export class SavedSearches extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<string>());
  /** A saved search's results may have changed (mail arrived in or left one of its folders). */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly model: MailModel) {
    super();
    this._register(
      model.onDidChange((e) => {
        if (e.kind !== 'store' || e.event.kind !== 'messages') return;
        const { path, added, removed } = e.event;
        if (!added.length && !removed.length) return;
        for (const s of this.list()) if (this.covers(s, e.account, path)) this.emitter.fire(s.name);
      }),
    );
  }

  /** The valid entries of the setting (unique names, the first wins). */
  list(): SavedSearch[] {
    const raw = vscode.workspace.getConfiguration('mailroom').get<unknown[]>('savedSearches', []);
    const seen = new Set<string>();
    return (Array.isArray(raw) ? raw : []).filter(isSavedSearch).filter((s) => {
      if (seen.has(s.name)) return false;
      seen.add(s.name);
      return true;
    });
  }

  private accountsOf(s: SavedSearch): Account[] {
    return this.model.accounts.filter((a) => a.store && (!s.accounts || s.accounts.includes(a.name)));
  }

  private covers(s: SavedSearch, account: Account, path: string): boolean {
    if (!this.accountsOf(s).includes(account)) return false;
    const folders = s.folders ?? ['INBOX'];
    return folders === 'all' || folders.includes(path);
  }

  /** "Inbox · all accounts", "all folders · Work". */
  scopeText(s: SavedSearch): string {
    const folders = s.folders ?? ['INBOX'];
    const where =
      folders === 'all' ? 'all folders' : folders.map((f) => (f.toUpperCase() === 'INBOX' ? 'Inbox' : f)).join(', ');
    return `${where} · ${s.accounts ? s.accounts.join(', ') : 'all accounts'}`;
  }

  results(s: SavedSearch, limit = 100): Promise<SearchEverywhereResult> {
    return searchEverywhere(
      this.accountsOf(s).map((account) => ({ account, folders: s.folders ?? ['INBOX'] })),
      savedQuery(s),
      limit,
    );
  }
}
