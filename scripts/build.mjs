// Bundles the extension host code (CJS, node, `vscode` external) in two parts, the reader webview
// (browser IIFE with @vscode-elements), and copies the codicon font the webview uses.
// Type-checking is a separate step (`npm run typecheck`).
//
// The two parts: what src/core/libraries.ts requires goes to dist/libraries.js, the rest to
// dist/extension.js. VS Code compiles the whole file it loads before running any of it, and those
// libraries are most of the code; in a second file, nothing of them is even parsed until the first
// one is used, after the cached tree is drawn.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const production = process.argv.includes('--production');
rmSync('dist', { recursive: true, force: true }); // no stale files (old source maps) reach the package
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

const host = { ...common, platform: 'node', format: 'cjs', target: 'node20' };
const librariesFile = resolve('src/core/libraries.ts');
const libraries = new Set();

/** Each require() of a package in src/core/libraries.ts becomes a property read of dist/libraries.js. */
const librariesApart = {
  name: 'libraries-apart',
  setup(b) {
    b.onResolve({ filter: /^[^.]/ }, (args) => {
      if (args.importer !== librariesFile) return undefined;
      libraries.add(args.path);
      return { path: args.path, namespace: 'library' };
    });
    b.onResolve({ filter: /^\.\/libraries\.js$/, namespace: 'library' }, (args) => ({
      path: args.path,
      external: true,
    }));
    b.onLoad({ filter: /.*/, namespace: 'library' }, (args) => ({
      contents: `module.exports = require('./libraries.js')[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

async function buildHost() {
  await build({
    ...host,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    plugins: [librariesApart],
  });
  // Getters, so that loading this file evaluates only the library asked for.
  const getters = [...libraries]
    .sort()
    .map(
      (name) =>
        `Object.defineProperty(exports, ${JSON.stringify(name)}, { get: () => require(${JSON.stringify(name)}) });`,
    );
  await build({
    ...host,
    stdin: { contents: getters.join('\n'), resolveDir: '.', sourcefile: 'libraries-entry.js', loader: 'js' },
    outfile: 'dist/libraries.js',
  });
}

await Promise.all([
  buildHost(),
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
