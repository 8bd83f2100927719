// The page side of the webview envelope (src/shared/webview-protocol.ts), for every view: the
// ready handshake with the state the page saved, commands, requests that resolve when the host
// replies, and the page's own state (kept by VS Code while the tab is hidden and across a window
// reload).
import type { Reply } from '../src/shared/webview-protocol';

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export interface HostClient<Command, Request, Notification, State> {
  send(command: Command): void;
  /** Resolves when the host replied that it is done; rejects with the host's error text. */
  request(request: Request): Promise<void>;
  onNotification(handler: (message: Notification) => void): void;
  readonly state: State | undefined;
  setState(state: State): void;
  /** Tells the host the page is there (call once the handlers are in place). */
  ready(): void;
}

export function connectToHost<
  Command extends object,
  Request extends object,
  Notification extends { type: string },
  State,
>(): HostClient<Command, Request, Notification, State> {
  const api = acquireVsCodeApi<State>();
  const pending = new Map<number, { resolve(): void; reject(err: Error): void }>();
  let nextId = 1;
  let handler: ((message: Notification) => void) | undefined;

  window.addEventListener('message', (event: MessageEvent<Notification | Reply>) => {
    const msg = event.data;
    if (msg.type === 'reply') {
      const reply = msg as Reply;
      const waiting = pending.get(reply.requestId);
      pending.delete(reply.requestId);
      if (reply.ok) waiting?.resolve();
      else waiting?.reject(new Error(reply.error));
      return;
    }
    handler?.(msg as Notification);
  });

  return {
    send: (command) => api.postMessage(command),
    request: (request) =>
      new Promise<void>((resolve, reject) => {
        const requestId = nextId++;
        pending.set(requestId, { resolve, reject });
        api.postMessage({ ...request, requestId });
      }),
    onNotification: (h) => {
      handler = h;
    },
    get state() {
      return api.getState();
    },
    setState: (state) => api.setState(state),
    ready: () => {
      const state = api.getState();
      api.postMessage(state === undefined ? { type: 'ready' } : { type: 'ready', state });
    },
  };
}
