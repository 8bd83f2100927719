// Bundles the extension host code (CJS, node, `vscode` external) and the reader webview (browser
// IIFE with @vscode-elements), and copies the codicon font the webview uses.
// Type-checking is a separate step (`npm run typecheck`).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
rmSync('dist', { recursive: true, force: true }); // no stale files (old source maps) reach the package
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: 'dist/extension.js',
    external: ['vscode'],
  }),
  build({
    ...common,
    entryPoints: ['webview/reader.ts'],
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    outfile: 'dist/webview/reader.js',
  }),
]);

mkdirSync('dist/webview', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
  copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/${file}`);
}
