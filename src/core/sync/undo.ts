// The one undo history, shared by the account stores of a window: "Undo Last Action" means the
// last undoable action anywhere, whichever account it touched. Each entry is the operation that
// reverses it (data, like every other change) and the store to apply it to.
import { MailError } from '../errors';
import type { Operation, Outcome } from './operations';

export interface UndoTarget {
  readonly name: string;
  apply(op: Operation): Promise<Outcome>;
}

export interface UndoEntry {
  readonly target: UndoTarget;
  readonly op: Extract<Operation, { kind: 'undo' }>;
}

export class UndoLog {
  private entries: UndoEntry[] = [];

  /** `depth`: how many actions can be undone one after the other. */
  constructor(private readonly depth = 20) {}

  record(entry: UndoEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.depth) this.entries.shift();
  }

  get last(): UndoEntry | undefined {
    return this.entries.at(-1);
  }

  /**
   * Reverses the last undoable action. It leaves the history either way: an undo that failed
   * half-way cannot be repeated blindly.
   */
  async undoLast(): Promise<{ entry: UndoEntry; outcome: Outcome }> {
    const entry = this.entries.pop();
    if (!entry) throw new MailError('nothingToUndo', 'There is nothing to undo.');
    return { entry, outcome: await entry.target.apply(entry.op) };
  }

  /** Drops the entries of a target that goes away (an account removed). */
  forget(target: UndoTarget): void {
    this.entries = this.entries.filter((e) => e.target !== target);
  }
}
