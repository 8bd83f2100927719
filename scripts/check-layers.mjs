// Enforces the layer rules that keep src/core testable in plain Node:
//   src/core    never imports `vscode`, src/extension or the webview;
//   src/shared  imports only its own siblings (host and webview both load it);
// and that text reaches VS Code's rendering surfaces (notifications, dialogs, progress, quick
// picks, input boxes, status bar messages, hovers, MarkdownStrings) only through
// src/extension/ui.ts, whose functions take inert text (src/core/text/untrusted-text.ts);
// and that the libraries loaded on first use (src/core/libraries.ts) are imported elsewhere only
// as types: one value import would load them, and their bundle, when the extension starts.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const rules = [
  {
    dir: 'src/core',
    allowed: (spec) => spec !== 'vscode' && !/(^|\/)(extension|webview)\//.test(spec),
    why: 'src/core must stay vscode-free',
  },
  {
    dir: 'src/shared',
    allowed: (spec) => spec.startsWith('./'),
    why: 'src/shared is loaded by the webview too: only sibling imports',
  },
];

const importRe =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.tsx?$/.test(name)) yield path;
  }
}

const SINKS =
  /\b(show(?:Information|Warning|Error)Message|withProgress|showQuickPick|createQuickPick|showInputBox|createInputBox|setStatusBarMessage)\s*[<(]|\bnew\s+vscode\.(MarkdownString|Hover)\s*\(/g;
const SINK_GATE = join('src', 'extension', 'ui.ts');

let failures = 0;
if (existsSync('src/extension')) {
  for (const file of files('src/extension')) {
    if (file === SINK_GATE) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SINKS)) {
      const line = text.slice(0, m.index).split('\n').length;
      console.error(
        `${relative('.', file)}:${line}: calls ${m[1] ?? `new vscode.${m[2]}`} directly (use src/extension/ui.ts, which makes untrusted text inert)`,
      );
      failures++;
    }
  }
}
for (const rule of rules) {
  if (!existsSync(rule.dir)) continue;
  for (const file of files(rule.dir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!rule.allowed(spec)) {
        console.error(`${relative('.', file)}: imports '${spec}' (${rule.why})`);
        failures++;
      }
    }
  }
}
const LIBRARIES = join('src', 'core', 'libraries.ts');
const later = new Set([...readFileSync(LIBRARIES, 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]));
for (const dir of ['src/core', 'src/extension', 'src/shared']) {
  if (!existsSync(dir)) continue;
  for (const file of files(dir)) {
    if (file === LIBRARIES) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (later.has(spec) && !/^\s*(import|export)\s+type\s/.test(m[0])) {
        console.error(
          `${relative('.', file)}: imports '${spec}' as a value (it is loaded on first use: src/core/libraries.ts)`,
        );
        failures++;
      }
    }
  }
}
if (failures) process.exit(1);
console.log('layer rules: ok');
