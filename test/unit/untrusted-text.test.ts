import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import {
  label,
  labelText,
  markdown,
  markdownText,
  message,
  messageText,
  plain,
  plainText,
} from '../../src/core/text/untrusted-text';

// How VS Code finds links in notification, dialog and quick-input text (src/vs/base/common/linkedText.ts)
// and icons in labels (src/vs/base/browser/ui/iconLabel/iconLabels.ts): the oracles these tests check against.
const VSCODE_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const VSCODE_ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;
const links = (s: string) => [...s.matchAll(VSCODE_LINK)].length;
const icons = (s: string) => [...s.matchAll(VSCODE_ICON)].filter((m) => !m[1]).length;

const COMMAND = '[Clean up now](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)';

/** Subjects as mailparser decodes them from RFC 2047 headers: what really reaches the UI. */
async function decodedSubject(text: string): Promise<string> {
  const word = `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
  const parsed = await simpleParser(Buffer.from(`Subject: ${word}\r\nFrom: a@b.test\r\n\r\nbody\r\n`));
  return parsed.subject ?? '';
}

const HOSTILE = [
  `Your mailbox is almost full ${COMMAND}`,
  '[Open](https://evil.example/login) and [file](file:///etc/passwd) and [web](http://evil.example)',
  '[Run](command:workbench.action.terminal.new "Click me")',
  "[Run](command:x 'quoted')",
  '[[nested](command:a)](command:b)',
  '[zero-width]\u200B(command:evil)',
  '[word-joiner]\u2060(command:evil)',
  '[newline]\n(command:evil)',
  '[bidi]\u202E(command:evil)',
  'Invoice $(alert) $(sync~spin) $(terminal) \\$(already-escaped)',
  'price 5$(x) and $($(nested))',
  '\u202Egnp.exe\u202C.pdf and \u2066isolate\u2069 and \u200Fmark',
  'ESC \u001b[31mred\u001b[0m NUL\u0000 DEL\u007f C1\u0085\u009b',
  'line one\r\nline two\u2028line three\u2029line four\u000bfive\u000csix',
  '<img src=x onerror=alert(1)> &amp; **bold** _it_ `code` # heading',
  'https://evil.example www.evil.example mallory@evil.example',
  'tags\u{E0041}\u{E0042} soft\u00ADhyphen bom\uFEFF',
  'lone \uD800 surrogate \uDC00',
];

test('every hostile text becomes one clean line without control, bidi or invisible characters', async () => {
  const corpus = [...HOSTILE, await decodedSubject(`Your mailbox is almost full\n${COMMAND}\r\nSecond line`)];
  for (const raw of corpus) {
    for (const out of [plainText(raw), messageText(raw), labelText(raw), markdownText(raw)]) {
      assert.doesNotMatch(out, /[\p{Cc}\p{Cs}]/u, `control character left in ${JSON.stringify(out)}`);
      assert.doesNotMatch(
        out,
        /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B\u2060\uFEFF\u00AD\u{E0000}-\u{E007F}]/u,
        JSON.stringify(out),
      );
      assert.doesNotMatch(out, /[\n\r\u2028\u2029]/, 'a second line');
      assert.doesNotMatch(out, /\s\s/, 'whitespace collapsed');
      assert.equal(out, out.trim());
    }
  }
});

test('an RFC 2047 subject with a command link and newlines shows literally in a notification, without a link', async () => {
  const subject = await decodedSubject(`Your mailbox is almost full\n${COMMAND}`);
  assert.ok(subject.includes('\n') && links(subject) === 1, 'the decoded subject really is hostile');
  const text = message`New mail from ${'IT Support'}: ${subject}`;
  assert.equal(
    text,
    'New mail from IT Support: Your mailbox is almost full [Clean up now] (command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)',
  );
  assert.equal(links(text), 0);
});

test('no markdown link of any scheme survives in message or label text, however it is split or hidden', () => {
  for (const raw of HOSTILE) {
    assert.equal(links(messageText(raw)), 0, messageText(raw));
    assert.equal(links(labelText(raw)), 0, labelText(raw));
    assert.equal(links(message`${raw}`), 0);
  }
  // Two pieces that are harmless alone and a link together.
  assert.equal(links(message`${'[Open]'}${'(command:evil)'}`), 0);
  assert.equal(links(message`Re: ${'[Open]'}(${'command:evil'})`), 0);
  assert.equal(links(label`${'[Open]'}${'(https://evil.example)'}`), 0);
});

test("label text shows $(icon) literally, keeps Mailroom's own icons, and never forms an icon across pieces", () => {
  for (const raw of HOSTILE) assert.equal(icons(labelText(raw)), 0, labelText(raw));
  assert.equal(labelText('Invoice $(alert) now'), 'Invoice \\$(alert) now');
  const item = label`$(star-full) ${'Budget $(trash)'}`;
  assert.equal(item, '$(star-full) Budget \\$(trash)');
  assert.equal(icons(item), 1, 'only our star');
  assert.equal(icons(label`${'Total: 5$'}(${'alert'})`), 0, 'a "$" from one piece and "(" from the next');
  assert.equal(label`${'5$'} · unread`, '5$ · unread', 'a "$" before anything else stays as it is');
});

test('markdown text escapes every ASCII punctuation character, so nothing in it is markup', () => {
  for (const raw of [...HOSTILE, COMMAND]) {
    const out = markdownText(raw);
    // Each punctuation character is preceded by an escaping backslash (itself escaped when literal).
    for (let i = 0; i < out.length; i++) {
      if (/[!-/:-@[-`{-~]/.test(out[i]!)) {
        assert.equal(out[i], '\\', `unescaped ${JSON.stringify(out[i])} at ${i} in ${out}`);
        assert.match(out[i + 1] ?? '', /[!-/:-@[-`{-~]/, out);
        i++;
      }
    }
  }
  assert.equal(markdownText('a [b](command:c) https://d.test'), 'a \\[b\\]\\(command\\:c\\) https\\:\\/\\/d\\.test');
  assert.equal(markdown`**${'*not bold*'}**`, '**\\*not bold\\***', 'our own markup stays');
});

test('huge strings are cut to a bounded length on a character boundary', () => {
  const huge = `${'A'.repeat(5_000_000)}${COMMAND}`;
  const out = plainText(huge);
  assert.equal([...out].length, 200);
  assert.ok(out.endsWith('…'));
  assert.equal([...messageText(huge)].length, 500);
  const emoji = '😀'.repeat(1000);
  const cut = labelText(emoji, 10);
  assert.equal(cut, `${'😀'.repeat(9)}…`, 'no surrogate pair split');
  // Whitespace and invisible padding cannot push a long run of text through.
  assert.ok([...plainText(`${' \u200B'.repeat(2_000_000)}${'B'.repeat(1000)}`)].length <= 200);
});

test('ordinary text passes unchanged, joiners of scripts and emoji included', () => {
  for (const ok of [
    'Re: Quarterly report (draft 2)',
    'Grüße aus Köln',
    'می‌خواهم',
    '👩‍💻 deploy',
    'Ünïcödé — “quotes”',
  ]) {
    assert.equal(plainText(ok), ok);
    assert.equal(messageText(ok), ok);
  }
  assert.equal(plain`${'  spaced\tout  '}`, 'spaced out');
  assert.equal(plainText(undefined), '');
  assert.equal(plainText(42), '42');
});
