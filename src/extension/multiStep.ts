// Multi-step input for flows like Add Account: one QuickInput per step with VS Code's Back
// button from the second step on, the step counter in the title, and the previous answer shown
// again when the person comes back. Each call resolves with the answer, BACK, or undefined when
// the person pressed Escape.
import * as vscode from 'vscode';
import { createInput, createPick, label, type LabelText, type PickItem } from './ui';

export const BACK = Symbol('back');
export type Back = typeof BACK;

export interface StepPosition {
  step: number;
  total: number;
}

export class MultiStep {
  constructor(private readonly title: string) {}

  private titleOf(at: StepPosition): LabelText {
    return label`${this.title} (${at.step}/${at.total})`;
  }

  input(
    at: StepPosition,
    opts: {
      prompt: LabelText;
      value: string;
      password?: boolean;
      placeholder?: LabelText;
      validate?: (value: string) => string | undefined;
    },
  ): Promise<string | Back | undefined> {
    const box = createInput();
    box.title = this.titleOf(at);
    box.prompt = opts.prompt;
    box.value = opts.value;
    box.password = opts.password ?? false;
    box.placeholder = opts.placeholder;
    box.ignoreFocusOut = true;
    box.buttons = at.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: string | Back | undefined) => {
        if (done) return;
        done = true;
        resolve(v);
        for (const d of subscriptions) d.dispose();
        box.dispose();
      };
      const check = (v: string) => {
        const problem = opts.validate?.(v);
        box.validationMessage = problem === undefined ? undefined : label`${problem}`;
        return problem === undefined;
      };
      const subscriptions = [
        box.onDidChangeValue((v) => void check(v)),
        box.onDidAccept(() => {
          if (check(box.value)) finish(box.value);
        }),
        box.onDidTriggerButton((b) => {
          if (b === vscode.QuickInputButtons.Back) finish(BACK);
        }),
        box.onDidHide(() => finish(undefined)),
      ];
      box.show();
    });
  }

  pick<T extends PickItem>(
    at: StepPosition,
    opts: { placeholder: LabelText; items: readonly T[]; active?: (item: T) => boolean },
  ): Promise<T | Back | undefined> {
    const qp = createPick<T>();
    qp.title = this.titleOf(at);
    qp.placeholder = opts.placeholder;
    qp.items = opts.items;
    const active = opts.active ? opts.items.find(opts.active) : undefined;
    if (active) qp.activeItems = [active];
    qp.ignoreFocusOut = true;
    qp.buttons = at.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: T | Back | undefined) => {
        if (done) return;
        done = true;
        resolve(v);
        for (const d of subscriptions) d.dispose();
        qp.dispose();
      };
      const subscriptions = [
        qp.onDidAccept(() => {
          const chosen = qp.selectedItems[0] ?? qp.activeItems[0];
          if (chosen) finish(chosen);
        }),
        qp.onDidTriggerButton((b) => {
          if (b === vscode.QuickInputButtons.Back) finish(BACK);
        }),
        qp.onDidHide(() => finish(undefined)),
      ];
      qp.show();
    });
  }
}
