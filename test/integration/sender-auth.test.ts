import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifySender } from '../../src/core/reading/sender-auth';
import { buildMessage } from '../harness/fixtures';
import { useServer } from './setup';

const ctx = useServer();

test('the reader gets the Authentication-Results headers from the server, topmost first, and only the top one vouches', async () => {
  const account = ctx.mailAccount();
  const other = await ctx.otherClient();
  await account.listMessages('INBOX', { pageSize: 5 }); // INBOX is open in this session before the mail arrives
  const raw = buildMessage({
    from: 'Bank <security@bank.example>',
    to: 'alice@example.test',
    subject: 'Verify your account',
    text: 'x',
    html: '<img src="https://t.example/p.png">',
  });
  // What the receiving server put on top of a message that brought its own (forged) header.
  const received = Buffer.concat([
    Buffer.from('Authentication-Results: mx.example.test;\r\n\tdkim=none; dmarc=fail header.from=bank.example\r\n'),
    Buffer.from(
      raw
        .toString('latin1')
        .replace(
          'MIME-Version',
          'Authentication-Results: mx.example.test; dmarc=pass header.from=bank.example\r\nMIME-Version',
        ),
      'latin1',
    ),
  ]);
  const appended = await other.append('INBOX', received);
  assert.ok(appended && appended.uid);
  const page = await account.listMessages('INBOX', { pageSize: 5 });
  const ref = page.messages.find((m) => m.uid === appended.uid)!;
  const content = await account.readMessage(ref);
  assert.deepEqual(content.authenticationResults, [
    'mx.example.test; dkim=none; dmarc=fail header.from=bank.example',
    'mx.example.test; dmarc=pass header.from=bank.example',
  ]);
  const verdict = verifySender(
    content.from.map((a) => a.address ?? ''),
    content.authenticationResults,
  );
  assert.equal(verdict.verified, false);
});
