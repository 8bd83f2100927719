// Unread and deleted rows the native way: a FileDecoration colours the row's label (and gives
// unread mail a dot), as the Explorer does for modified files — in every theme, high contrast
// included, through theme colours Mailroom contributes (package.json `colors`). Label
// highlights are for search matches; VS Code paints them as such.
import * as vscode from 'vscode';

export const ROW_SCHEME = 'mailroom-row';

type RowState = 'unread' | 'deleted' | 'unreadFolder';

/** The `resourceUri` of a tree row in `state` (the row's id keeps the URIs of rows apart). */
export function rowUri(state: RowState, id: string): vscode.Uri {
  return vscode.Uri.from({ scheme: ROW_SCHEME, path: `/${encodeURIComponent(id)}`, query: state });
}

export class RowDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== ROW_SCHEME) return undefined;
    switch (uri.query as RowState) {
      case 'unread':
        return new vscode.FileDecoration('●', 'Unread', new vscode.ThemeColor('mailroom.unreadForeground'));
      case 'unreadFolder':
        return new vscode.FileDecoration(
          undefined,
          'Has unread mail',
          new vscode.ThemeColor('mailroom.unreadForeground'),
        );
      case 'deleted':
        return new vscode.FileDecoration(
          '✕',
          'Marked deleted by another mail program, not yet removed',
          new vscode.ThemeColor('mailroom.deletedForeground'),
        );
      default:
        return undefined;
    }
  }
}
