// "Create Task from Message": one checklist line per message, appended to the workspace's tasks
// file, as a Markdown link to the message. The subject and sender are mail text: they must not add
// lines, hide characters, end the link text or become other links or HTML in a preview of the file.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import * as path from 'node:path';
import { MailError } from '../errors';
import { plainText } from '../text/untrusted-text';

/**
 * Mail text as the text of a Markdown link on one line: one clean line in which every character
 * Markdown gives a meaning (brackets, parentheses, emphasis, code, HTML, entities) is escaped.
 */
function linkText(value: string): string {
  return plainText(value, 200).replace(/[\\[\]()<>`*_~!&|#]/g, '\\$&');
}

/** `- [ ] [Subject — Sender](vscode://…) (2026-12-01)`: the message's link is the task's text. */
export function taskLine(task: { subject: string; sender: string; date?: string; url: string }): string {
  const date = task.date ? new Date(task.date) : undefined;
  const day = date && !Number.isNaN(date.getTime()) ? ` (${date.toISOString().slice(0, 10)})` : '';
  const sender = linkText(task.sender);
  const text = `${linkText(task.subject) || '(no subject)'}${sender ? ` — ${sender}` : ''}`;
  // Our own URL: percent-encoded, so no space or parenthesis can end the link early.
  if (/[\s()<>]/.test(task.url)) throw new MailError('malformed', 'A message link cannot contain spaces or brackets.');
  return `- [ ] [${text}](${task.url})${day}`;
}

/**
 * Appends `line` to `file` (a path from writableFileInside), creating the file and its directories
 * if needed, and returns the 0-based line number it landed on. The file is opened without
 * following a link that may have appeared since it was checked.
 */
export async function appendTaskLine(file: string, line: string): Promise<number> {
  if (/[\r\n]/.test(line)) throw new MailError('malformed', 'A task is one line.');
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(
    file,
    constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0),
    0o644,
  );
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.nlink > 1)
      throw new MailError('config', `${file} is not a regular file that exists once; the task was not written.`);
    const existing = stat.size ? (await handle.readFile()).toString('utf8') : '';
    const prefix = existing && !existing.endsWith('\n') ? '\n' : '';
    await handle.write(`${prefix}${line}\n`);
    return existing.split('\n').length - 1 + (prefix ? 1 : 0);
  } finally {
    await handle.close();
  }
}
