import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MailboxInfo, type SpecialUse, visibleFolders } from '../../src/core/mailbox/mailboxes';

const folder = (path: string, subscribed: boolean, specialUse?: SpecialUse): MailboxInfo => {
  const at = path.lastIndexOf('/');
  return {
    path,
    name: at < 0 ? path : path.slice(at + 1),
    delimiter: '/',
    parentPath: at < 0 ? '' : path.slice(0, at),
    subscribed,
    selectable: true,
    ...(specialUse ? { specialUse } : {}),
  };
};

const paths = (list: MailboxInfo[]) => list.map((f) => f.path);

test('only subscribed folders are shown, with the parents they hang from and the special folders', () => {
  const list = [
    folder('INBOX', true, 'inbox'),
    folder('Trash', false, 'trash'),
    folder('Old', false),
    folder('Projects', false),
    folder('Projects/2026', false),
    folder('Projects/2026/Clients', true),
  ];
  assert.deepEqual(paths(visibleFolders(list, false)), [
    'INBOX',
    'Trash',
    'Projects',
    'Projects/2026',
    'Projects/2026/Clients',
  ]);
  assert.deepEqual(paths(visibleFolders(list, true)), paths(list), 'all of them when asked for');
});

test('a server that uses no subscriptions shows every folder', () => {
  const list = [folder('INBOX', true, 'inbox'), folder('Archive', false), folder('Lists', false)];
  assert.deepEqual(paths(visibleFolders(list, false)), ['INBOX', 'Archive', 'Lists']);
});

test('a deep hierarchy of thousands of subscribed folders keeps each of its parents once', () => {
  const list: MailboxInfo[] = [folder('INBOX', true, 'inbox')];
  let path = 'Deep';
  list.push(folder(path, false));
  for (let i = 1; i < 3000; i++) list.push(folder((path = `${path}/${i}`), true));
  const shown = visibleFolders(list, false);
  assert.equal(shown.length, list.length);
  assert.equal(new Set(paths(shown)).size, list.length);
});
