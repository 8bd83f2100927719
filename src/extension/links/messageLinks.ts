// Mail-linked work: copy a link to a message, turn a message into a task line, open links from
// any file (DocumentLinkProvider), from outside VS Code (URI handler) and describe them on hover.
import * as vscode from 'vscode';
import {
  bareMessageId,
  findMessageLinks,
  formatMessageLink,
  type MessageLink,
  messageIdProblem,
  parseMessageLink,
} from '../../core/links/links';
import type { MessageRef, ReadonlySummary } from '../../core/mailbox/messages';
import { MailError } from '../../core/errors';
import { appendTaskLine, taskLine } from '../../core/links/tasks';
import { plainText } from '../../core/text/untrusted-text';
import { writableFileInside } from '../../core/links/workspace-paths';
import { revealInTree } from '../reveal';
import { command, type CommandContext, resolveTargets } from '../commands/context';
import { senderName, subjectOf } from '../format';
import { type MessageTarget, reportError } from '../mailActions';
import type { Account } from '../model';
import { Command } from '../commands/ids';
import {
  hover,
  input,
  label,
  markdown,
  type MarkdownText,
  message,
  notify,
  pick,
  quietProgress,
  statusMessage,
} from '../ui';
import { LinkCache, type LinkInfo } from './linkCache';

/** Everything a link needs about a message: from the loaded page, else from the server. */
async function describe(
  target: MessageTarget,
): Promise<{ summary: Pick<ReadonlySummary, 'subject' | 'from' | 'date' | 'messageId'> }> {
  const store = target.account.requireStore();
  const known = store.message(target.ref);
  if (known) return { summary: known };
  const content = await store.readMessage(target.ref, { maxTextBytes: 1 });
  return {
    summary: {
      subject: content.subject,
      from: content.from,
      date: content.date ?? '',
      ...(content.messageId ? { messageId: content.messageId } : {}),
    },
  };
}

export function linkFor(account: Account, ref: MessageRef, messageId: string): string {
  const config = account.entry.config!;
  return formatMessageLink({
    account: account.name,
    messageId,
    hint: {
      user: config.user,
      host: config.host,
      port: config.port,
      mailbox: ref.mailbox,
      uidValidity: ref.uidValidity,
      uid: ref.uid,
    },
  });
}

function requireMessageId(summary: { messageId?: string; subject: string }): string {
  if (!summary.messageId) {
    throw new MailError(
      'unsupported',
      `"${subjectOf(summary.subject)}" has no Message-ID header, so a link to it could not find it again after a move. Mailroom does not create links to it.`,
    );
  }
  const id = bareMessageId(summary.messageId);
  const problem = messageIdProblem(id);
  if (problem) {
    throw new MailError(
      'unsupported',
      `"${subjectOf(summary.subject)}" has the Message-ID <${id}>, which ${problem.replace(/^it /, '')}: a link could find other messages too. Mailroom does not create links to it.`,
    );
  }
  return id;
}

/** The label of a copied Markdown link: one clean line of mail text, brackets escaped. */
const markdownLabel = (s: string) => plainText(s).replace(/[[\]\\]/g, (c) => `\\${c}`);

export class MessageLinks {
  readonly cache: LinkCache;

  constructor(private readonly ctx: CommandContext) {
    this.cache = new LinkCache(ctx.extension.globalState);
  }

  /** Hovers follow the messages they describe: a move (or undo) in any account updates "last seen in". */
  private listen(): vscode.Disposable {
    return this.ctx.model.onDidChange((e) => {
      if (e.kind !== 'store' || e.event.kind !== 'moved') return;
      const { to, messageIds } = e.event;
      for (const id of messageIds) void this.cache.moved(e.account.name, bareMessageId(id), to);
    });
  }

  async copyLink(target: MessageTarget): Promise<string> {
    const { summary } = await describe(target);
    const messageId = requireMessageId(summary);
    const url = linkFor(target.account, target.ref, messageId);
    await this.remember(target.account.name, messageId, summary, target.ref.mailbox);
    const text = `[${markdownLabel(`${subjectOf(summary.subject)} — ${senderName(summary.from)}`)}](${url})`;
    await vscode.env.clipboard.writeText(text);
    return text;
  }

