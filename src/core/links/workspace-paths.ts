// Which files of a workspace folder Mailroom may read or write. A repository is hostile like mail:
// its `.vscode/settings.json` can name "../../.bashrc", and it can ship `TODO.md` or a directory as
// a symbolic link to anywhere. Lexical checks (path.resolve, Uri.joinPath) see neither, so every
// decision here is made on real paths (realpath of the folder and of what is under it).
import { lstat, readlink, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { MailError } from '../errors';

/** Whether `p` is `root` or below it (both real, absolute paths). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The real path where `relative` (a setting's value, `what` describes it in errors) may be created
 * or appended to inside `folder`: it must stay inside the folder after every symbolic link on the
 * way is resolved, and the file itself must not be a link, a hard link or anything but a regular
 * file. Missing directories on the way are fine (they will be created inside).
 */
export async function writableFileInside(folder: string, relative: string, what: string): Promise<string> {
  const value = relative.trim();
  const refuse = (why: string): never => {
    throw new MailError('config', `${what} ${why}`, { folder, relative });
  };
  if (!value) refuse('is empty.');
  if (path.isAbsolute(value) || path.win32.isAbsolute(value))
    refuse(`must be a path relative to the workspace folder "${folder}", not an absolute path.`);
  const root = await realpath(folder);
  const target = path.resolve(root, value);
  if (!isInside(root, target) || target === root)
    refuse(`points outside the workspace folder "${folder}"; Mailroom writes only inside it.`);

  // The deepest directory on the way that exists decides where the file really is.
  let existing = path.dirname(target);
  while (!(await lstatOrUndefined(existing))) existing = path.dirname(existing);
  let realDir: string;
  try {
    realDir = await realpath(existing);
  } catch {
    return refuse(`goes through "${existing}", a symbolic link that leads nowhere.`);
  }
  if (!isInside(root, realDir)) {
    refuse(
      `goes through "${existing}", which leads to "${realDir}", outside the workspace folder "${folder}"; Mailroom writes only inside it.`,
    );
  }
  const real = path.join(realDir, path.relative(existing, target));

  const stat = await lstatOrUndefined(real);
  if (stat?.isSymbolicLink()) {
    const to = await readlink(real).catch(() => '?');
    refuse(
      `is a symbolic link (to "${to}"); Mailroom does not write through links, which can lead out of the workspace. Make it a regular file.`,
    );
  }
  if (stat && !stat.isFile()) refuse('is not a regular file.');
  if (stat && stat.nlink > 1)
    refuse(
      `has ${stat.nlink} hard links; Mailroom writes only to a file that exists once, so that no file elsewhere changes with it.`,
    );
  return real;
}

/**
 * The real path of the regular file `candidate` if it exists and really is inside `folder` (a link
 * that leads out of the workspace is not a workspace file); undefined otherwise.
 */
export async function existingFileInside(folder: string, candidate: string): Promise<string | undefined> {
  try {
    const [root, real] = await Promise.all([realpath(folder), realpath(candidate)]);
    if (!isInside(root, real)) return undefined;
    const stat = await lstat(real);
    return stat.isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}
