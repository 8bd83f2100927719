// The only way Mailroom puts text on VS Code's rendering surfaces: notifications, modal dialogs,
// progress titles, quick picks, input boxes, status bar messages, hovers and MarkdownStrings.
// Each function takes text built with the template of its surface (message`…`, label`…`,
// markdown`…`, from src/core/untrusted-text.ts), whose interpolated values are made inert, so a
// subject like "[Clean up now](command:…)" shows as that text and never as a link that runs a
// command. `npm run lint` refuses these VS Code calls anywhere else in src/extension.
import * as vscode from 'vscode';
import type { InertText } from '../core/text/untrusted-text';

export { label, markdown, message, plain } from '../core/text/untrusted-text';

export type MessageText = InertText<'message'>;
export type LabelText = InertText<'label'>;
export type MarkdownText = InertText<'markdown'>;
export type PlainText = InertText<'plain'>;

export const notify = {
  info: <T extends string>(text: MessageText, ...actions: T[]) =>
    vscode.window.showInformationMessage(text, ...actions),
  warn: <T extends string>(text: MessageText, ...actions: T[]) => vscode.window.showWarningMessage(text, ...actions),
  error: <T extends string>(text: MessageText, ...actions: T[]) => vscode.window.showErrorMessage(text, ...actions),
};

/** A modal question; undefined when dismissed. */
export function ask<T extends string>(
  text: MessageText,
  opts: { detail?: MessageText },
  ...buttons: T[]
): Thenable<T | undefined> {
  return vscode.window.showWarningMessage(
    text,
    { modal: true, ...(opts.detail !== undefined ? { detail: opts.detail } : {}) },
    ...buttons,
  );
}

/** Progress as a notification (its title is notification text). */
export function notificationProgress<R>(title: MessageText, task: () => Thenable<R>): Thenable<R> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task);
}

/**
 * Progress as a notification with a Cancel button: `signal` aborts when it is pressed; the
 * progress messages are notification text too.
 */
export function cancellableProgress<R>(
  title: MessageText,
  task: (signal: AbortSignal, progress: vscode.Progress<{ message?: MessageText }>) => Thenable<R>,
): Thenable<R> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return task(abort.signal, progress);
    },
  );
}

/** Progress in a view or the status bar (the title is drawn with icons there). */
export function quietProgress<R>(
  where: { viewId: string } | 'window',
  title: LabelText,
  task: () => Thenable<R>,
): Thenable<R> {
  return vscode.window.withProgress(
    { location: where === 'window' ? vscode.ProgressLocation.Window : where, title },
    task,
  );
}

export function statusMessage(text: LabelText, hideAfterMs: number): vscode.Disposable {
  return vscode.window.setStatusBarMessage(text, hideAfterMs);
}

/** A quick pick item whose visible texts are inert (quick picks draw `$(icon)`). */
export interface PickItem extends vscode.QuickPickItem {
  label: LabelText;
  description?: LabelText;
  detail?: LabelText;
}

type PickOptions = Omit<vscode.QuickPickOptions, 'title' | 'placeHolder' | 'canPickMany'> & {
  title?: LabelText;
  placeHolder?: LabelText;
};

export function pick<T extends PickItem>(
  items: readonly T[] | Thenable<readonly T[]>,
  options: PickOptions,
): Thenable<T | undefined> {
  return vscode.window.showQuickPick(items as T[] | Thenable<T[]>, options);
}

/** vscode.QuickPick whose title, placeholder and items only take inert text. */
export type SafeQuickPick<T extends PickItem> = Omit<vscode.QuickPick<T>, 'title' | 'placeholder'> & {
  title: LabelText | undefined;
  placeholder: LabelText | undefined;
};

export function createPick<T extends PickItem>(): SafeQuickPick<T> {
  return vscode.window.createQuickPick<T>() as SafeQuickPick<T>;
}

/** vscode.InputBox whose title, prompt and placeholder only take inert text. */
export type SafeInputBox = Omit<vscode.InputBox, 'title' | 'prompt' | 'placeholder' | 'validationMessage'> & {
  title: LabelText | undefined;
  prompt: LabelText | undefined;
  placeholder: LabelText | undefined;
  validationMessage: LabelText | undefined;
};

export function createInput(): SafeInputBox {
  return vscode.window.createInputBox() as SafeInputBox;
}

type InputOptions = Omit<vscode.InputBoxOptions, 'title' | 'prompt' | 'placeHolder'> & {
  title?: LabelText;
  prompt?: LabelText;
  placeHolder?: LabelText;
};

/** An input box; its prompt is drawn with icons and links, like a label. */
export function input(options: InputOptions): Thenable<string | undefined> {
  return vscode.window.showInputBox(options);
}

/** A MarkdownString that is not trusted and renders neither HTML nor theme icons. */
export function markdownString(text: MarkdownText): vscode.MarkdownString {
  return new vscode.MarkdownString(text, false);
}

export function hover(text: MarkdownText, range?: vscode.Range): vscode.Hover {
  return new vscode.Hover(markdownString(text), range);
}
