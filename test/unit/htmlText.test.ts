import assert from 'node:assert/strict';
import { test } from 'node:test';
import { htmlToText } from '../../src/core/reading/html-text';

test('the text of an HTML mail: blocks on their own lines, entities decoded, style and script left out', () => {
  const text = htmlToText(
    '<html><head><title>T</title><style>p { color: red }</style></head><body>' +
      '<p>Hello&nbsp;<b>world</b> &amp; co</p><div>See <a href="https://github.com/o/r/issues/7">issue 7</a> and src/app.ts:12</div>' +
      '<script>alert("x")</script><table><tr><td>a</td><td>b</td></tr></table><pre>  keep\n  lines</pre></body></html>',
  );
  assert.equal(
    text,
    'Hello world & co\n\nSee issue 7 <https://github.com/o/r/issues/7> and src/app.ts:12\n\na\tb\n\nkeep\nlines',
  );
});

test('a link whose text is its address is not repeated; javascript: addresses are not text', () => {
  assert.equal(
    htmlToText('<a href="https://x.test/">https://x.test/</a> <a href="javascript:alert(1)">go</a>'),
    'https://x.test/ go',
  );
});

test('unclosed and broken markup still gives its text', () => {
  assert.equal(htmlToText('<p>one<p>two<style>never closed'), 'one\ntwo');
  assert.equal(htmlToText('a <b <i> c'), 'a c');
  assert.equal(htmlToText('x < y and y > z'), 'x < y and y > z');
});
