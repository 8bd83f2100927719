import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddressList, formatAddress, matchesAddress } from '../../src/core/compose/addresses';
import { checkComposer } from '../../src/core/compose/checks';
import { formatComposer, parseComposer } from '../../src/core/compose/document';

const ISSUE_EXAMPLE = [
  'From: Alice Example <alice@example.test>',
  'To: Bob <bob@example.test>',
  'Cc:',
  'Subject: Re: Quarterly report',
  'Attach: ./reports/q1.pdf',
  '',
  'Thanks — numbers below.',
  '',
  'On Mon, 2 Mar 2026 at 10:04, Bob <bob@example.test> wrote:',
  '> Can you send the Q1 figures?',
].join('\n');

test('the composer text of the issue parses into headers, attachments and the Markdown body', () => {
  const doc = parseComposer(ISSUE_EXAMPLE);
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(doc.from?.address, { name: 'Alice Example', address: 'alice@example.test' });
  assert.deepEqual(doc.to.addresses, [{ name: 'Bob', address: 'bob@example.test' }]);
  assert.deepEqual(doc.cc.addresses, []);
  assert.equal(doc.subject, 'Re: Quarterly report');
  assert.deepEqual(
    doc.attach.map((a) => a.kind === 'file' && a.path),
    ['./reports/q1.pdf'],
  );
  assert.equal(doc.bodyLine, 6);
  assert.equal(doc.body.split('\n')[0], 'Thanks — numbers below.');
  assert.ok(doc.body.endsWith('> Can you send the Q1 figures?'));
});

test('formatComposer and parseComposer round-trip, names with commas quoted', () => {
  const text = formatComposer({
    from: { name: 'Alice Example', address: 'alice@example.test' },
    to: [{ name: 'Doe, John', address: 'john@example.test' }, { address: 'carol@example.test' }],
    cc: [],
    bcc: [{ address: 'dave@example.test' }],
    subject: 'Hello',
    attach: ['#1 q1.pdf'],
    body: 'Hi\n\n> quoted\n',
  });
  const doc = parseComposer(text);
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(doc.to.addresses, [
    { name: 'Doe, John', address: 'john@example.test' },
    { address: 'carol@example.test' },
  ]);
  assert.deepEqual(doc.bcc.addresses, [{ address: 'dave@example.test' }]);
  assert.deepEqual(
    doc.attach.map((a) => (a.kind === 'ref' ? [a.id, a.label] : a.path)),
    [[1, 'q1.pdf']],
  );
  assert.equal(doc.body, 'Hi\n\n> quoted\n');
});

test('unknown header lines and lines that are no header are errors at their position', () => {
  const doc = parseComposer('To: bob@example.test\nX-Priority: 1\nSubject: s\nthis is body text too early\n\nbody');
  const unknown = doc.problems.find((p) => p.code === 'unknownHeader')!;
  assert.deepEqual(unknown.range, { line: 1, startColumn: 0, endColumn: 10 });
  assert.match(unknown.message, /X-Priority/);
  const notHeader = doc.problems.find((p) => p.code === 'notAHeader')!;
  assert.equal(notHeader.range.line, 3);
  assert.equal(doc.body, 'body');
});

test('an address that does not parse is pointed at by its columns; the others still count', () => {
  const line = 'To: Bob <bob@example.test>, not an address, carol@example.test';
  const doc = parseComposer(`${line}\nSubject: s\n\nx`);
  assert.deepEqual(
    doc.to.addresses.map((a) => a.address),
    ['bob@example.test', 'carol@example.test'],
  );
  const bad = doc.problems.filter((p) => p.code === 'badAddress');
  assert.equal(bad.length, 1);
  const r = bad[0]!.range;
  assert.equal(line.slice(r.startColumn, r.endColumn), 'not an address');
});

test('folded header lines continue the previous header, and positions point into the right line', () => {
  const doc = parseComposer('To: a@example.test,\n  b@example.test, oops\nSubject: s\n\nx');
  assert.deepEqual(
    doc.to.addresses.map((a) => a.address),
    ['a@example.test', 'b@example.test'],
  );
  const bad = doc.problems.find((p) => p.code === 'badAddress')!;
  assert.deepEqual(bad.range, { line: 1, startColumn: 18, endColumn: 22 });
});

test('a duplicate Subject and a From with two addresses are errors', () => {
  const doc = parseComposer(
    'From: a@example.test, b@example.test\nTo: c@example.test\nSubject: one\nSubject: two\n\nx',
  );
  assert.deepEqual(doc.problems.map((p) => p.code).sort(), ['badFrom', 'duplicateHeader']);
});

test('address lists: groups, quoted names, and wildcard aliases', () => {
  assert.deepEqual(parseAddressList('undisclosed-recipients:;').addresses, []);
  assert.deepEqual(parseAddressList('"Doe, Jane" <jane@example.test>').addresses, [
    { name: 'Doe, Jane', address: 'jane@example.test' },
  ]);
  assert.equal(parseAddressList('jane@').problems.length, 1);
  assert.equal(formatAddress({ name: 'Doe, Jane', address: 'jane@example.test' }), '"Doe, Jane" <jane@example.test>');
  assert.ok(matchesAddress('Sales@Example.test', ['*@example.test']));
  assert.ok(!matchesAddress('sales@example.test.evil', ['*@example.test']));
  assert.ok(!matchesAddress('a@b@example.test', ['*@example.test']));
});

test('checks: no recipient, empty subject, missing file, unknown part, forgotten attachment, too large', async () => {
  const env = { fileSize: (p: string) => (p === './exists.pdf' ? 2_000_000 : undefined), refSizes: new Map([[1, 10]]) };
  const codes = async (text: string, extra = {}) =>
    (await checkComposer(parseComposer(text), { ...env, ...extra })).map((p) => `${p.severity}:${p.code}`).sort();

  assert.deepEqual(await codes('To:\nSubject:\n\nhi'), ['error:noRecipient', 'warning:emptySubject']);
  assert.deepEqual(await codes('To: b@example.test\nSubject: s\nAttach: ./missing.pdf\nAttach: #2 gone.pdf\n\nhi'), [
    'error:attachmentMissing',
    'error:attachmentUnknown',
  ]);
  assert.deepEqual(await codes('To: b@example.test\nSubject: s\n\nThe report is attached.'), [
    'warning:forgotAttachment',
  ]);
  // Only our own text counts: "attached" in the quote or the signature does not.
  assert.deepEqual(
    await codes(
      'To: b@example.test\nSubject: s\n\nThanks!\n\nOn Mon, Bob wrote:\n> see attached\n\n-- \nattachment lover',
    ),
    [],
  );
  assert.deepEqual(await codes('To: b@example.test\nSubject: s\nAttach: ./exists.pdf\n\nThe report is attached.'), []);
  assert.deepEqual(await codes('To: b@example.test\nSubject: s\nAttach: ./exists.pdf\n\nx', { maxSize: 1_000_000 }), [
    'error:tooLarge',
  ]);
});

test('the forgotten-attachment warning points at the word in the body', async () => {
  const problems = await checkComposer(parseComposer('To: b@example.test\nSubject: s\n\nHi,\nI attached it.'), {
    fileSize: () => undefined,
  });
  assert.deepEqual(problems[0]!.range, { line: 4, startColumn: 2, endColumn: 10 });
});
