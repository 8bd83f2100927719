// Access tokens for one OAuth2 account, for every connection of it (IMAP now, SMTP submission
// later): kept in memory, refreshed shortly before they expire, and refreshed once more when a
// server refuses one (the connection calls `invalidate`). The refresh token is never held here
// beyond a request: it is read from and written to the `RefreshTokenStore` (VS Code:
// SecretStorage), so several windows sharing that store see each other's rotations.
//
// A refused refresh (`invalid_grant`: revoked, expired, password changed) ends in a
// `signInRequired` MailError, and nothing here ever opens a browser: only an explicit
// `signIn()` does. Concurrent callers share one refresh, which matters twice over: providers
// rotate refresh tokens, and presenting a rotated one again revokes the whole grant.
import { openidClient } from '../libraries';
import type { AccountConfig } from '../session/account';
import { MailError } from '../errors';
import { type Logger, RedactingLogger, type SecretRedactor } from '../log';
import { oauthFailure } from './errors';
import { oauthFetch } from './http';
import { authorizationServer, type AuthorizationServer } from './server';
import type { OAuth2Settings } from './settings';
import {
  type BrowserSignInOptions,
  type DeviceSignInOptions,
  signInWithBrowser,
  signInWithDeviceCode,
  tokenSet,
  type TokenSet,
} from './sign-in';

/** Where the refresh token lives between uses. VS Code: SecretStorage, under a per-account key. */
export interface RefreshTokenStore {
  load(): Promise<string | undefined>;
  save(refreshToken: string): Promise<void>;
  delete(): Promise<void>;
}

/** What IMAP and SMTP connections need of an OAuth2 account. */
export interface AccessTokenSource {
  /** A valid access token, refreshed if it is about to expire. Throws a MailError. */
  accessToken(): Promise<string>;
  /**
   * The server refused `token` (IMAP AUTHENTICATIONFAILED, SMTP 535): forget it, so the next
   * accessToken() refreshes. A token already replaced is ignored, so that several connections
   * refused at once cause a single refresh.
   */
  invalidate(token?: string): void;
}

export type SignInMethod = { browser: BrowserSignInOptions } | { deviceCode: DeviceSignInOptions };

export interface SignInResult {
  /** False when the server issued no refresh token: the sign-in lasts as long as the access token. */
  persistent: boolean;
}

export interface OAuth2TokenSourceOptions {
  /** An account with `auth: "oauth2"` (validated): its oauth2 settings, user and caFile. */
  account: AccountConfig;
  store: RefreshTokenStore;
  /** The account's redactor (shared with its connections): every token is registered on arrival. */
  redactor: SecretRedactor;
  logger: Logger;
  /** Refresh this long before expiry (default 60 s; at most half the token's lifetime). */
  refreshSkewMs?: number;
  /** PEM of the account's extra CA, when it has one (loadCa). */
  ca?: string;
}

interface CachedToken {
  accessToken: string;
  expiresAt?: number;
  /** when it arrived, to scale the refresh margin to its lifetime */
  receivedAt: number;
}

export class OAuth2TokenSource implements AccessTokenSource {
  private server: Promise<AuthorizationServer> | undefined;
  private current: CachedToken | undefined;
  private refreshing: Promise<string> | undefined;
  /** Bumped by signIn/signOut: a refresh that started before must not overwrite their outcome. */
  private generation = 0;
  private readonly logger: RedactingLogger;
  private readonly settings: OAuth2Settings;

  constructor(private readonly options: OAuth2TokenSourceOptions) {
    if (options.account.auth !== 'oauth2' || !options.account.oauth2) {
      throw new MailError('config', `${options.account.name} is not set up for OAuth2 sign-in ("auth": "oauth2").`);
    }
    this.settings = options.account.oauth2;
    this.logger = new RedactingLogger(options.logger, options.redactor);
    if (this.settings.clientSecret) options.redactor.add(this.settings.clientSecret);
  }

  private get tag(): string {
    return `[${this.options.account.name}/oauth2]`;
  }

  /** The authorization server, discovered once (again after a failure). */
  authorizationServer(): Promise<AuthorizationServer> {
    if (!this.server) {
      const fetch = oauthFetch(this.options.ca ? { ca: this.options.ca } : {});
      this.server = authorizationServer(this.settings, fetch).catch((err) => {
        this.server = undefined;
        const host =
          this.settings.issuer ?? this.settings.tokenEndpoint ?? this.settings.provider ?? 'the sign-in server';
        throw oauthFailure(err, 'Finding the sign-in server', safeHost(host), this.options.redactor);
      });
    }
    return this.server;
  }

  /** Whether the device-code sign-in (for remote windows) is available for this account. */
  async supportsDeviceCode(): Promise<boolean> {
    return (await this.authorizationServer()).supportsDeviceFlow;
  }

