// Who the user is when writing: the From address, the other addresses that are theirs (never
// replied to, and a reply goes out from the one the original was sent to) and the signature.
import type { AccountConfig } from '../session/account';
import { MailError } from '../errors';
import { isMailbox, type MailAddress, matchesAddress, parseMailbox } from './addresses';

export interface Identity {
  from: MailAddress;
  /** Exact addresses or wildcards ("*@example.test"), the From address not repeated. */
  aliases: string[];
  signature?: string;
}

export function identityOf(account: AccountConfig): Identity {
  let from: MailAddress | undefined;
  if (account.from) from = parseMailbox(account.from);
  else if (isMailbox(account.user)) from = { address: account.user };
  if (!from) {
    throw new MailError(
      'config',
      `${account.name} has no sender address: set "from" (e.g. "Your Name <you@example.com>") in its settings.`,
    );
  }
  return {
    from,
    aliases: account.aliases ?? [],
    ...(account.signature ? { signature: account.signature } : {}),
  };
}

export function isOwnAddress(identity: Identity, address: string): boolean {
  return matchesAddress(address, [identity.from.address, ...identity.aliases]);
}

/**
 * The From of a reply: the user's address among the original's recipients (an alias the
 * original was sent to, under the identity's name), else the identity's own From.
 */
export function replyFrom(identity: Identity, recipients: readonly { address?: string }[]): MailAddress {
  for (const r of recipients) {
    if (!r.address || !isMailbox(r.address)) continue;
    if (isOwnAddress(identity, r.address)) {
      return identity.from.name ? { name: identity.from.name, address: r.address } : { address: r.address };
    }
  }
  return identity.from;
}
