import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageStructureObject } from 'imapflow';
import { StructureMemo } from '../../src/core/reading/structure-memo';

const structure = (type: string) => ({ type }) as MessageStructureObject;

test('a structure is found only under the same mailbox, UIDVALIDITY and UID', () => {
  const memo = new StructureMemo();
  memo.remember({ mailbox: 'INBOX', uidValidity: '7', uid: 3 }, structure('text/plain'));
  assert.equal(memo.recall({ mailbox: 'INBOX', uidValidity: '7', uid: 3 })?.type, 'text/plain');
  assert.equal(
    memo.recall({ mailbox: 'INBOX', uidValidity: '8', uid: 3 }),
    undefined,
    'a rebuilt folder is another folder',
  );
  assert.equal(memo.recall({ mailbox: 'Archive', uidValidity: '7', uid: 3 }), undefined);
  assert.equal(memo.recall({ mailbox: 'INBOX', uidValidity: '7', uid: 4 }), undefined);
});

test('bounded: the least recently used entry goes first', () => {
  const memo = new StructureMemo(2);
  const key = (uid: number) => ({ mailbox: 'INBOX', uidValidity: '1', uid });
  memo.remember(key(1), structure('a'));
  memo.remember(key(2), structure('b'));
  assert.ok(memo.recall(key(1)), 'touch 1, so 2 is the oldest');
  memo.remember(key(3), structure('c'));
  assert.equal(memo.size, 2);
  assert.equal(memo.recall(key(2)), undefined);
  assert.equal(memo.recall(key(1))?.type, 'a');
  assert.equal(memo.recall(key(3))?.type, 'c');
  memo.remember(key(4), undefined);
  assert.equal(memo.size, 2, 'a message without structure is not remembered');
  memo.forget(key(1));
  assert.equal(memo.recall(key(1)), undefined);
  assert.equal(memo.size, 1);
});
