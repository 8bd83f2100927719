import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listPostAddress, parseMailto } from '../../src/core/compose/mailto';

test('a mailto: link becomes the composer fields it names (RFC 6068), "+" staying a plus', () => {
  assert.deepEqual(
    parseMailto(
      'mailto:bob@example.test,carol@example.test?cc=dave%40example.test&subject=Hello%20there&body=Line%201%0D%0ALine+2',
    ),
    {
      to: [{ address: 'bob@example.test' }, { address: 'carol@example.test' }],
      cc: [{ address: 'dave@example.test' }],
      bcc: [],
      subject: 'Hello there',
      body: 'Line 1\nLine+2',
    },
  );
});

test('a mailto: link cannot put a line break into the subject, and only mailto: links are read', () => {
  assert.equal(parseMailto('mailto:?subject=a%0D%0ABcc:%20eve@example.test')?.subject, 'a Bcc: eve@example.test');
  assert.equal(parseMailto('https://example.test/'), undefined);
  assert.equal(parseMailto('mailto:%E0%A4%A'), undefined, 'a broken escape');
});

test("List-Post gives the list's posting address; NO and non-mailto URLs give none", () => {
  assert.deepEqual(listPostAddress('<mailto:dev@lists.example.test>'), { address: 'dev@lists.example.test' });
  assert.deepEqual(listPostAddress('<https://example.test/post>, <mailto:dev@lists.example.test?subject=x>'), {
    address: 'dev@lists.example.test',
  });
  assert.equal(listPostAddress('NO (posting not allowed on this list)'), undefined);
  assert.equal(listPostAddress('<https://example.test/post>'), undefined);
  assert.equal(listPostAddress(undefined), undefined);
});
