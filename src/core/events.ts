// A tiny typed event emitter with VS Code's shape (`event(listener) -> Disposable`), so the
// extension layer can forward core events without adapters and the core stays vscode-free.

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // A failing listener must not stop the others nor the IMAP code that fired the event.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** Resolves with the next value of `event` (optionally the first matching `filter`). */
export function nextEvent<T>(
  event: Event<T>,
  filter: (value: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`event did not arrive within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = event((value) => {
      if (!filter(value)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
    });
  });
}
