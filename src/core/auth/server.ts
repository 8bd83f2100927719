// From an account's `oauth2` settings to the authorization server Mailroom talks to: a preset's
// endpoints, explicit ones, or metadata discovered from the issuer (OpenID Connect Discovery,
// then RFC 8414). The result is an openid-client Configuration that uses our HTTP transport.
import type * as oidc from 'openid-client';
import { openidClient } from '../libraries';
import type { CustomFetch } from 'openid-client';
import { MailError } from '../errors';
import { OAUTH2_PRESETS } from './presets';
import type { OAuth2Settings } from './settings';

export interface AuthorizationServer {
  config: oidc.Configuration;
  /** Host name, for messages. */
  host: string;
  scopes: string[];
  authorizationParams: Record<string, string>;
  loopbackHost: '127.0.0.1' | 'localhost';
  supportsDeviceFlow: boolean;
}

const TIMEOUT_SECONDS = 30;

export async function authorizationServer(settings: OAuth2Settings, fetch: CustomFetch): Promise<AuthorizationServer> {
  const preset = settings.provider ? OAUTH2_PRESETS[settings.provider] : undefined;
  const tenant = settings.tenant ?? preset?.defaultTenant ?? '';
  const clientAuth = settings.clientSecret
    ? openidClient().ClientSecretPost(settings.clientSecret)
    : openidClient().None();
  if (preset?.clientSecret === 'required' && !settings.clientSecret) {
    throw new MailError(
      'config',
      `Signing in with ${preset.label} needs the "clientSecret" of your OAuth client as well as its "clientId".`,
    );
  }
  let config: oidc.Configuration;
  const authorizationEndpoint = settings.authorizationEndpoint ?? preset?.authorizationEndpoint(tenant);
  const tokenEndpoint = settings.tokenEndpoint ?? preset?.tokenEndpoint(tenant);
  if (authorizationEndpoint && tokenEndpoint) {
    const device = settings.deviceAuthorizationEndpoint ?? preset?.deviceAuthorizationEndpoint?.(tenant);
    config = new (openidClient().Configuration)(
      {
        // Compared with an `iss` in the authorization response (RFC 9207), when the server sends one.
        issuer: settings.issuer ?? preset?.issuer(tenant) ?? new URL(authorizationEndpoint).origin,
        authorization_endpoint: authorizationEndpoint,
        token_endpoint: tokenEndpoint,
        ...(device ? { device_authorization_endpoint: device } : {}),
      },
      settings.clientId,
      undefined,
      clientAuth,
    );
    config[openidClient().customFetch] = fetch;
    config.timeout = TIMEOUT_SECONDS;
  } else {
    config = await discover(new URL(settings.issuer!), settings, clientAuth, fetch);
  }
  const metadata = config.serverMetadata();
  return {
    config,
    host: new URL(metadata.token_endpoint ?? metadata.issuer).host,
    scopes: settings.scopes ?? preset?.scopes ?? [],
    authorizationParams: { ...(preset?.authorizationParams ?? {}) },
    loopbackHost: preset?.loopbackHost ?? '127.0.0.1',
    supportsDeviceFlow: Boolean(metadata.device_authorization_endpoint),
  };
}

async function discover(
  issuer: URL,
  settings: OAuth2Settings,
  clientAuth: oidc.ClientAuth,
  fetch: CustomFetch,
): Promise<oidc.Configuration> {
  const attempt = (algorithm: 'oidc' | 'oauth2') =>
    openidClient().discovery(issuer, settings.clientId, undefined, clientAuth, {
      algorithm,
      [openidClient().customFetch]: fetch,
      timeout: TIMEOUT_SECONDS,
    });
  try {
    return await attempt('oidc');
  } catch (first) {
    // A plain OAuth 2.0 server publishes RFC 8414 metadata only; anything but "not there" is an answer.
    if (!isNotFound(first)) throw first;
    return attempt('oauth2');
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { cause?: unknown; code?: string };
  const response = e.cause as { status?: number } | undefined;
  return e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && response?.status === 404;
}
