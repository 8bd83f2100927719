import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nullLogger } from '../../src/core/log';
import type { MessageSummary } from '../../src/core/mailbox/messages';
import { type CachedMailbox, MailCache } from '../../src/core/sync/cache';
import { CacheWriteBack } from '../../src/core/sync/write-back';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// Big enough that writing it takes many turns of the event loop.
const mailbox = (flag: string): CachedMailbox => ({
  path: 'INBOX',
  uidValidity: '7',
  uidNext: 40_001,
  exists: 40_000,
  hasMore: false,
  messages: Array.from(
    { length: 40_000 },
    (_, i) => ({ uid: 40_000 - i, flags: [flag], subject: `message ${i} `.repeat(8) }) as unknown as MessageSummary,
  ),
});

test('a flush also waits for the write a timer started just before it: afterwards the cache holds the change', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-write-back-'));
  dirs.push(dir);
  const cache = new MailCache(dir, 'account');
  const writeBack = new CacheWriteBack(cache, nullLogger, 'account', () => mailbox('\\Seen'), 0);
  writeBack.schedule('INBOX');
  await new Promise((r) => setTimeout(r, 5)); // the timer fires: its write is under way
  await writeBack.flush();
  const written = await new MailCache(dir, 'account').loadMailbox('INBOX');
  assert.ok(written, 'the folder is in the cache once flush() returned');
  assert.deepEqual(written.messages[0]?.flags, ['\\Seen']);
  writeBack.dispose();
});
