// The two ways a native app signs in. The one RFC 8252 prescribes: authorization code with PKCE
// (RFC 7636, S256), the user's own browser, and a loopback redirect. And the device
// authorization grant (RFC 8628) for windows whose browser cannot reach this machine's loopback
// (remote or code-server windows), when the provider offers it. The protocol is openid-client's;
// this module supplies the browser, the listener, time limits and secret hygiene. Every secret
// (verifier, state, code, device code) goes to the redactor the moment it exists.
import type * as oidc from 'openid-client';
import { openidClient } from '../libraries';
import { MailError } from '../errors';
import type { SecretRedactor } from '../log';
import { oauthFailure, serverText } from './errors';
import { startLoopbackReceiver } from './loopback';
import type { AuthorizationServer } from './server';

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms; undefined when the server did not say. */
  expiresAt?: number;
}

export interface BrowserSignInOptions {
  /** Opens the authorization URL in the user's browser (VS Code: `env.openExternal`). */
  openBrowser(url: string): Promise<unknown> | unknown;
  /**
   * Maps the loopback redirect URI to one the user's browser reaches (VS Code, remote window:
   * `env.asExternalUri`). The provider must accept the mapped URI as a redirect URI.
   */
  externalRedirectUri?(loopbackUri: string): Promise<string> | string;
  /** Offered to the provider to preselect the account (the account's user name). */
  loginHint?: string;
  /** Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DeviceCodePrompt {
  /** What the user types at `verificationUri`. Shown as text, never as markup. */
  userCode: string;
  /** https URL from the server: show it as text or open it; never interpret it. */
  verificationUri: string;
  /** The same page with the code filled in, when the server offers one. */
  verificationUriComplete?: string;
  /** Epoch ms after which the code is void. */
  expiresAt: number;
}

export interface DeviceSignInOptions {
  /** Shows the code and where to enter it (VS Code: a notification with a copy/open action). */
  showUserCode(prompt: DeviceCodePrompt): Promise<unknown> | unknown;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

function limit(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function abortError(signal: AbortSignal, timeoutMs: number): MailError {
  const reason = signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError'
    ? new MailError(
        'timeout',
        `The sign-in was not completed within ${Math.round(timeoutMs / 60_000) || 1} minute(s). Start it again when you are ready.`,
      )
    : new MailError('oauthToken', 'The sign-in was cancelled.', { cancelled: true });
}

export function tokenSet(response: oidc.TokenEndpointResponse, redactor: SecretRedactor, user: string): TokenSet {
  redactor.add(response.access_token, user);
  if (response.refresh_token) redactor.add(response.refresh_token);
  const expiresIn =
    typeof response.expires_in === 'number' && Number.isFinite(response.expires_in) ? response.expires_in : undefined;
  return {
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(expiresIn !== undefined ? { expiresAt: Date.now() + expiresIn * 1000 } : {}),
  };
}

/** Authorization code + PKCE through the user's browser and a loopback redirect. */
export async function signInWithBrowser(
  server: AuthorizationServer,
  redactor: SecretRedactor,
  user: string,
  opts: BrowserSignInOptions,
): Promise<TokenSet> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = limit(opts.signal, timeoutMs);
  const verifier = openidClient().randomPKCECodeVerifier();
  const state = openidClient().randomState();
  redactor.add(verifier);
  redactor.add(state);
  const receiver = await startLoopbackReceiver({ state, host: server.loopbackHost, signal });
  let finish: ((ok: boolean) => void) | undefined;
  try {
    const redirectUri = opts.externalRedirectUri
      ? await opts.externalRedirectUri(receiver.redirectUri)
      : receiver.redirectUri;
    const url = openidClient().buildAuthorizationUrl(server.config, {
      redirect_uri: redirectUri,
      scope: server.scopes.join(' '),
      code_challenge: await openidClient().calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...(opts.loginHint ? { login_hint: opts.loginHint } : {}),
      ...server.authorizationParams,
    });
    try {
      await opts.openBrowser(url.href);
    } catch (err) {
      throw new MailError(
        'oauthToken',
        `Could not open the browser for the sign-in: ${serverText((err as Error)?.message, redactor)}`,
      );
    }
    let response;
    try {
      response = await receiver.response;
    } catch {
      throw abortError(signal, timeoutMs);
    }
    finish = response.finish;
    const code = response.params.get('code');
    if (code) redactor.add(code);
    // The token request's redirect_uri is this URL without its query: the one the browser was sent to.
    const callback = new URL(redirectUri);
    callback.search = response.params.toString();
    try {
      const tokens = await openidClient().authorizationCodeGrant(server.config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const result = tokenSet(tokens, redactor, user);
      finish(true);
      return result;
    } catch (err) {
      throw oauthFailure(err, 'Signing in', server.host, redactor);
    }
  } finally {
    finish?.(false);
    receiver.close();
  }
}

/** The device authorization grant: the user enters a code on any device's browser. */
export async function signInWithDeviceCode(
  server: AuthorizationServer,
  redactor: SecretRedactor,
  user: string,
  opts: DeviceSignInOptions,
): Promise<TokenSet> {
  if (!server.supportsDeviceFlow) {
    throw new MailError(
      'unsupported',
      `${server.host} does not offer sign-in with a device code for this account; sign in through the browser instead.`,
    );
  }
  let started: oidc.DeviceAuthorizationResponse;
  try {
    started = await openidClient().initiateDeviceAuthorization(server.config, { scope: server.scopes.join(' ') });
  } catch (err) {
    throw oauthFailure(err, 'Starting the sign-in', server.host, redactor);
  }
  redactor.add(started.device_code);
  const verificationUri = httpsOnly(started.verification_uri);
  const complete = started.verification_uri_complete ? httpsOnly(started.verification_uri_complete) : undefined;
  if (!verificationUri) {
    throw new MailError(
      'oauthToken',
      `${server.host} named a verification page that is not an https:// URL; Mailroom will not show it.`,
    );
  }
  const expiresAt = Date.now() + started.expires_in * 1000;
  const timeoutMs = Math.max(1000, expiresAt - Date.now());
  const signal = limit(opts.signal, timeoutMs);
  try {
    await opts.showUserCode({
      userCode: started.user_code,
      verificationUri,
      ...(complete ? { verificationUriComplete: complete } : {}),
      expiresAt,
    });
  } catch (err) {
    throw new MailError(
      'oauthToken',
      `Could not show the sign-in code: ${serverText((err as Error)?.message, redactor)}`,
    );
  }
  try {
    const tokens = await openidClient().pollDeviceAuthorizationGrant(server.config, started, undefined, { signal });
    return tokenSet(tokens, redactor, user);
  } catch (err) {
    if (signal.aborted) throw abortError(signal, timeoutMs);
    if ((err as { error?: string }).error === 'expired_token') {
      throw new MailError('timeout', 'The sign-in code expired before it was entered. Start the sign-in again.');
    }
    throw oauthFailure(err, 'Signing in', server.host, redactor);
  }
}

function httpsOnly(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
