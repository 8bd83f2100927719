import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMessage } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();

test('a message that arrived after the folder was opened in this session can be read at once', async () => {
  const account = ctx.mailAccount();
  const other = await ctx.otherClient();
  const first = await account.listMessages('INBOX', { pageSize: 1 });
  const appended = await other.append(
    'INBOX',
    buildMessage({ from: 'a@example.test', to: 'alice@example.test', subject: 'just arrived', text: 'hello' }),
  );
  assert.ok(appended && appended.uid);
  const content = await account.readMessage({ mailbox: 'INBOX', uidValidity: first.uidValidity, uid: appended.uid });
  assert.equal(content.subject, 'just arrived');
});
