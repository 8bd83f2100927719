import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AttachmentTempDir, MAX_TEXT_VIEW, textView, viewerFor } from '../../src/core/reading/attachment-view';
import { PNG_1X1 } from '../harness/fixtures';

const bytes = (s: string) => Buffer.from(s, 'latin1');

test('only real images and PDFs get a viewer; every other attachment is text, whatever its name promises', () => {
  assert.equal(viewerFor('logo.png', PNG_1X1), 'image');
  assert.equal(viewerFor('photo.JPG', bytes('\xff\xd8\xff\xe0rest')), 'image');
  assert.equal(viewerFor('a.gif', bytes('GIF89a...')), 'image');
  assert.equal(viewerFor('a.webp', bytes('RIFF\x10\x00\x00\x00WEBPVP8 ')), 'image');
  assert.equal(viewerFor('report.pdf', bytes('%PDF-1.7\n')), 'pdf');
  for (const [name, head] of [
    ['analysis.ipynb', '{"cells": []}'],
    ['project.code-workspace', '{"folders": [{"path": "/"}]}'],
    ['drawing.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['page.html', '<html><script>alert(1)</script></html>'],
    ['settings.json', '{"terminal.integrated.shell.linux": "/tmp/x"}'],
    ['fake.png', '#!/bin/sh\nid\n'], // the name says image, the bytes do not
    ['fake.pdf', 'MZ\x90\x00'], // nor here
    ['logo.png.exe', PNG_1X1.toString('latin1')], // image bytes under another name
    ['README', 'plain'],
  ] as const) {
    assert.equal(viewerFor(name, bytes(head)), 'text', name);
  }
});

test('text shows as text (UTF-8, or byte for byte when it is not UTF-8); anything else as a hex dump', () => {
  assert.equal(
    textView(Buffer.from('{"cells": ["grüße"]}\n'), { filename: 'a.ipynb', type: 'application/x-ipynb+json' }),
    '{"cells": ["grüße"]}\n',
  );
  assert.equal(textView(bytes('caf\xe9'), { filename: 'a.txt', type: 'text/plain' }), 'café');
  const binary = textView(PNG_1X1, { filename: 'logo.png.exe', type: 'application/octet-stream' });
  assert.match(
    binary,
    /^logo\.png\.exe \(application\/octet-stream\) is not text: all 70 bytes as hex\. Use Save… to keep the file\.\n\n00000000  89 50 4e 47 0d 0a 1a 0a/,
  );
  const big = Buffer.alloc(MAX_TEXT_VIEW, 0x61);
  const shown = textView(big, { filename: 'big.txt', type: 'text/plain', size: MAX_TEXT_VIEW * 3 });
  assert.ok(
    shown.endsWith(
      `[Only the first ${MAX_TEXT_VIEW} of ${MAX_TEXT_VIEW * 3} bytes are shown. Use Save… to keep the file.]\n`,
    ),
  );
  const cutInsideUtf8 = Buffer.concat([Buffer.alloc(MAX_TEXT_VIEW - 1, 0x61), Buffer.from('é')]).subarray(
    0,
    MAX_TEXT_VIEW,
  );
  assert.doesNotMatch(
    textView(cutInsideUtf8, { filename: 'a.txt', type: 'text/plain', size: MAX_TEXT_VIEW + 1 }),
    /Ã/,
    'a character cut in two is not misread as latin1',
  );
});

test("opened copies live in an owner-only directory of this extension host, and dead hosts' directories are removed", async () => {
  const base = mkdtempSync(join(tmpdir(), 'mailroom-attach-'));
  try {
    // A directory left by an extension host that died, and one of a host that still runs.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    mkdirSync(join(base, `${dead}-old`));
    writeFileSync(join(base, `${dead}-old`, 'secret.pdf'), 'x');
    mkdirSync(join(base, `${process.ppid}-other-window`));

    const temp = await AttachmentTempDir.create(base);
    assert.equal(statSync(base).mode & 0o777, 0o700);
    assert.equal(statSync(temp.dir).mode & 0o777, 0o700);
    assert.ok(!existsSync(join(base, `${dead}-old`)), "a dead host's copies are gone");
    assert.ok(existsSync(join(base, `${process.ppid}-other-window`)), "a running host's copies stay");
    const file = join(temp.dir, 'logo.png');
    writeFileSync(file, PNG_1X1, { mode: 0o644 });
    await temp.seal(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    temp.disposeSync();
    assert.ok(!existsSync(temp.dir));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
