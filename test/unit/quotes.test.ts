import assert from 'node:assert/strict';
import { test } from 'node:test';
import { segmentText } from '../../src/shared/quotes';

const kinds = (text: string) => segmentText(text).map((s) => [s.kind, s.text]);

test('a reply: its text, the quoted runs (any depth, blank lines inside) and the signature after "-- "', () => {
  const mail = [
    'Sounds good.',
    '',
    'On Tue, Ann wrote:',
    '> Shall we meet?',
    '>',
    '>> Earlier: yes',
    '',
    '> Bring the report.',
    'Done.',
    '-- ',
    'Bob',
    'bob@example.test',
  ].join('\n');
  assert.deepEqual(kinds(mail), [
    ['text', 'Sounds good.\n\nOn Tue, Ann wrote:\n'],
    ['quote', '> Shall we meet?\n>\n>> Earlier: yes\n\n> Bring the report.\n'],
    ['text', 'Done.\n'],
    ['signature', '-- \nBob\nbob@example.test'],
  ]);
});

test('the segments put together are the text, CRLF line ends included', () => {
  const mail = 'Hi\r\n> quoted\r\n  > indented quote\r\nback\r\n-- \r\nsig\r\n';
  const segments = segmentText(mail);
  assert.equal(segments.map((s) => s.text).join(''), mail);
  assert.deepEqual(
    segments.map((s) => s.kind),
    ['text', 'quote', 'text', 'signature'],
  );
});

test('"--" without the space, a quoted "-- " and a "-- " followed by a long text are not signatures', () => {
  assert.deepEqual(kinds('a\n--\nb'), [['text', 'a\n--\nb']]);
  assert.deepEqual(kinds('a\n> -- \n> sig'), [
    ['text', 'a\n'],
    ['quote', '> -- \n> sig'],
  ]);
  const long = `a\n-- \n${'line\n'.repeat(100)}`;
  assert.deepEqual(
    segmentText(long).map((s) => s.kind),
    ['text'],
  );
});

test('the last "-- " is the signature; an empty text has no segments', () => {
  assert.deepEqual(kinds('a\n-- \nfirst\n-- \nsecond'), [
    ['text', 'a\n-- \nfirst\n'],
    ['signature', '-- \nsecond'],
  ]);
  assert.deepEqual(segmentText(''), []);
});

test('a huge text of alternating quoted and plain lines is split in one pass, into exactly its runs', () => {
  const lines = 200_000;
  const text = Array.from({ length: lines }, (_, i) => (i % 2 ? '> quoted line' : 'plain line')).join('\n');
  const segments = segmentText(text);
  assert.equal(segments.length, lines);
  assert.equal(segments.map((s) => s.text).join(''), text);
  const oneLong = `${'> q\n'.repeat(1_000_000)}`;
  assert.deepEqual(
    segmentText(oneLong).map((s) => s.kind),
    ['quote'],
  );
});
