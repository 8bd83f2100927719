import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTree } from '../../src/core/mailbox/mailboxes';
import { FIXTURES, UNSEEN_COUNT } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();

test('folders come with hierarchy, delimiter, special-use roles and counts', async () => {
  const account = ctx.mailAccount();
  const list = await account.listMailboxes({ counts: true });
  const byPath = new Map(list.map((m) => [m.path, m]));
  assert.equal(list[0]?.path, 'INBOX', 'INBOX first');
  for (const [path, role] of [
    ['Sent', 'sent'],
    ['Drafts', 'drafts'],
    ['Trash', 'trash'],
    ['Junk', 'junk'],
    ['Archive', 'archive'],
  ]) {
    assert.equal(byPath.get(path!)?.specialUse, role, `${path} is ${role}`);
  }
  const child = byPath.get('Projects/Mailroom');
  assert.ok(child, 'nested folder listed');
  assert.equal(child.delimiter, '/');
  assert.equal(child.parentPath, 'Projects');
  assert.equal(byPath.get('INBOX')?.counts?.messages, FIXTURES.length);
  assert.equal(byPath.get('INBOX')?.counts?.unseen, UNSEEN_COUNT);
  assert.match(byPath.get('INBOX')?.counts?.uidValidity ?? '', /^\d+$/);
  const tree = buildTree(list);
  assert.deepEqual(
    tree.find((n) => n.path === 'Projects')?.children.map((c) => c.path),
    ['Projects/Mailroom', 'Projects/Other'],
  );
  assert.equal((await account.specialFolder('archive'))?.path, 'Archive');
});

test('create, rename, subscribe/unsubscribe and delete a folder', async () => {
  const account = ctx.mailAccount();
  const other = await ctx.otherClient();
  await account.createMailbox('Projects/Temp é');
  assert.ok((await other.list()).some((m) => m.path === 'Projects/Temp é'));
  await account.renameMailbox('Projects/Temp é', 'Projects/Renamed');
  let list = await other.list();
  assert.ok(list.some((m) => m.path === 'Projects/Renamed') && !list.some((m) => m.path === 'Projects/Temp é'));
  await account.subscribe('Projects/Renamed', true);
  assert.ok((await other.list()).find((m) => m.path === 'Projects/Renamed')?.subscribed);
  await account.subscribe('Projects/Renamed', false);
  assert.notEqual((await other.list()).find((m) => m.path === 'Projects/Renamed')?.subscribed, true);
  assert.ok(await other.status('Projects/Renamed', { messages: true }), 'unsubscribing keeps the folder');
  await account.deleteMailbox('Projects/Renamed');
  list = await other.list();
  assert.ok(!list.some((m) => m.path === 'Projects/Renamed'));
  await assert.rejects(account.deleteMailbox('INBOX'), /INBOX cannot be deleted/);
  await assert.rejects(account.createMailbox('Archive'), /Could not create the folder "Archive"/);
});

test('counts of one folder by STATUS', async () => {
  const account = ctx.mailAccount();
  const counts = await account.counts('INBOX');
  assert.equal(counts.messages, FIXTURES.length);
  await assert.rejects(
    account.counts('Nope'),
    (e: Error & { kind?: string }) => e.kind === 'mailboxNotFound' || e.kind === 'server',
  );
});
