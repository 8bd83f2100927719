// "Open" on an attachment: an image in VS Code's image preview, a PDF in the system's PDF viewer
// (VS Code has none of its own), anything else as a read-only plain-text document, never in the
// editor VS Code would pick by the name (a notebook, a workspace, a rendered SVG or HTML, or an
// editable text editor). Copies on disk live in an owner-only directory that goes when the reader
// closes or the extension host shuts down.
import { open as openFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { AttachmentTempDir, MAX_TEXT_VIEW, textView, viewerFor } from '../../core/reading/attachment-view';
import type { AttachmentInfo } from '../../core/reading/reader';
import { Disposable } from '../disposable';

const SCHEME = 'mailroom-attachment';

export class AttachmentViews extends Disposable {
  private temp: Promise<AttachmentTempDir> | undefined;
  private tempDir: AttachmentTempDir | undefined;
  /** Text of the open read-only documents, by URI (VS Code asks again when it reopens one). */
  private readonly texts = new Map<string, string>();
  private counter = 0;

  constructor(private readonly storageDir: string) {
    super();
    this._register(
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
        provideTextDocumentContent: (uri) =>
          this.texts.get(uri.toString()) ??
          'This attachment view was closed; open the attachment again from the reader.',
      }),
    );
    this._register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === SCHEME) this.texts.delete(d.uri.toString());
      }),
    );
  }

  private dir(): Promise<AttachmentTempDir> {
    this.temp ??= AttachmentTempDir.create(this.storageDir).then((t) => (this.tempDir = t));
    return this.temp;
  }

  /** Shows `attachment`; `download` writes it into the given directory and says where. */
  async open(attachment: AttachmentInfo, download: (dir: string) => Thenable<{ path: string }>): Promise<void> {
    const temp = await this.dir();
    const { path } = await download(temp.dir);
    await temp.seal(path);
    const handle = await openFile(path, 'r');
    let bytes: Buffer;
    let size: number;
    try {
      size = (await handle.stat()).size;
      bytes = Buffer.alloc(Math.min(size, MAX_TEXT_VIEW));
      await handle.read(bytes, 0, bytes.length, 0);
    } finally {
      await handle.close();
    }
    const file = vscode.Uri.file(path);
    switch (viewerFor(path, bytes.subarray(0, 64))) {
      case 'image':
        await vscode.commands.executeCommand('vscode.openWith', file, 'imagePreview.previewEditor');
        return;
      case 'pdf':
        await vscode.env.openExternal(file);
        return;
      case 'text': {
        await temp.remove(path); // the text is in memory now
        const uri = vscode.Uri.from({
          scheme: SCHEME,
          path: `/${++this.counter}/${attachment.filename}${/\.txt$/i.test(attachment.filename) ? '' : '.txt'}`,
        });
        this.texts.set(uri.toString(), textView(bytes, { filename: attachment.filename, type: attachment.type, size }));
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
      }
    }
  }

  /** Removes every copy on disk (the reader closed, or the extension host shuts down and waits for nothing). */
  clear(): void {
    this.tempDir?.disposeSync();
    this.temp = undefined;
    this.tempDir = undefined;
  }

  override dispose(): void {
    this.clear();
    super.dispose();
  }
}
