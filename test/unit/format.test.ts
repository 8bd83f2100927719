import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shortDate } from '../../src/extension/format';

// The locale's own formatting of the same options is the reference: rows must read as before the
// formatters were shared, in whatever locale the tests run.
const now = new Date(2026, 5, 17, 15, 30); // Wednesday 17 June 2026, 15:30 local time
const time = (d: Date) => d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

test('a message row shows the time for today, weekday and time this week, day and month this year, and the year before that', () => {
  const today = new Date(2026, 5, 17, 8, 5);
  assert.equal(shortDate(today.toISOString(), now), time(today));
  const monday = new Date(2026, 5, 15, 22, 40);
  assert.equal(
    shortDate(monday.toISOString(), now),
    `${monday.toLocaleDateString(undefined, { weekday: 'short' })} ${time(monday)}`,
  );
  const march = new Date(2026, 2, 3, 9, 0);
  assert.equal(
    shortDate(march.toISOString(), now),
    march.toLocaleDateString(undefined, { day: 'numeric', month: 'short' }),
  );
  const old = new Date(2024, 10, 30, 9, 0);
  assert.equal(
    shortDate(old.toISOString(), now),
    old.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' }),
  );
  // The formatters are shared between calls: a second row in another style still reads its own way.
  assert.equal(shortDate(today.toISOString(), now), time(today));
});

test('a message row with a date that cannot be read shows no date rather than "Invalid Date"', () => {
  assert.equal(shortDate('not a date', now), '');
});
