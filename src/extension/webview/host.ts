// One webview panel and everything every Mailroom webview needs around it (the model of
// gitlens' WebviewController, smaller): the CSP shell with its nonce, the ready handshake, what
// is kept while the page is not there and what it gets when it is back, request → reply, and a
// panel VS Code restores after a window reload (registerWebviewPanelSerializer; the page's
// setState is what VS Code hands back). A view is a client of this: the reader today, the
// composer next.
import * as vscode from 'vscode';
import { parsePageMessage, type QueuePolicy, type Reply, type ViewProtocol } from '../../shared/webview-protocol';
import { Disposable } from '../disposable';
import { type ShellOptions, webviewShell } from './shell';

export interface WebviewClient<Command, Request, State> {
  /**
   * The page is there again after it was rebuilt (a hidden tab shown, remote content allowed)
   * and nothing to show was queued meanwhile: send it what it shows now. `state` is what it saved.
   */
  onReady(state: State | undefined): void;
  onCommand(command: Command): Promise<void> | void;
  /** Its promise settles the reply: done, or the error's message. */
  onRequest(request: Request): Promise<void>;
  /** VS Code restored the panel after a window reload, with what the page saved. */
  onRestore(state: State | undefined): Promise<void> | void;
  onDidDispose(): void;
}

export interface WebviewHostOptions<Notification extends { type: string }, Command, Request, State> {
  viewType: string;
  title: string;
  protocol: ViewProtocol<Command, Request, State>;
  /** What happens to a notification sent while the page is not there (see QueuePolicy). */
  queue: (notification: Notification) => QueuePolicy;
  shell: Omit<ShellOptions, 'allowRemote' | 'title'>;
  icon?: { light: string[]; dark: string[] };
  /** Folders of the extension the page may load files from. */
  resourceRoots: string[][];
}

export class WebviewHost<Notification extends { type: string }, Command, Request, State> extends Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubscriptions: vscode.Disposable[] = [];
  private ready = false;
  private queued: Notification[] = [];
  private remote = false;
  private client: WebviewClient<Command, Request, State> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly options: WebviewHostOptions<Notification, Command, Request, State>,
  ) {
    super();
  }

  /** Set once: the view this host serves. */
  connect(client: WebviewClient<Command, Request, State>): void {
    this.client = client;
    this._register(
      vscode.window.registerWebviewPanelSerializer(this.options.viewType, {
        deserializeWebviewPanel: async (panel, raw: unknown) => {
          const state = raw === undefined || raw === null ? undefined : this.options.protocol.parseState(raw);
          this.adopt(panel);
          await this.client?.onRestore(state);
        },
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows the panel, creating it if needed. */
  reveal(): void {
    if (!this.panel) {
      this.adopt(
        vscode.window.createWebviewPanel(this.options.viewType, this.options.title, vscode.ViewColumn.Active, {}),
      );
    }
    this.panel!.reveal(this.panel!.viewColumn ?? vscode.ViewColumn.Active, false);
  }

  set title(title: string) {
    if (this.panel) this.panel.title = title;
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = panel;
    const root = (p: string[]) => vscode.Uri.joinPath(this.extensionUri, ...p);
    panel.webview.options = {
      enableScripts: true,
      enableForms: false,
      localResourceRoots: this.options.resourceRoots.map(root),
    };
    if (this.options.icon)
      panel.iconPath = { light: root(this.options.icon.light), dark: root(this.options.icon.dark) };
    panel.title = panel.title || this.options.title;
    this.panelSubscriptions = [
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false; // its page is gone until it is shown again
      }),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.ready = false;
        this.queued = [];
        for (const s of this.panelSubscriptions) s.dispose();
        this.client?.onDidDispose();
      }),
    ];
    this.setHtml(this.remote);
  }

  /** Whether the page may load remote images and styles (the CSP changes: the page is built again). */
  allowRemote(on: boolean): void {
    if (on !== this.remote) this.setHtml(on);
  }

  private setHtml(remote: boolean): void {
    this.remote = remote;
    if (!this.panel) return;
    this.ready = false;
    this.panel.webview.html = webviewShell(this.panel.webview, this.extensionUri, {
      ...this.options.shell,
      title: this.options.title,
      allowRemote: remote,
    });
  }

  /** Sends a notification now, or keeps it (by its queue policy) until the page is there. */
  post(message: Notification): void {
    if (!this.panel) return;
    if (this.ready) {
      void this.panel.webview.postMessage(message);
      return;
    }
    const policy = this.options.queue(message);
    if (policy === 'reset') this.queued = [];
    else if (policy === 'latest') this.queued = this.queued.filter((m) => m.type !== message.type);
    this.queued.push(message);
  }

  close(): void {
    this.panel?.dispose();
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parsePageMessage(this.options.protocol, raw);
    if (!message || !this.client) return; // malformed or unknown: ignored, never trusted
    switch (message.kind) {
      case 'ready': {
        this.ready = true;
        const queued = this.queued.splice(0);
        // A page that was rebuilt needs everything it shows, not only what changed while it was away
        // — unless something new to show is queued, which is all it needs.
        if (queued.some((m) => this.options.queue(m) === 'reset'))
          for (const m of queued) void this.panel?.webview.postMessage(m);
        else this.client.onReady(message.state);
        return;
      }
      case 'command':
        await this.client.onCommand(message.command);
        return;
      case 'request': {
        let reply: Reply;
        try {
          await this.client.onRequest(message.request);
          reply = { type: 'reply', requestId: message.requestId, ok: true };
        } catch (err) {
          reply = {
            type: 'reply',
            requestId: message.requestId,
            ok: false,
            error: (err as Error)?.message ?? String(err),
          };
        }
        // A page rebuilt meanwhile forgot the request: nothing to answer.
        if (this.ready) void this.panel?.webview.postMessage(reply);
        return;
      }
    }
  }

  override dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}