  /**
   * Signs in interactively and stores the refresh token. The only method that involves the user;
   * call it from an explicit user action (Add Account, "Sign in again").
   */
  async signIn(method: SignInMethod): Promise<SignInResult> {
    const server = await this.authorizationServer();
    const user = this.options.account.user;
    this.logger.info(`${this.tag} signing in at ${server.host} (${'browser' in method ? 'browser' : 'device code'})`);
    const tokens =
      'browser' in method
        ? await signInWithBrowser(server, this.options.redactor, user, { loginHint: user, ...method.browser })
        : await signInWithDeviceCode(server, this.options.redactor, user, method.deviceCode);
    this.generation++;
    this.refreshing = undefined;
    if (tokens.refreshToken) await this.options.store.save(tokens.refreshToken);
    else
      this.logger.warn(
        `${this.tag} ${server.host} issued no refresh token: the sign-in lasts until the access token expires`,
      );
    this.remember(tokens);
    this.logger.info(
      `${this.tag} signed in${tokens.expiresAt ? `; access token valid for ${Math.round((tokens.expiresAt - Date.now()) / 1000)} s` : ''}`,
    );
    return { persistent: Boolean(tokens.refreshToken) };
  }

  /** Forgets the tokens here and in the store (Remove Account, sign out). */
  async signOut(): Promise<void> {
    this.generation++;
    this.current = undefined;
    this.refreshing = undefined;
    await this.options.store.delete();
  }

  async accessToken(): Promise<string> {
    const current = this.current;
    if (current && !this.expiringSoon(current)) return current.accessToken;
    if (!this.refreshing) {
      const refreshing = this.refresh().finally(() => {
        if (this.refreshing === refreshing) this.refreshing = undefined;
      });
      this.refreshing = refreshing;
    }
    return this.refreshing;
  }

  invalidate(token?: string): void {
    if (!this.current || (token !== undefined && token !== this.current.accessToken)) return;
    this.logger.info(`${this.tag} access token refused by the server; the next use refreshes it`);
    this.current = undefined;
  }

  private expiringSoon(t: CachedToken): boolean {
    if (t.expiresAt === undefined) return false;
    // Servers count expiry in whole seconds and their clocks drift: a margin, but one that leaves
    // a short-lived token some use.
    const lifetime = t.expiresAt - t.receivedAt;
    const margin = Math.min(this.options.refreshSkewMs ?? 60_000, lifetime / 2);
    return Date.now() >= t.expiresAt - margin;
  }

  private remember(tokens: TokenSet): void {
    this.current = {
      accessToken: tokens.accessToken,
      receivedAt: Date.now(),
      ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}),
    };
  }

  private async refresh(): Promise<string> {
    const generation = this.generation;
    const server = await this.authorizationServer();
    const refreshToken = await this.options.store.load();
    if (!refreshToken) {
      throw new MailError(
        'signInRequired',
        `Sign in again to ${this.options.account.name}: Mailroom has no sign-in for ${this.options.account.user} at ${server.host}.`,
        { reason: 'missing' },
      );
    }
    this.options.redactor.add(refreshToken);
    this.logger.info(`${this.tag} refreshing the access token at ${server.host}`);
    let tokens: TokenSet;
    try {
      tokens = tokenSet(
        await openidClient().refreshTokenGrant(server.config, refreshToken),
        this.options.redactor,
        this.options.account.user,
      );
    } catch (err) {
      if ((err as { error?: string }).error !== 'invalid_grant')
        throw oauthFailure(err, 'Refreshing the access token', server.host, this.options.redactor);
      // Forget the refused token, unless a sign-in (here or in another window) replaced it meanwhile.
      if ((await this.options.store.load()) === refreshToken) await this.options.store.delete();
      this.logger.warn(`${this.tag} ${server.host} refused the refresh token (invalid_grant): a new sign-in is needed`);
      throw new MailError(
        'signInRequired',
        `Sign in again to ${this.options.account.name}: ${server.host} no longer accepts Mailroom's sign-in for ${this.options.account.user} (revoked or expired).`,
        { reason: 'revoked' },
      );
    }
    if (generation !== this.generation) {
      // A sign-in or sign-out happened while this refresh was under way: its outcome stands.
      if (this.current) return this.current.accessToken;
      throw new MailError('signInRequired', `Sign in again to ${this.options.account.name}.`, { reason: 'missing' });
    }
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) {
      try {
        await this.options.store.save(tokens.refreshToken);
      } catch (err) {
        this.logger.warn(`${this.tag} could not store the new refresh token: ${(err as Error).message}`);
      }
    }
    this.remember(tokens);
    return tokens.accessToken;
  }
}

function safeHost(where: string): string {
  try {
    return new URL(where).host;
  } catch {
    return where;
  }
}