  private remember(
    account: string,
    messageId: string,
    s: Pick<ReadonlySummary, 'subject' | 'from' | 'date'>,
    mailbox: string,
  ): Promise<void> {
    return this.cache.set(account, messageId, {
      subject: subjectOf(s.subject),
      from: senderName(s.from),
      ...(s.date ? { date: s.date } : {}),
      mailbox,
    });
  }

  /**
   * Opens the message a link names, wherever it is now. A link from outside VS Code (a browser, a
   * terminal, another program) opens it read-only: it must not be able to mark mail read.
   */
  async open(url: string, from: 'workspace' | 'outside' = 'workspace'): Promise<void> {
    const link = parseMessageLink(url);
    const account = this.ctx.model.account(link.account);
    if (!account) {
      throw new MailError(
        'config',
        `The link belongs to the account "${link.account}", which is not configured in Mailroom (accounts: ${this.ctx.model.accounts.map((a) => a.name).join(', ') || 'none'}).`,
      );
    }
    const store = account.requireStore();
    const resolution = await quietProgress('window', label`Finding the linked message…`, () =>
      store.mail.resolveLink(link),
    );
    let ref = resolution.refs[0]!;
    if (resolution.refs.length > 1) {
      const chosen = await pick(
        resolution.refs.map((r) => ({ label: label`${r.mailbox} (UID ${r.uid})`, ref: r })),
        {
          title: label`${resolution.refs.length} messages share the Message-ID <${link.messageId}> — which one?`,
        },
      );
      if (!chosen) return;
      ref = chosen.ref;
    }
    await this.ctx.reader.show({ account, ref }, from === 'outside' ? { fromOutside: true } : {});
    // The tree shows where the linked message is now (a link from outside VS Code opens nothing
    // read-write, so its folder is not loaded for it).
    if (from !== 'outside') await revealInTree(this.ctx, { account, ref });
  }

  async createTask(target: MessageTarget): Promise<void> {
    const { summary } = await describe(target);
    const messageId = requireMessageId(summary);
    const url = linkFor(target.account, target.ref, messageId);
    const folder = await pickWorkspaceFolder();
    if (!folder) return;
    if (folder.uri.scheme !== 'file') {
      throw new MailError(
        'unsupported',
        `Create Task from Message writes only to folders on disk; "${folder.name}" is a ${folder.uri.scheme}: folder.`,
      );
    }
    const setting = vscode.workspace.getConfiguration('mailroom', folder.uri).get<string>('tasksFile', 'TODO.md');
    // The setting may come from the repository itself: only a real file inside the folder will do.
    const taskFile = await writableFileInside(
      folder.uri.fsPath,
      setting,
      `The tasks file "${setting}" (setting mailroom.tasksFile)`,
    );
    const line = taskLine({
      subject: subjectOf(summary.subject),
      sender: senderName(summary.from),
      date: summary.date,
      url,
    });
    const lineNo = await appendTaskLine(taskFile, line);
    await this.remember(target.account.name, messageId, summary, target.ref.mailbox);
    const file = vscode.Uri.file(taskFile);
    const editor = await vscode.window.showTextDocument(file, {
      selection: new vscode.Range(lineNo, 0, lineNo, 0),
      preview: false,
    });
    editor.revealRange(new vscode.Range(lineNo, 0, lineNo, 0));
    if (vscode.workspace.getConfiguration('mailroom').get<boolean>('flagMessageOnTask', true)) {
      await this.ctx.actions.setFlagged([target], true);
    }
  }

