// The `mailroom.accounts` entry Add Account writes: exactly what the person chose, never a
// secret of the person (passwords and refresh tokens go to SecretStorage), validated by the same code that
// reads settings, so what is written is what will be read.
import { type AccountConfig, validateAccount } from '../session/account';

export function accountEntry(config: AccountConfig): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    name: config.name,
    host: config.host,
    port: config.port,
    security: config.security,
    user: config.user,
  };
  if (config.security === 'plain') entry.allowPlaintext = true;
  if (config.caFile) entry.caFile = config.caFile;
  if (config.auth === 'oauth2' && config.oauth2) {
    entry.auth = 'oauth2';
    // A "desktop app" client secret (Google) is not confidential: Google's own guide for native
    // apps says it cannot be kept secret there. It stays with the client id.
    entry.oauth2 = { ...config.oauth2 };
  }
  if (config.smtp) entry.smtp = { ...config.smtp };
  // Round trip: refuses to write what the settings reader would refuse to read.
  validateAccount(entry);
  return entry;
}

/** A name for a new account that no existing one has: the address, then "address (2)"… */
export function uniqueAccountName(email: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  const base = email.trim();
  let name = base;
  for (let i = 2; names.has(name); i++) name = `${base} (${i})`;
  return name;
}
