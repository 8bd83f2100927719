// The composer's language features: live diagnostics (the same checks Send runs, debounced while
// typing), address completion in To/Cc/Bcc/Reply-To from every account's cached envelopes (most
// frequent and recent first) plus `mailroom.addressBookCommand`, and the Send / Save Draft /
// Attach / Discard CodeLens on the first line.
import * as vscode from 'vscode';
import { formatAddress } from '../../core/compose/addresses';
import { AddressIndex, type AddressCandidate, runAddressBook } from '../../core/compose/completion';
import { checkMessage } from '../../core/compose/send';
import { plainText } from '../../core/text/untrusted-text';
import { Disposable } from '../disposable';
import { Command } from '../commands/ids';
import type { MailModel } from '../model';
import { settings } from '../settings';
import { COMPOSE_LANGUAGE, COMPOSE_SCHEME, composerId } from './composerFiles';
import type { Composers } from './composers';

const DIAGNOSTICS_DELAY_MS = 300;
const ADDRESS_HEADERS = /^(to|cc|bcc|reply-to)$/i;

export class ComposeLanguage extends Disposable {
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('mailroom-compose'));
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private index: AddressIndex | undefined;

  constructor(
    private readonly model: MailModel,
    private readonly composers: Composers,
  ) {
    super();
    const selector: vscode.DocumentSelector = { scheme: COMPOSE_SCHEME, language: COMPOSE_LANGUAGE };
    this._register(
      vscode.languages.registerCompletionItemProvider(
        selector,
        { provideCompletionItems: (d, p) => this.complete(d, p) },
        ',',
      ),
    );
    this._register(vscode.languages.registerCodeLensProvider(selector, { provideCodeLenses: (d) => codeLenses(d) }));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this._register(vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)));
    for (const d of vscode.workspace.textDocuments) this.schedule(d);
    // New envelopes (a folder listed, mail arrived): the index is built again when next asked.
    this._register(
      model.onDidChange((e) => {
        if (e.kind === 'accounts' || (e.kind === 'store' && e.event.kind === 'messages')) this.index = undefined;
      }),
    );
  }

  private schedule(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== COMPOSE_SCHEME) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.check(doc);
      }, DIAGNOSTICS_DELAY_MS),
    );
  }

  /** The checks Send runs, as squiggles. Messages are plain text in the Problems view and hovers. */
  private async check(doc: vscode.TextDocument): Promise<void> {
    const id = composerId(doc.uri);
    const c = id ? this.composers.find(id) : undefined;
    if (!c || doc.isClosed) return;
    const version = doc.version;
    const request = this.composers.request(c);
    const problems = await checkMessage(doc.getText(), c.data.context, request).catch(() => []);
    if (doc.isClosed || doc.version !== version) return;
    this.diagnostics.set(
      doc.uri,
      problems.map((p) => {
        // Messages quote the document (an address, a header name), which may come from a draft
        // another client wrote: one line, no invisible characters, bounded.
        const d = new vscode.Diagnostic(
          new vscode.Range(p.range.line, p.range.startColumn, p.range.line, p.range.endColumn),
          plainText(p.message, 400),
          p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = 'Mailroom';
        d.code = p.code;
        return d;
      }),
    );
  }

  private async addressIndex(): Promise<AddressIndex> {
    if (this.index) return this.index;
    const index = new AddressIndex();
    for (const account of this.model.accounts) {
      const store = account.store;
      if (!store) continue;
      const folders = await store.loadFolders().catch(() => []);
      for (const f of folders) for (const m of store.folderState(f.path)?.messages ?? []) index.add(m);
    }
    return (this.index = index);
  }

  private async complete(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.CompletionItem[]> {
    const field = addressFieldAt(doc, pos);
    if (!field) return [];
    const query = field.token.trim();
    const index = await this.addressIndex();
    const found: AddressCandidate[] = index.query(query, { limit: 50 });
    const command = settings.addressBookCommand();
    if (command && query.length >= 2) {
      const book = await runAddressBook(command, query).catch(() => []);
      const seen = new Set(found.map((c) => c.address.toLowerCase()));
      found.push(...book.filter((b) => !seen.has(b.address.toLowerCase())));
    }
    const range = new vscode.Range(pos.line, field.start, pos.line, pos.character);
    return found.map((c, i) => {
      const text = formatAddress(c);
      // Names come from mail: the list shows them as one plain line (what is inserted is the address as parsed).
      const item = new vscode.CompletionItem(plainText(text, 200), vscode.CompletionItemKind.User);
      item.insertText = text;
      item.range = range;
      item.filterText = `${query} ${c.name ?? ''} ${c.address}`;
      item.sortText = String(i).padStart(4, '0');
      item.detail = c.source === 'addressBook' ? 'address book' : `seen ${c.count}×`;
      return item;
    });
  }
}

/** The address being typed when `pos` is in a To/Cc/Bcc/Reply-To header (or its continuation). */
function addressFieldAt(doc: vscode.TextDocument, pos: vscode.Position): { token: string; start: number } | undefined {
  let headerLine = pos.line;
  for (let l = 0; l <= pos.line; l++) if (doc.lineAt(l).text.trim() === '') return undefined; // in the body
  while (headerLine > 0 && /^[ \t]/.test(doc.lineAt(headerLine).text)) headerLine--;
  const m = /^([A-Za-z-]+)[ \t]*:/.exec(doc.lineAt(headerLine).text);
  if (!m || !ADDRESS_HEADERS.test(m[1]!)) return undefined;
  const line = doc.lineAt(pos.line).text.slice(0, pos.character);
  const valueStart = headerLine === pos.line ? m[0].length : 0;
  if (pos.character < valueStart) return undefined;
  const comma = line.lastIndexOf(',');
  let start = Math.max(valueStart, comma + 1);
  while (start < pos.character && /\s/.test(line[start]!)) start++;
  return { token: line.slice(start), start };
}

function codeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
  const top = new vscode.Range(0, 0, 0, 0);
  const arg = [doc.uri.toString()];
  return [
    new vscode.CodeLens(top, { title: '$(send) Send', command: Command.send, arguments: arg }),
    new vscode.CodeLens(top, { title: '$(save) Save Draft', command: Command.saveDraft, arguments: arg }),
    new vscode.CodeLens(top, { title: '$(attach) Attach File…', command: Command.attachFile, arguments: arg }),
    new vscode.CodeLens(top, { title: '$(trash) Discard', command: Command.discardDraft, arguments: arg }),
  ];
}
