// OAuth 2.0 sign-in in VS Code: one token source per account (src/core/auth), whose refresh token
// lives in SecretStorage only, under its own key per account; access tokens stay in memory. Only
// an explicit action of the person signs in (Add Account, the account row's "Sign in", the
// command): a refused or missing refresh token shows "Sign in again" on the account and nothing
// here ever opens a browser by itself.
//
// Why not `vscode.authentication`: VS Code's Microsoft provider can sign in as an application of
// one's own (the "VSCODE_CLIENT_ID:<id>" / "VSCODE_TENANT:<tenant>" scopes, desktop VS Code 1.94+),
// but only for Microsoft, with VS Code's redirect URIs added to the registration, not in
// code-server, and with its own refresh policy. The README says when it would fit; the loopback
// flow below works for every provider.
import * as vscode from 'vscode';
import type { AccountConfig } from '../core/session/account';
import { loadCa } from '../core/session/account';
import { type Logger, SecretRedactor } from '../core/log';
import {
  type AccessTokenSource,
  type DeviceCodePrompt,
  OAuth2TokenSource,
  type RefreshTokenStore,
  type SignInMethod,
  type SignInResult,
} from '../core/auth';
import { remoteFallback, usableMappedRedirect } from '../core/setup/sign-in-route';
import { cancellableProgress, message, notify } from './ui';

export const refreshTokenKey = (accountName: string) => `mailroom.oauth2.refreshToken.${accountName}`;

/** SecretStorage under one account's key. */
function secretStore(secrets: vscode.SecretStorage, accountName: string): RefreshTokenStore {
  const key = refreshTokenKey(accountName);
  return {
    load: () => Promise.resolve(secrets.get(key)),
    save: (token) => Promise.resolve(secrets.store(key, token)),
    delete: () => Promise.resolve(secrets.delete(key)),
  };
}

/** An account's token source, built once its CA file is read. */
export class AccountTokens implements AccessTokenSource {
  private readonly source: Promise<OAuth2TokenSource>;
  private ready: OAuth2TokenSource | undefined;

  constructor(
    readonly config: AccountConfig,
    store: RefreshTokenStore,
    redactor: SecretRedactor,
    logger: Logger,
  ) {
    this.source = loadCa(config).then((ca) => {
      this.ready = new OAuth2TokenSource({ account: config, store, redactor, logger, ...(ca ? { ca } : {}) });
      return this.ready;
    });
    this.source.catch(() => undefined);
  }

  async accessToken(): Promise<string> {
    return (await this.source).accessToken();
  }

  invalidate(token?: string): void {
    this.ready?.invalidate(token);
  }

  async supportsDeviceCode(): Promise<boolean> {
    return (await this.source).supportsDeviceCode();
  }

  async signIn(method: SignInMethod): Promise<SignInResult> {
    return (await this.source).signIn(method);
  }

  async signOut(): Promise<void> {
    return (await this.source).signOut();
  }
}

/** The mapped redirect of a remote window cannot serve (see sign-in-route.ts). */
class UnusableRedirect extends Error {}

export class SignIns {
  private readonly redactors = new Map<string, SecretRedactor>();
  private readonly sources = new Map<string, { key: string; tokens: AccountTokens }>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    readonly logger: Logger,
  ) {}

  redactor(accountName: string): SecretRedactor {
    let r = this.redactors.get(accountName);
    if (!r) this.redactors.set(accountName, (r = new SecretRedactor()));
    return r;
  }

  /** The token source of an OAuth2 account: the same one while its settings stay the same. */
  tokens(config: AccountConfig): AccountTokens {
    const key = JSON.stringify([config.host, config.user, config.caFile, config.oauth2]);
    const known = this.sources.get(config.name);
    if (known?.key === key) return known.tokens;
    const tokens = new AccountTokens(
      config,
      secretStore(this.secrets, config.name),
      this.redactor(config.name),
      this.logger,
    );
    this.sources.set(config.name, { key, tokens });
    return tokens;
  }

  /** Remove Account: the refresh token goes, whether or not the account's settings were usable. */
  async forget(accountName: string): Promise<void> {
    const known = this.sources.get(accountName);
    this.sources.delete(accountName);
    if (known) await known.tokens.signOut().catch(() => undefined);
    await this.secrets.delete(refreshTokenKey(accountName));
  }

  /**
   * Signs in interactively: the browser (loopback redirect) in a local window; in a remote or web
   * window the mapped loopback when it stays one, else the device code, else the loopback anyway.
   * Resolves false when the person cancelled.
   */
  async signIn(config: AccountConfig, tokens: AccountTokens = this.tokens(config)): Promise<boolean> {
    const remote = vscode.env.remoteName !== undefined || vscode.env.uiKind === vscode.UIKind.Web;
    const tag = `[${config.name}/oauth2]`;
    const openBrowser = async (url: string) => {
      if (!(await vscode.env.openExternal(vscode.Uri.parse(url, true))))
        throw new Error('VS Code did not open the page');
    };
    try {
      await cancellableProgress(
        message`Signing in to ${config.name}… Finish the sign-in in your browser.`,
        async (signal) => {
          if (!remote) return tokens.signIn({ browser: { openBrowser, signal } });
          try {
            return await tokens.signIn({
              browser: {
                openBrowser,
                signal,
                externalRedirectUri: async (loopback) => {
                  const mapped = (await vscode.env.asExternalUri(vscode.Uri.parse(loopback, true))).toString(true);
                  if (!usableMappedRedirect(loopback, mapped)) throw new UnusableRedirect();
                  return mapped;
                },
              },
            });
          } catch (err) {
            if (!(err instanceof UnusableRedirect)) throw err;
          }
          const route = remoteFallback(await tokens.supportsDeviceCode());
          this.logger.info(
            `${tag} this window cannot map the loopback redirect; signing in ${route.kind === 'deviceCode' ? 'with a device code' : 'through the loopback redirect of the extension host'}`,
          );
          if (route.kind === 'deviceCode')
            return tokens.signIn({ deviceCode: { signal, showUserCode: (p) => this.showUserCode(config, p) } });
          return tokens.signIn({ browser: { openBrowser, signal } });
        },
      );
      return true;
    } catch (err) {
      if ((err as { details?: { cancelled?: boolean } }).details?.cancelled) return false;
      throw err;
    }
  }

  /** The device code and where to enter it: text only, a copy button, and the page on request. */
  private showUserCode(config: AccountConfig, prompt: DeviceCodePrompt): void {
    const openPage = 'Copy Code and Open Page';
    const copy = 'Copy Code';
    void notify
      .info(
        message`To sign in to ${config.name}, enter the code ${prompt.userCode} at ${prompt.verificationUri}`,
        openPage,
        copy,
      )
      .then(async (choice) => {
        if (!choice) return;
        await vscode.env.clipboard.writeText(prompt.userCode);
        if (choice === openPage)
          await vscode.env.openExternal(
            vscode.Uri.parse(prompt.verificationUriComplete ?? prompt.verificationUri, true),
          );
      });
  }
}
