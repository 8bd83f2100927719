import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitizeStyleAttribute, sanitizeStylesheet, type UrlContext } from '../../src/core/reading/css';
import { sanitizeHtml } from '../../src/core/reading/sanitize';

const blocked = { allowRemote: false };

/** Runs a style sheet through the rewriter, recording every URL it was asked about. */
function sheet(css: string, keep: (url: string) => boolean = () => false) {
  const asked: Array<[string, UrlContext]> = [];
  const out = sanitizeStylesheet(css, (url, context) => {
    asked.push([url, context]);
    return keep(url) ? url : undefined;
  });
  return { out, asked };
}

test('remote CSS hidden behind escapes, image-set() and odd case is blocked and counted', () => {
  const disguised = [
    'a { background: \\75 rl(https://t.test/1.png) }',
    'a { background: U\\52L(https://t.test/2.png) }',
    'a { background-image: image-set("https://t.test/3.png" 1x, "https://t.test/3@2x.png" 2x) }',
    'a { background-image: -webkit-image-set(url(https://t.test/4.png) 1x) }',
    'a { background: url( "https://t.test/5.png" ) }',
    'a { list-style: square url(//t.test/6.png) }',
    'a { border-image: url(https://t.test/7.png) 30 }',
    '@\\69mport "https://t.test/8.css";',
    '@IMPORT url(https://t.test/9.css) screen;',
    '@font-face { font-family: x; src: url(https://t.test/10.woff) format("woff") }',
    '@media screen { @supports (display: grid) { a { background: url(https://t.test/11.png) } } }',
  ];
  for (const css of disguised) {
    const { html, remoteBlocked } = sanitizeHtml(
      `<style>${css}</style><p style="${css.includes('{') ? '' : css}">x</p>`,
      blocked,
    );
    assert.ok(!html.includes('t.test'), `${css} -> ${html}`);
    assert.ok(remoteBlocked >= 1, `${css} counted ${remoteBlocked}`);
  }
  const all = sanitizeHtml(`<style>${disguised.join('\n')}</style>`, blocked);
  assert.equal(all.remoteBlocked, 12, 'each reference counted once (image-set has two)');
});

test('the same references load when remote content is allowed, except @import', () => {
  const { html } = sanitizeHtml(
    '<style>a { background: \\75 rl(https://t.test/a.png) } @import "https://t.test/i.css"; b { background-image: image-set("https://t.test/s.png" 1x) }</style>',
    { allowRemote: true },
  );
  assert.match(html, /url\("https:\/\/t\.test\/a\.png"\)/);
  assert.match(html, /image-set\(url\("https:\/\/t\.test\/s\.png"\) 1x\)/);
  assert.ok(!html.includes('i.css'), html);
});

test('a comment between url and ( is not a URL to the browser, and is not one here', () => {
  const { out, asked } = sheet('a { background: url/**/(https://t.test/x.png) }');
  assert.deepEqual(asked, []);
  assert.ok(!out.includes('t.test'), out);
});

test('URLs are asked about once, with their unescaped value, and written back quoted', () => {
  const { out, asked } = sheet('a{background:url(https://t.test/\\61 .png)}', () => true);
  assert.deepEqual(asked, [['https://t.test/a.png', 'resource']]);
  assert.equal(out, 'a{background:url("https://t.test/a.png");}');
});

test('the mail cannot take its CSS out of its box: fixed and sticky positions, huge z-index, :host rules', () => {
  for (const decl of [
    'position: fixed',
    'position:FIXED',
    'position: f\\69xed',
    'position: sticky',
    'position: -webkit-sticky',
    'position: var(--p, fixed)',
    'z-index: 2147483647',
    'z-index: calc(1e9)',
    '--p: fixed',
    'inset: 0; position: fixed !important',
  ]) {
    const out = sanitizeStyleAttribute(decl, () => undefined);
    assert.ok(!/fixed|sticky|var\(|2147483647|1e9|--p/i.test(out), `${decl} -> ${out}`);
  }
  assert.equal(
    sanitizeStyleAttribute('position: relative; z-index: 3; top: -4px', () => undefined),
    'position:relative;z-index:3;top:-4px;',
  );
  assert.equal(
    sanitizeStyleAttribute('position: absolute !important', () => undefined),
    'position:absolute !important;',
  );
  for (const rule of [
    ':host { position: fixed }',
    ':HOST(.x) { display: none }',
    ':\\68 ost { color: red }',
    'p:is(:host) { color: red }',
    '::slotted(p) { color: red }',
  ]) {
    assert.equal(sheet(rule).out, '', rule);
  }
});

test('unknown properties and functions drop the declaration, known ones stay', () => {
  const out = sanitizeStyleAttribute(
    'color: red; width: expression(alert(1)); behavior: url(x.htc); -moz-binding: url(x.xml#y); ' +
      'background: paint(x); cursor: url(data:image/png;base64,AAAA), auto; margin: calc(1px + 2%); -webkit-text-size-adjust: 100%; font: 12px/1.5 "Helvetica Neue", Arial',
    () => 'kept',
  );
  assert.equal(
    out,
    'color:red;margin:calc(1px + 2%);-webkit-text-size-adjust:100%;font:12px/1.5 "Helvetica Neue", Arial;',
  );
});

test('nested rules, stray braces and unclosed blocks never leak into the rules that are kept', () => {
  assert.equal(sheet('a { color: red; p { position: fixed } b: c } }{ x { color: blue }').out, 'a{color:red;}');
  assert.equal(sheet('a { color: rgb(1, 2 } b { color: red }').out, '');
  assert.equal(sheet('@media screen { a { color: red }').out, '@media screen{a{color:red;}}');
  assert.equal(sheet('a { color: red').out, 'a{color:red;}');
  assert.equal(sheet('a/**/b { color: red }').out, 'a/**/b{color:red;}', 'comments keep tokens apart');
});

test('what is written into a <style> element can never close it', () => {
  const { html } = sanitizeHtml(
    '<style>a::after { content: "\\3c/style><img src=x onerror=alert(1)>" } b { background: url("https://t.test/</style>") }</style><p>t</p>',
    { allowRemote: true },
  );
  assert.equal(html.match(/<\/style>/g)?.length, 1, html);
  assert.ok(!html.includes('<img'), html);
});
