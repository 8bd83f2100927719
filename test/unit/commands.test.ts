import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command, READER_VIEW_TYPE, WorkbenchCommand } from '../../src/extension/commands/ids';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string }>;
    menus: Record<string, Array<{ command: string }>>;
    keybindings: Array<{ command: string; when?: string }>;
    viewsWelcome: Array<{ contents: string }>;
  };
};
const ours = new Set<string>(Object.values(Command));

test('package.json contributes exactly the commands of commands/ids.ts', () => {
  const contributed = pkg.contributes.commands.map((c) => c.command);
  assert.deepEqual([...contributed].sort(), [...ours].sort());
  assert.equal(new Set(contributed).size, contributed.length, 'no command contributed twice');
});

test('every menu entry, key binding and welcome link names one of them', () => {
  const used = [
    ...Object.entries(pkg.contributes.menus).flatMap(([menu, entries]) =>
      entries.map((e) => [`menus.${menu}`, e.command] as const),
    ),
    ...pkg.contributes.keybindings.map((k) => ['keybindings', k.command] as const),
    ...pkg.contributes.viewsWelcome.flatMap((w) =>
      [...w.contents.matchAll(/command:([\w.]+)/g)].map((m) => ['viewsWelcome', m[1]!] as const),
    ),
  ];
  assert.ok(used.length > 20);
  for (const [where, id] of used) assert.ok(ours.has(id), `${where} names "${id}", which is not in commands/ids.ts`);
});

test("the reader's panel type is the one package.json activates on and its key bindings name", () => {
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${READER_VIEW_TYPE}`));
  assert.ok(pkg.contributes.keybindings.some((k) => k.when?.includes(`activeWebviewPanelId == ${READER_VIEW_TYPE}`)));
  assert.equal(
    WorkbenchCommand.focusMailboxes,
    'mailroom.mailboxes.focus',
    "VS Code names a view's focus command after the view id",
  );
});

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

test('the extension registers each command once, by its constant, and names no command id as a bare string', () => {
  const registered: string[] = [];
  for (const file of sources(join(root, 'src', 'extension'))) {
    if (file.endsWith(join('commands', 'ids.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bcommand|registerCommand)\(\s*Command\.(\w+)/g)) registered.push(m[1]!);
    for (const id of ours)
      assert.ok(
        !text.includes(`'${id}'`) && !text.includes(`"${id}"`),
        `${file} spells out '${id}' instead of using Command`,
      );
  }
  assert.deepEqual([...registered].sort(), Object.keys(Command).sort());
});
