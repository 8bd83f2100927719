// The HTML shell of every Mailroom webview: a strict CSP with a fresh nonce for the view's one
// script, resources only from the extension's own files, and remote images/styles only for a
// view that was told the person allowed them.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface ShellOptions {
  /** Path of the view's script inside the extension, e.g. ['dist', 'webview', 'reader.js']. */
  script: string[];
  /** Stylesheets inside the extension, in order. */
  styles: string[][];
  /** The codicon font's stylesheet (dist/webview/codicon.css), which @vscode-elements finds by its id. */
  codicons?: boolean;
  title: string;
  /** Remote images and styles (http/https) allowed. */
  allowRemote?: boolean;
}

export function webviewShell(webview: vscode.Webview, extensionUri: vscode.Uri, opts: ShellOptions): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const remote = opts.allowRemote ? ' https: http:' : '';
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} data:${remote}`,
    // Mail HTML carries inline styles; scripts are never inline (nonce only).
    `style-src ${webview.cspSource} 'unsafe-inline'${remote}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `form-action 'none'`,
    `base-uri 'none'`,
    `frame-src 'none'`,
  ].join('; ');
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${opts.codicons ? `<link rel="stylesheet" href="${asset(['dist', 'webview', 'codicon.css'])}" id="vscode-codicon-stylesheet">\n` : ''}${opts.styles.map((p) => `<link rel="stylesheet" href="${asset(p)}">`).join('\n')}
<title>${escape(opts.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="placeholder">Loading…</p></main>
<script nonce="${nonce}" src="${asset(opts.script)}"></script>
</body>
</html>`;
}
