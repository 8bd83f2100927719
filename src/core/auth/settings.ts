// The `oauth2` block of an account, as a person writes it, and its validation. A provider preset
// fills in what is not given; a custom server is named by its issuer (metadata discovered) or by
// its endpoints. Every URL must be https: tokens and codes travel through them.
import { isOAuth2Provider, OAUTH2_PRESETS, type OAuth2Provider } from './presets';

export interface OAuth2Settings {
  /** A known provider: its endpoints, scopes and loopback host are used unless given here. */
  provider?: OAuth2Provider;
  /** Issuer identifier; metadata from /.well-known/openid-configuration or RFC 8414. */
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  clientId: string;
  /** Only for providers that issue secrets to native apps (Google); never a user's secret. */
  clientSecret?: string;
  scopes?: string[];
  /** Microsoft: common, organizations, consumers, a tenant id or domain. */
  tenant?: string;
}

function httpsUrl(value: string, key: string, fail: (msg: string) => never): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`"oauth2.${key}" is not a URL`);
  }
  if (url.protocol !== 'https:') fail(`"oauth2.${key}" must be an https:// URL`);
  if (url.username || url.password) fail(`"oauth2.${key}" must not contain a user name or password`);
  if (url.hash) fail(`"oauth2.${key}" must not contain a #fragment`);
  return url.href;
}

/** Validates the `oauth2` block; `fail` throws the account's config error. */
export function validateOAuth2Settings(input: unknown, fail: (msg: string) => never): OAuth2Settings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('"auth": "oauth2" needs an "oauth2" object (at least "clientId", and "provider" or "issuer")');
  }
  const o = input as Record<string, unknown>;
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') fail(`"oauth2.${key}" must be a string`);
    return (v as string).trim() || undefined;
  };
  const provider = str('provider');
  if (provider !== undefined && !isOAuth2Provider(provider)) {
    fail(
      `"oauth2.provider" must be one of ${Object.keys(OAUTH2_PRESETS)
        .map((p) => `"${p}"`)
        .join(', ')}`,
    );
  }
  const clientId = str('clientId');
  if (!clientId) fail('"oauth2.clientId" is required (the id of the application registered with the provider)');
  const settings: OAuth2Settings = { clientId: clientId! };
  if (provider) settings.provider = provider as OAuth2Provider;
  for (const key of ['issuer', 'authorizationEndpoint', 'tokenEndpoint', 'deviceAuthorizationEndpoint'] as const) {
    const v = str(key);
    if (v) settings[key] = httpsUrl(v, key, fail);
  }
  if (!settings.provider && !settings.issuer && !(settings.authorizationEndpoint && settings.tokenEndpoint)) {
    fail('"oauth2" needs "provider", "issuer", or both "authorizationEndpoint" and "tokenEndpoint"');
  }
  if (Boolean(settings.authorizationEndpoint) !== Boolean(settings.tokenEndpoint) && !settings.provider) {
    fail('"oauth2.authorizationEndpoint" and "oauth2.tokenEndpoint" go together');
  }
  const secret = str('clientSecret');
  if (secret) settings.clientSecret = secret;
  if (o.scopes !== undefined) {
    if (
      !Array.isArray(o.scopes) ||
      o.scopes.length === 0 ||
      !o.scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
    ) {
      fail('"oauth2.scopes" must be a non-empty list of scope names (no spaces or quotes)');
    }
    settings.scopes = [...(o.scopes as string[])];
  } else if (!settings.provider) {
    fail(
      '"oauth2.scopes" is required without a "provider" (include the one that grants refresh tokens, often "offline_access")',
    );
  }
  const tenant = str('tenant');
  if (tenant !== undefined) {
    if (settings.provider !== 'microsoft') fail('"oauth2.tenant" only applies to "provider": "microsoft"');
    // Part of an URL path: a tenant id (GUID), a domain, or common / organizations / consumers.
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(tenant))
      fail('"oauth2.tenant" must be a tenant id, a domain, "common", "organizations" or "consumers"');
    settings.tenant = tenant;
  }
  return settings;
}
