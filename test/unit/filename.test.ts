import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeFilename, uniqueName } from '../../src/core/reading/filename';

test('path separators and traversal never survive', () => {
  assert.equal(safeFilename('../../etc/passwd'), 'passwd');
  assert.equal(safeFilename('C:\\evil\\con.txt'), '_con.txt');
  assert.equal(safeFilename('..'), 'attachment');
  assert.equal(safeFilename('/'), 'attachment');
  assert.equal(safeFilename('.bashrc'), 'bashrc');
  for (const name of ['a/b', 'a\\b', '../x', 'x/..', '..\\..\\x']) {
    const s = safeFilename(name);
    assert.ok(!/[/\\]/.test(s) && s !== '..' && s !== '.', `${name} -> ${s}`);
  }
});

test('Windows-hostile characters, device names, control and bidi characters', () => {
  assert.equal(safeFilename('a<b>c:d"e|f?g*h.txt'), 'a_b_c_d_e_f_g_h.txt');
  assert.equal(safeFilename('NUL'), '_NUL');
  assert.equal(safeFilename('lpt1.log'), '_lpt1.log');
  assert.equal(safeFilename('re\u0000port\u0007.pdf'), 'report.pdf');
  assert.equal(safeFilename('invoice\u202Etxt.exe'), 'invoicetxt.exe');
  assert.equal(safeFilename('trailing. . '), 'trailing');
});

test('invisible characters that disguise an extension are removed', () => {
  assert.equal(safeFilename('report.pdf\u200B.exe'), 'report.pdf.exe');
  for (const invisible of [
    '\u200B',
    '\u200C',
    '\u200D',
    '\u2060',
    '\uFEFF',
    '\u00AD',
    '\u200E',
    '\u200F',
    '\u061C',
    '\u180E',
    '\u3164',
    '\uFE0F',
    '\u034F',
  ]) {
    assert.equal(safeFilename(`in${invisible}voice.pdf`), 'invoice.pdf', `U+${invisible.codePointAt(0)!.toString(16)}`);
  }
  assert.equal(safeFilename('\u200B\u200B.bashrc'), 'bashrc', 'no hidden file behind invisible characters');
});

test('every Windows device name is renamed, with spaces before the extension and superscript digits too', () => {
  for (const name of [
    'CON .txt',
    'con  .tar.gz',
    'CONIN$',
    'conout$.log',
    'COM\u00b9',
    'com\u00b2.txt',
    'LPT\u00b3',
    'COM0',
    'lpt0.txt',
    'AUX . .txt',
  ]) {
    assert.ok(safeFilename(name).startsWith('_'), `${name} -> ${safeFilename(name)}`);
  }
  for (const fine of ['console.txt', 'CONTRACT.pdf', 'com10.txt', 'nullable.js', 'auxiliary'])
    assert.equal(safeFilename(fine), fine);
});

test('non-ASCII names are kept; empty names get a typed default; long names keep the extension', () => {
  assert.equal(safeFilename('übersicht €.txt'), 'übersicht €.txt');
  assert.equal(safeFilename('', 'application/pdf'), 'attachment.pdf');
  const long = safeFilename(`${'ü'.repeat(300)}.pdf`);
  assert.ok(Buffer.byteLength(long) <= 180);
  assert.ok(long.endsWith('.pdf'));
});

test('uniqueName counts up past taken names', async () => {
  const taken = new Set(['a.txt', 'a (1).txt']);
  assert.equal(await uniqueName('a.txt', async (c) => taken.has(c)), 'a (2).txt');
  assert.equal(await uniqueName('b', async () => false), 'b');
});
