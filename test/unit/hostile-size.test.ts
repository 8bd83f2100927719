// Work on mail text must be linear in its size. The quadratic regular expressions these passes
// replace took 11 s on 200 KB of "url(" and 48 s on 400 KB (minutes to hours at these sizes); the
// linear code takes 0.1–2.5 s here (the slowest: sanitize-html's per-event cost on 4 million "<").
// The bound is generous so that it fails on super-linear code only, not on a busy machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitizeStyleAttribute, sanitizeStylesheet } from '../../src/core/reading/css';
import { htmlToText } from '../../src/core/reading/html-text';
import { HtmlTooComplex, referencedCids, sanitizeHtml } from '../../src/core/reading/sanitize';

const MB = 1024 * 1024;
const SIZE = 4 * MB;
const BOUND_MS = 8000;
const fill = (unit: string, prefix = '', suffix = '', size = SIZE) =>
  prefix + unit.repeat(Math.ceil((size - prefix.length - suffix.length) / unit.length)) + suffix;

function assertFast(what: string, work: () => void): void {
  const start = performance.now();
  work();
  const ms = performance.now() - start;
  assert.ok(ms < BOUND_MS, `${what} took ${ms.toFixed(0)} ms`);
}

const HOSTILE: Record<string, string> = {
  'unclosed "<style " tags': fill('<style '),
  'url( a million times in a style sheet': fill('url(', '<style>a{b:', '</style>'),
  'url( a million times in a style attribute': fill('url(', '<p style="', '">x</p>'),
  'image-set( nested a million deep': fill('image-set(', '<style>a{background:'),
  'blocks nested a million deep': fill('{', '<style>a'),
  '@media nested half a million deep': fill('@media{', '<style>'),
  'a <style> that never ends': fill('a{color:red}', '<style>'),
  'a comment that never ends': fill('x', '<style>/*'),
  'escaped quotes in CSS strings': fill('\\"\'', '<style>a{content:"'),
  'nested quotes in attributes': fill('"\'', "<p title='", "'>x</p>"),
  'one 4 MB attribute value': fill('x', '<p title="', '">y</p>'),
  'a million "<"': fill('<'),
  'a million "<a"': fill('<a'),
  'elements nested 400,000 deep': fill('<div>'),
  'a deep stack and a million end tags that match nothing': fill('</span>', '<div>'.repeat(250)),
  'a million cid: references': fill('<img src="cid:x">'),
  'a million cid: in one word': fill('cid:', '<p>', '</p>'),
  'one text line of 4 MB': fill('word '),
  'a million entities': fill('&amp;'),
};

for (const [name, html] of Object.entries(HOSTILE)) {
  test(`${name} (${(html.length / MB).toFixed(0)} MB): sanitized, read as text and scanned for cids in linear time`, () => {
    assertFast('sanitizeHtml', () => {
      try {
        sanitizeHtml(html, { allowRemote: false });
      } catch (err) {
        assert.ok(err instanceof HtmlTooComplex, String(err));
      }
    });
    assertFast('htmlToText', () => htmlToText(html));
    assertFast('referencedCids', () => referencedCids(html));
  });
}

// sanitizeHtml drops CSS above 256 KB (MAX_STYLESHEET_CHARS); the rewriter itself stays linear
// well past that.
const CSS_SIZE = MB;
const HOSTILE_CSS: Record<string, string> = {
  'url( repeated': fill('url(', 'a{b:', '', CSS_SIZE),
  'image-set( nested': fill('image-set(', 'a{background:', '', CSS_SIZE),
  'blocks nested': fill('{', 'a', '', CSS_SIZE),
  '@media nested': fill('@media{', '', '', CSS_SIZE),
  'escaped quotes': fill('\\"\'', 'a{content:"', '', CSS_SIZE),
  rules: fill('a{color:red;background:url(https://t.test/x)}', '', '', CSS_SIZE),
  'an unclosed comment': fill('x', '/*', '', CSS_SIZE),
};
for (const [name, css] of Object.entries(HOSTILE_CSS)) {
  test(`CSS: ${name} (1 MB) is rewritten in linear time`, () => {
    assertFast('sanitizeStylesheet', () => sanitizeStylesheet(css, () => undefined));
    assertFast('sanitizeStyleAttribute', () => sanitizeStyleAttribute(css, () => undefined));
  });
}
