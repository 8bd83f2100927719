import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../src/core/session/backoff';

test('delays grow exponentially, stay within [ceiling/2, ceiling] and are capped', () => {
  const opts = { baseMs: 100, maxMs: 2000 };
  assert.equal(
    backoffDelay(0, opts, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(0, opts, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(3, opts, () => 0),
    400,
  );
  assert.equal(
    backoffDelay(3, opts, () => 1),
    800,
  );
  assert.equal(
    backoffDelay(10, opts, () => 1),
    2000,
  );
  assert.equal(
    backoffDelay(1000, opts, () => 0.5),
    1500,
  );
});

test('jitter spreads clients apart', () => {
  const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(4, { baseMs: 1000, maxMs: 60_000 })));
  assert.ok(seen.size > 10);
  for (const d of seen) assert.ok(d >= 8000 && d <= 16000);
});
