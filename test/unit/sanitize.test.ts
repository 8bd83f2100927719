import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitizeHtml } from '../../src/core/reading/sanitize';

const blocked = { allowRemote: false };

test('scripts, handlers, forms, frames, objects, meta and base are removed', () => {
  const { html } = sanitizeHtml(
    `
    <meta http-equiv="refresh" content="0;url=https://evil.test/"><base href="https://evil.test/">
    <script>alert(1)</script><p onclick="steal()" onmouseover="x()">hi</p>
    <iframe src="https://evil.test/"></iframe><object data="x.swf"></object><embed src="x">
    <form action="https://evil.test/"><input name="pw"><button>Go</button></form>
    <svg><script>alert(2)</script></svg><img src="x" onerror="alert(3)">`,
    blocked,
  );
  for (const bad of [
    '<script',
    'alert(',
    'onclick',
    'onmouseover',
    'onerror',
    '<iframe',
    '<object',
    '<embed',
    '<form',
    '<input',
    '<meta',
    '<base',
    '<svg',
    'evil.test',
  ]) {
    assert.ok(!html.toLowerCase().includes(bad), `${bad} survived: ${html}`);
  }
  assert.match(html, /<p>hi<\/p>/);
});

test('javascript: and data: links are dropped, http(s)/mailto links kept and marked external', () => {
  const { html } = sanitizeHtml(
    '<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a><a href="https://example.com/x">c</a><a href="mailto:a@b.test">d</a><a href="JaVaScRiPt:alert(1)">e</a>',
    blocked,
  );
  assert.ok(!/javascript|data:text/i.test(html), html);
  assert.match(html, /<a href="https:\/\/example.com\/x" rel="noopener noreferrer" data-external="true">c<\/a>/);
  assert.match(html, /href="mailto:a@b.test"/);
});

test('remote images and CSS are blocked and counted until allowed', () => {
  const src =
    '<style>@import url("http://t.test/a.css"); body { background: url(http://t.test/bg.png) }</style>' +
    '<div style="background-image:url(\'https://t.test/x.png\')">x</div><img src="http://t.test/pixel.gif" alt="p"><img src="//t.test/proto.gif">';
  const off = sanitizeHtml(src, blocked);
  assert.ok(!/t\.test\/(a\.css|bg\.png|x\.png)/.test(off.html), off.html);
  assert.ok(!/\ssrc="[^"]*t\.test/.test(off.html), off.html);
  assert.match(off.html, /data-remote-src="http:\/\/t.test\/pixel.gif"/);
  assert.equal(off.remoteBlocked, 5);
  const on = sanitizeHtml(src, { allowRemote: true });
  assert.match(on.html, /<img [^>]*src="http:\/\/t.test\/pixel.gif"/);
  assert.match(on.html, /url\(&quot;https:\/\/t.test\/x.png&quot;\)/);
  assert.ok(!on.html.includes('@import'), 'imports stay blocked even when remote content is allowed');
});

test('cid: images resolve to the fetched data URL; unknown cids are marked missing', () => {
  const png = 'data:image/png;base64,iVBORw0KGgo=';
  const { html } = sanitizeHtml('<img src="cid:logo@x.test"><img src="cid:nope@x.test">', {
    allowRemote: false,
    cid: new Map([['logo@x.test', png]]),
  });
  assert.match(html, new RegExp(`<img src="${png.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
  assert.match(html, /data-cid-missing="true"/);
});

test('CSS scripting constructs are neutralised', () => {
  const { html } = sanitizeHtml(
    '<p style="width: expression(alert(1)); -moz-binding: url(x.xml#y); behavior: url(x.htc)">t</p>',
    blocked,
  );
  assert.ok(!/expression\(|-moz-binding|behavior/i.test(html), html);
});
