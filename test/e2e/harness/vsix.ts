/**
 * Packages an extension folder into a .vsix with the repository's @vscode/vsce
 * (`vsce package --no-dependencies --allow-missing-repository --skip-license`).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './code-server.js';

export async function packageVsix(extensionDir: string, outFile: string): Promise<string> {
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!fs.existsSync(vsce)) throw new Error(`packageVsix: ${vsce} missing; run npm ci`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const args = [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', outFile];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: extensionDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  if (code !== 0 || !fs.existsSync(outFile)) {
    throw new Error(`vsce package in ${extensionDir} failed (exit ${code}):\n${output}`);
  }
  return outFile;
}
