// The "Mailroom" LogOutputChannel behind the core's Logger interface. The core redacts secrets
// before a line gets here; IMAP traffic is logged at trace level (Output panel → Set Log Level).
import * as vscode from 'vscode';
import type { Logger } from '../core/log';

export function createLogChannel(): { channel: vscode.LogOutputChannel; logger: Logger } {
  const channel = vscode.window.createOutputChannel('Mailroom', { log: true });
  const logger: Logger = {
    trace: (m) => channel.trace(m),
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  };
  return { channel, logger };
}

/** Whether protocol tracing is worth formatting at all. */
export function tracing(channel: vscode.LogOutputChannel): boolean {
  return channel.logLevel === vscode.LogLevel.Trace;
}
