// The reader's HTML shell: a strict CSP with a nonce for our one script, resources only from the
// extension's own files, and remote images/styles only after the user allowed them.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function readerHtml(webview: vscode.Webview, extensionUri: vscode.Uri, allowRemote: boolean): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const remote = allowRemote ? ' https: http:' : '';
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
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('dist', 'webview', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${asset('media', 'reader.css')}">
<title>Mailroom Reader</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="placeholder">Loading…</p></main>
<script nonce="${nonce}" src="${asset('dist', 'webview', 'reader.js')}"></script>
</body>
</html>`;
}
