// Links from mail into the workspace: relative file paths that exist here (with :line), and issue
// or pull-request URLs of this repository's GitHub/GitLab remote. "Here" is decided on real paths:
// a link in the repository that leads elsewhere on disk is not a workspace file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { existingFileInside } from '../../core/links/workspace-paths';

export interface WorkspaceRef {
  kind: 'file' | 'issue' | 'pull';
  label: string;
  detail: string;
  uri: vscode.Uri;
  line?: number;
}

const PATH_RE =
  /(?:^|[\s("'`[<])((?:\.{1,2}\/)?(?:[\w@.-]+\/)*[\w@.-]+\.[A-Za-z0-9]{1,10})(?::(\d{1,6}))?(?=$|[\s)"'`\]>,;:!?])/gm;

/** owner/repo and host of each workspace folder's git remotes (read from .git/config). */
async function remotes(folder: vscode.WorkspaceFolder): Promise<Array<{ host: string; repo: string }>> {
  try {
    const file = await existingFileInside(folder.uri.fsPath, path.join(folder.uri.fsPath, '.git', 'config'));
    if (!file) return [];
    const config = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
    const out: Array<{ host: string; repo: string }> = [];
    for (const m of config.matchAll(/url\s*=\s*(\S+)/g)) {
      const r = /(github\.com|gitlab\.com)[:/]([\w.-]+\/[\w.-]+?)(?:\.git)?$/i.exec(m[1]!);
      if (r) out.push({ host: r[1]!.toLowerCase(), repo: r[2]! });
    }
    return out;
  } catch {
    return [];
  }
}

export async function findWorkspaceRefs(text: string): Promise<WorkspaceRef[]> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const refs: WorkspaceRef[] = [];
  const seen = new Set<string>();
  for (const folder of folders.filter((f) => f.uri.scheme === 'file')) {
    for (const m of text.matchAll(PATH_RE)) {
      const rel = m[1]!;
      if (/^(https?|mailto|www\.)/i.test(rel) || rel.includes('@') || rel.length > 200) continue;
      const real = await existingFileInside(folder.uri.fsPath, path.resolve(folder.uri.fsPath, rel));
      if (!real) continue;
      const uri = vscode.Uri.file(real);
      const key = `${real}:${m[2] ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      refs.push({
        kind: 'file',
        label: `${rel}${m[2] ? `:${m[2]}` : ''}`,
        detail: folder.name,
        uri,
        ...(m[2] ? { line: Number(m[2]) } : {}),
      });
    }
    for (const remote of await remotes(folder)) {
      const re = new RegExp(
        `https://${remote.host.replace('.', '\\.')}/${remote.repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?:-/)?(issues|pull|merge_requests)/(\\d+)`,
        'gi',
      );
      for (const m of text.matchAll(re)) {
        if (seen.has(m[0])) continue;
        seen.add(m[0]);
        const isPull = m[1] !== 'issues';
        refs.push({
          kind: isPull ? 'pull' : 'issue',
          label: `${remote.repo}${remote.host === 'gitlab.com' && isPull ? '!' : '#'}${m[2]}`,
          detail: `${isPull ? (remote.host === 'gitlab.com' ? 'merge request' : 'pull request') : 'issue'} of this workspace's repository`,
          uri: vscode.Uri.parse(m[0]),
        });
      }
    }
  }
  return refs.slice(0, 50);
}