  /** Files in the workspace that link to `messageId`, with the line of each link. */
  async tasksLinkingTo(
    account: string,
    messageId: string,
  ): Promise<Array<{ uri: vscode.Uri; line: number; text: string }>> {
    const files = await vscode.workspace.findFiles(
      '**/*.{md,markdown,txt,org,todo,rst,adoc}',
      '**/{node_modules,.git,dist,out}/**',
      500,
    );
    const found: Array<{ uri: vscode.Uri; line: number; text: string }> = [];
    for (const uri of files) {
      let text: string;
      try {
        const bytes = await vscode.workspace.fs.readFile(uri);
        if (bytes.byteLength > 2_000_000) continue;
        text = new TextDecoder().decode(bytes);
      } catch {
        continue;
      }
      if (!text.includes('mailroom.mailroom/message')) continue;
      const lines = text.split('\n');
      for (const l of findMessageLinks(text)) {
        let link: MessageLink;
        try {
          link = parseMessageLink(l.url);
        } catch {
          continue;
        }
        if (link.account !== account || link.messageId !== messageId) continue;
        const line = text.slice(0, l.start).split('\n').length - 1;
        found.push({
          uri,
          line,
          text: (lines[line] ?? '')
            .trim()
            // "[Subject — Sender](vscode://…)" reads as its text; a bare link is left out.
            .replace(/\[((?:\\.|[^\]\\])*)\]\(\s*vscode:\/\/[^)\s]*\)/g, (_, t: string) => t.replace(/\\(.)/g, '$1'))
            .replace(/\s*vscode:\/\/\S+/g, '')
            .replace(/\[([^\]]*)\]\(\s*\)/g, '$1')
            .slice(0, 200),
        });
      }
    }
    return found;
  }

  register(): vscode.Disposable[] {
    const selector: vscode.DocumentSelector = [
      { scheme: 'file' },
      { scheme: 'untitled' },
      { scheme: 'vscode-userdata' },
    ];
    return [
      this.listen(),
      command(Command.copyMessageLink, 'Copy Message Link', async (node, nodes) => {
        const [target] = resolveTargets(this.ctx, node, nodes);
        await this.copyLink(target!);
        statusMessage(label`$(check) Link copied — paste it into a note, an issue or a task`, 5000);
      }),
      command(Command.createTaskFromMessage, 'Create Task from Message', async (node, nodes) => {
        const [target] = resolveTargets(this.ctx, node, nodes);
        await this.createTask(target!);
      }),
      command(Command.openMessageLink, 'Open Message Link', async (url?: unknown) => {
        const text =
          typeof url === 'string'
            ? url
            : await input({
                title: label`Open Message Link`,
                prompt: label`Paste a Mailroom message link`,
                ignoreFocusOut: true,
              });
        if (text) await this.open(text);
      }),
      vscode.window.registerUriHandler({
        handleUri: (uri) => {
          if (uri.path !== '/message') return;
          this.open(`vscode://mailroom.mailroom/message?${uri.query}`, 'outside').catch((err: Error) =>
            reportError('Open Message Link', err),
          );
        },
      }),
      vscode.languages.registerDocumentLinkProvider(selector, {
        provideDocumentLinks: (doc) =>
          findMessageLinks(doc.getText()).map((l) => {
            const link = new vscode.DocumentLink(
              new vscode.Range(doc.positionAt(l.start), doc.positionAt(l.end)),
              vscode.Uri.parse(`command:${Command.openMessageLink}?${encodeURIComponent(JSON.stringify([l.url]))}`),
            );
            link.tooltip = 'Open the message in Mailroom';
            return link;
          }),
      }),
      vscode.languages.registerHoverProvider(selector, {
        provideHover: (doc, pos) => {
          const offset = doc.offsetAt(pos);
          const hit = findMessageLinks(doc.getText()).find((l) => l.start <= offset && offset <= l.end);
          if (!hit) return undefined;
          let link: MessageLink;
          try {
            link = parseMessageLink(hit.url);
          } catch (err) {
            return hover(markdown`Mailroom: ${(err as Error).message}`);
          }
          return hover(
            hoverText(link, this.cache.get(link.account, link.messageId)),
            new vscode.Range(doc.positionAt(hit.start), doc.positionAt(hit.end)),
          );
        },
      }),
    ];
  }
}

/** The link's cached subject and sender are mail text; the account and Message-ID come from the document. */
function hoverText(link: MessageLink, info: LinkInfo | undefined): MarkdownText {
  const head = info
    ? markdown`**${info.subject}**  \nFrom ${[info.from, info.date && new Date(info.date).toLocaleString()].filter(Boolean).join(' · ')}  \n`
    : markdown`Message \\<${link.messageId}\\>  \n`;
  const where = info?.mailbox
    ? markdown`Account: ${link.account} · last seen in ${info.mailbox}`
    : markdown`Account: ${link.account}`;
  return `${head}${where}` as MarkdownText; // two inert texts side by side
}

async function pickWorkspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void notify.error(
      message`Create Task from Message: open a folder first; the task goes into its tasks file (setting mailroom.tasksFile).`,
    );
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which workspace folder gets the task?' });
}
