import assert from 'node:assert/strict';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MailError } from '../../src/core/errors';
import { appendTaskLine, taskLine } from '../../src/core/links/tasks';
import { existingFileInside, writableFileInside } from '../../src/core/links/workspace-paths';

// A real directory tree: home/ stands for the user's files, home/repo/ for the repository they opened.
let home: string;
let repo: string;
const WHAT = 'The tasks file (setting mailroom.tasksFile)';

before(() => {
  home = realpathSync(mkdtempSync(join(tmpdir(), 'mailroom-paths-')));
  repo = join(home, 'repo');
  mkdirSync(join(repo, 'docs'), { recursive: true });
  writeFileSync(join(home, '.bashrc'), '# mine\n');
  writeFileSync(join(repo, 'docs', 'README.md'), 'readme\n');
  symlinkSync(join(home, '.bashrc'), join(repo, 'TODO.md')); // a file link out of the repo
  symlinkSync(home, join(repo, 'up')); // a directory link out of the repo
  symlinkSync(join(repo, 'docs'), join(repo, 'docs-link')); // a directory link that stays inside
  symlinkSync(join(repo, 'docs', 'README.md'), join(repo, 'readme-link.md'));
  symlinkSync(join(home, 'nowhere'), join(repo, 'dangling'));
  linkSync(join(home, '.bashrc'), join(repo, 'hard.md')); // a hard link to a file outside
});

after(() => rmSync(home, { recursive: true, force: true }));

async function refused(relative: string, why: RegExp): Promise<void> {
  await assert.rejects(writableFileInside(repo, relative, WHAT), (err: unknown) => {
    assert.ok(err instanceof MailError && err.kind === 'config', String(err));
    assert.match(err.message, why);
    assert.ok(err.message.startsWith(WHAT), err.message);
    return true;
  });
}

test('a tasks file inside the workspace resolves to its real path, missing directories included', async () => {
  assert.equal(await writableFileInside(repo, 'TASKS.md', WHAT), join(repo, 'TASKS.md'));
  assert.equal(await writableFileInside(repo, 'notes/2026/todo.md', WHAT), join(repo, 'notes', '2026', 'todo.md'));
  assert.equal(await writableFileInside(repo, 'docs/../tasks.md', WHAT), join(repo, 'tasks.md'));
  assert.equal(
    await writableFileInside(repo, 'docs-link/tasks.md', WHAT),
    join(repo, 'docs', 'tasks.md'),
    'a link that stays inside is followed',
  );
  assert.equal(await writableFileInside(repo, 'docs/README.md', WHAT), join(repo, 'docs', 'README.md'));
});

test('a path that leaves the workspace, lexically or through a directory link, is refused', async () => {
  await refused('../.bashrc', /points outside the workspace folder/);
  await refused('../../etc/cron.d/x', /points outside the workspace folder/);
  await refused('docs/../../.bashrc', /points outside the workspace folder/);
  await refused('.', /points outside the workspace folder/);
  await refused('up/.bashrc', /goes through ".*up", which leads to ".*", outside the workspace folder/);
  await refused('up/new/dir/tasks.md', /outside the workspace folder/);
  await refused('dangling/tasks.md', /symbolic link that leads nowhere/);
});

test('a tasks file that is a symbolic link, a hard link or not a file is refused', async () => {
  await refused('TODO.md', /is a symbolic link \(to ".*\.bashrc"\)/);
  await refused('readme-link.md', /is a symbolic link/);
  await refused('hard.md', /has 2 hard links/);
  await refused('docs', /is not a regular file/);
  await refused('/etc/passwd', /must be a path relative to the workspace folder/);
  await refused('C:\\Users\\me\\.bashrc', /must be a path relative/);
  await refused('  ', /is empty/);
  assert.equal(readFileSync(join(home, '.bashrc'), 'utf8'), '# mine\n', 'nothing was written outside');
});

test('workspace references follow links only while they stay inside the workspace', async () => {
  assert.equal(await existingFileInside(repo, join(repo, 'docs', 'README.md')), join(repo, 'docs', 'README.md'));
  assert.equal(await existingFileInside(repo, join(repo, 'readme-link.md')), join(repo, 'docs', 'README.md'));
  assert.equal(
    await existingFileInside(repo, join(repo, 'TODO.md')),
    undefined,
    'a link to ~/.bashrc is not a workspace file',
  );
  assert.equal(await existingFileInside(repo, join(repo, 'up', '.bashrc')), undefined);
  assert.equal(await existingFileInside(repo, join(repo, 'docs')), undefined, 'not a file');
  assert.equal(await existingFileInside(repo, join(repo, 'missing.md')), undefined);
});

test('a task line is one Markdown line whatever the subject and sender hold', () => {
  const line = taskLine({
    subject:
      'Invoice 4711 $(id > /tmp/x)\n- [ ] injected task\r\n\u202Eevil [click](command:x) <img src=https://t.example/p> `code`',
    sender: 'Mallory\u0000\n<mallory@evil.example>',
    date: '2026-03-04T10:00:00Z',
    url: 'vscode://mailroom.mailroom/message?account=A&mid=mid%3Aa%40b',
  });
  assert.equal(
    line,
    '- [ ] [Invoice 4711 $\\(id \\> /tmp/x\\) - \\[ \\] injected task evil \\[click\\]\\(command:x\\) \\<img src=https://t.example/p\\> \\`code\\` — Mallory \\<mallory@evil.example\\>](vscode://mailroom.mailroom/message?account=A&mid=mid%3Aa%40b) (2026-03-04)',
  );
  assert.equal(taskLine({ subject: ' ', sender: '', url: 'u' }), '- [ ] [(no subject)](u)');
  assert.equal(
    taskLine({ subject: 'Quarterly report', sender: 'Ann Lee', date: '2026-12-01T09:00:00Z', url: 'vscode://x' }),
    '- [ ] [Quarterly report — Ann Lee](vscode://x) (2026-12-01)',
  );
  assert.throws(() => taskLine({ subject: 's', sender: 'a', url: 'vscode://x) [evil](command:y' }), /cannot contain/);
});

test('appending a task creates the file and directories, keeps what is there, and reports the line', async () => {
  const file = join(repo, 'notes', 'todo.md');
  assert.equal(await appendTaskLine(file, '- [ ] one'), 0);
  writeFileSync(file, `${readFileSync(file, 'utf8')}no newline at the end`);
  assert.equal(await appendTaskLine(file, '- [ ] two'), 2);
  assert.equal(readFileSync(file, 'utf8'), '- [ ] one\nno newline at the end\n- [ ] two\n');
  await assert.rejects(appendTaskLine(file, 'a\nb'), /one line/);
});

test('appending never writes through a link that appeared after the check', async () => {
  await assert.rejects(
    appendTaskLine(join(repo, 'TODO.md'), '- [ ] x'),
    (err: NodeJS.ErrnoException) => err.code === 'ELOOP',
  );
  await assert.rejects(appendTaskLine(join(repo, 'hard.md'), '- [ ] x'), /not a regular file that exists once/);
  assert.equal(readFileSync(join(home, '.bashrc'), 'utf8'), '# mine\n');
});
