import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageSummary } from '../../src/core/mailbox/messages';
import { applyEdit, freezeSummary, inverse, snapshot, withFlags } from '../../src/core/sync/folder-state';
import { UndoLog } from '../../src/core/sync/undo';
import { MailError } from '../../src/core/errors';
import { Flag } from '../../src/shared/flags';

const m = (uid: number, flags: string[] = [], uidValidity = '7'): MessageSummary => ({
  mailbox: 'INBOX',
  uidValidity,
  uid,
  flags,
  date: new Date(Date.UTC(2026, 0, uid)).toISOString(),
  from: [{ name: 'Ann', address: 'ann@example.test' }],
  to: [],
  cc: [],
  subject: `m${uid}`,
  size: 10,
  hasAttachments: false,
});

test('an edit reports only what it really changed, and keeps the list newest first', () => {
  const list = [m(5), m(3, [Flag.Seen]), m(1)].map(freezeSummary);
  const { list: next, change } = applyEdit(list, {
    add: [m(4), m(3)], // 3 is there already
    remove: [m(1), m(9)], // 9 is not
    flags: [
      { ref: m(3), flags: [Flag.Seen] },
      { ref: m(5), flags: [Flag.Flagged] },
    ], // 3 unchanged
  });
  assert.deepEqual(
    next.map((x) => x.uid),
    [5, 4, 3],
  );
  assert.deepEqual(
    change.added.map((x) => x.uid),
    [4],
  );
  assert.deepEqual(
    change.removed.map((x) => x.uid),
    [1],
  );
  assert.deepEqual(
    change.changed.map((c) => [c.before.uid, c.before.flags, c.after.flags]),
    [[5, [], [Flag.Flagged]]],
  );
  assert.ok(Object.isFrozen(next) && Object.isFrozen(next[0]) && Object.isFrozen(next[0]!.flags));
  assert.deepEqual(
    list.map((x) => x.flags),
    [[], [Flag.Seen], []],
    'the list handed out before is untouched',
  );
});

test('a ref is mailbox + UIDVALIDITY + UID: the same UID of a rebuilt folder is another message', () => {
  const list = [m(1, [], '7')].map(freezeSummary);
  const { change } = applyEdit(list, { remove: [m(1, [], '8')], flags: [{ ref: m(1, [], '8'), flags: [Flag.Seen] }] });
  assert.deepEqual([change.removed, change.changed], [[], []]);
});

test('the inverse of a change takes the list back to where it was (the revert of an optimistic change)', () => {
  const list = [m(5), m(3), m(1, [Flag.Seen])].map(freezeSummary);
  const { list: next, change } = applyEdit(list, { remove: [m(3)], flags: [{ ref: m(1), flags: [] }], add: [m(7)] });
  const { list: back } = applyEdit(next, inverse(change));
  assert.deepEqual(
    back.map((x) => [x.uid, x.flags]),
    list.map((x) => [x.uid, x.flags]),
  );
});

test('flags: added once, removed wherever they are', () => {
  assert.deepEqual(withFlags([Flag.Seen, '$Todo'], { add: [Flag.Flagged, Flag.Seen], remove: ['$Todo'] }), [
    Flag.Seen,
    Flag.Flagged,
  ]);
});

test('a snapshot is frozen and drops fields set to undefined', () => {
  const s = snapshot({ path: 'INBOX' }, { error: 'x', hasMore: true });
  const t = snapshot(s, { error: undefined });
  assert.ok(Object.isFrozen(t));
  assert.equal('error' in t, false);
  assert.equal(t.hasMore, true);
});

test('the undo history undoes the newest action first, across targets, and forgets a target that goes', async () => {
  const log = new UndoLog(2);
  const applied: string[] = [];
  const target = (name: string) => ({
    name,
    apply: async () => {
      applied.push(name);
      return { op: undefined as never, done: true, undoable: false };
    },
  });
  const a = target('a');
  const b = target('b');
  const move = { from: 'INBOX', to: 'Archive', uidValidity: '1', uids: [1], messageIds: [] };
  log.record({ target: a, op: { kind: 'undo', move, what: 'archive' } });
  log.record({ target: b, op: { kind: 'undo', move, what: 'move' } });
  log.record({ target: a, op: { kind: 'undo', move, what: 'delete' } }); // depth 2: the first one falls out
  log.forget(b);
  assert.equal((await log.undoLast()).entry.op.what, 'delete');
  await assert.rejects(log.undoLast(), (e: unknown) => e instanceof MailError && e.kind === 'nothingToUndo');
  assert.deepEqual(applied, ['a']);
});
