import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { MessageRef } from '../../src/core/mailbox/messages';
import type { MessageContent } from '../../src/core/reading/reader';
import { MailCache } from '../../src/core/sync/cache';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ref = (uid: number): MessageRef => ({ mailbox: 'INBOX', uidValidity: '7', uid });
// What the cache keeps of a body is opaque to it: a ref, the cid map, and some bulk.
const body = (uid: number): MessageContent =>
  ({ ref: ref(uid), cid: new Map(), subject: `m${uid}`, text: 'x'.repeat(4000) }) as unknown as MessageContent;

async function bodiesBytes(dir: string): Promise<number> {
  const [account] = await readdir(dir);
  const bodies = join(dir, account!, 'bodies');
  let n = 0;
  for (const f of await readdir(bodies)) n += (await stat(join(bodies, f))).size;
  return n;
}

test('cached bodies over the cap go least recently used first; one read again stays', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-bodies-'));
  dirs.push(dir);
  const cap = 3.5 * 4100;
  const cache = new MailCache(dir, 'alice@example.test', cap);
  for (const uid of [1, 2, 3]) {
    await cache.saveBody(body(uid));
    await sleep(20); // distinct mtimes
  }
  assert.ok(await cache.loadBody(ref(1)), 'read again: now the most recently used');
  await sleep(20);
  await cache.saveBody(body(4));
  const kept = async (uid: number) => (await cache.loadBody(ref(uid))) !== undefined;
  assert.equal(await kept(2), false, 'the least recently used went');
  for (const uid of [1, 3, 4]) assert.equal(await kept(uid), true, `UID ${uid} stays`);
});

test('many saves keep the bodies within the cap, also bodies saved again and those another window wrote', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-bodies-'));
  dirs.push(dir);
  const cap = 20 * 4100;
  const mine = new MailCache(dir, 'bob@example.test', cap);
  const otherWindow = new MailCache(dir, 'bob@example.test', cap);
  for (let uid = 1; uid <= 150; uid++) {
    await mine.saveBody(body(uid));
    if (uid % 10 === 0) await mine.saveBody(body(uid)); // the same body saved again counts once
    if (uid % 3 === 0) await otherWindow.saveBody(body(1000 + uid));
  }
  await mine.saveBody(body(151));
  assert.ok((await bodiesBytes(dir)) <= cap + 64 * 4100, 'within the cap, give or take what one count missed');
  await otherWindow.saveBody(body(2000));
  for (let uid = 152; uid < 152 + 64; uid++) await mine.saveBody(body(uid));
  assert.ok((await bodiesBytes(dir)) <= cap, 'a recount brings it back under the cap');
});
