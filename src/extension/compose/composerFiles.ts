// Each unsent message is an editor document on the `mailroom-draft:` file system, so the user's
// keybindings, Vim mode, snippets and AI completion work while writing mail. Its text and context
// live here, and a local copy of every unsent composer is kept in the extension's storage
// (owner-only files, written on every change) until it is sent or discarded: a crash, a window
// reload or a server outage loses nothing. VS Code restores a composer tab after a reload by
// reading it again from here, which finds the local copy.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComposeContext, ComposeKind } from '../../core/compose/context';

export const COMPOSE_SCHEME = 'mailroom-draft';
export const COMPOSE_LANGUAGE = 'mailroom-compose';
const EXTENSION = '.mailroom';

/** What a composer is, JSON-safe (its local copy). */
export interface ComposerData {
  id: string;
  /** The account's name in `mailroom.accounts`. */
  account: string;
  text: string;
  context: ComposeContext;
  created: number;
  updated: number;
  /** The text last stored in Drafts on the server. */
  serverText?: string;
}

export type ComposerState = 'editing' | 'sending' | 'sent' | 'discarded';

export class Composer {
  state: ComposerState = 'editing';
  /** Changed by the person since it was opened (or it holds text that is in no draft on the server). */
  edited: boolean;
  /** Server saves run one after the other. */
  saving: Promise<void> = Promise.resolve();
  /** A failed server save was reported (once, until one works again). */
  warned = false;
  /** When the document was last saved (Ctrl+S, autosave, the Save of VS Code's own question on closing). */
  lastWrite = 0;

  constructor(readonly data: ComposerData) {
    this.edited = data.serverText !== undefined ? data.serverText !== data.text : false;
  }

  get uri(): vscode.Uri {
    return composerUri(this.data.id, this.data.context.kind);
  }
}

const TITLES: Record<ComposeKind, string> = {
  new: 'New Message',
  reply: 'Reply',
  replyAll: 'Reply All',
  forward: 'Forward',
};

// The tab shows the file name: a fixed one per kind, never the subject (text from mail).
export function composerUri(id: string, kind: ComposeKind): vscode.Uri {
  return vscode.Uri.from({ scheme: COMPOSE_SCHEME, path: `/${id}/${TITLES[kind] ?? 'Message'}${EXTENSION}` });
}

export function composerId(uri: vscode.Uri): string | undefined {
  const id = uri.path.split('/')[1];
  return id && /^[0-9a-f]{16}$/.test(id) ? id : undefined;
}

export const newComposerId = (): string => randomBytes(8).toString('hex');

/** The local copies: one JSON file per composer, readable by its owner only. */
export class LocalCopies {
  constructor(private readonly dir: string) {}

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  write(data: ComposerData): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(data.id)}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    fs.renameSync(tmp, this.file(data.id));
  }

  remove(id: string): void {
    fs.rmSync(this.file(id), { force: true });
  }

  read(id: string): ComposerData | undefined {
    try {
      return validData(JSON.parse(fs.readFileSync(this.file(id), 'utf8')), id);
    } catch {
      return undefined;
    }
  }

  list(): ComposerData[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => /^([0-9a-f]{16})\.json$/.exec(n)?.[1])
      .filter((id): id is string => !!id)
      .map((id) => this.read(id))
      .filter((d): d is ComposerData => !!d)
      .sort((a, b) => a.created - b.created);
  }
}

function validData(v: unknown, id: string): ComposerData | undefined {
  const d = v as Partial<ComposerData> | null;
  if (!d || d.id !== id || typeof d.account !== 'string' || typeof d.text !== 'string') return undefined;
  if (!d.context || typeof d.context !== 'object' || !Array.isArray(d.context.parts)) return undefined;
  return {
    id,
    account: d.account,
    text: d.text,
    context: d.context,
    created: typeof d.created === 'number' ? d.created : Date.now(),
    updated: typeof d.updated === 'number' ? d.updated : Date.now(),
    ...(typeof d.serverText === 'string' ? { serverText: d.serverText } : {}),
  };
}

/** What the file system needs from the composers. */
export interface ComposerSource {
  find(id: string): Composer | undefined;
  /** Ctrl+S, autosave, VS Code's "Save" when closing: the composer's text as written. */
  written(composer: Composer, text: string): void;
}

export class ComposerFileSystem implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  constructor(private readonly source: ComposerSource) {}

  private composer(uri: vscode.Uri): Composer {
    const id = composerId(uri);
    const c = id ? this.source.find(id) : undefined;
    if (!c) throw vscode.FileSystemError.FileNotFound(uri);
    return c;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/' || /^\/[0-9a-f]{16}$/.test(uri.path))
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    const c = this.composer(uri);
    return {
      type: vscode.FileType.File,
      ctime: c.data.created,
      mtime: c.data.updated,
      size: Buffer.byteLength(c.data.text),
    };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return Buffer.from(this.composer(uri).data.text, 'utf8');
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    const c = this.composer(uri);
    this.source.written(c, Buffer.from(content).toString('utf8'));
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
