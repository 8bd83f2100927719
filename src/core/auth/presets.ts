// What Mailroom knows about the providers it can sign in to, so an account names its provider
// and its client id and nothing else. Every value was checked against the provider's published
// documentation where it could be (see each comment); none of the providers could be tried from
// here, so the first real sign-in to each is the remaining test.
//
// No preset carries a client id: Mailroom has no registration of its own yet, and borrowing
// another application's would impersonate it. The user (or an administrator) registers a
// "native"/"desktop" client and puts its id in the account.
import type { Security } from '../session/account';

export type OAuth2Provider = 'microsoft' | 'google' | 'fastmail';

export interface ServerAddress {
  host: string;
  port: number;
  security: Security;
}

export interface OAuth2Preset {
  /** For pickers: "Sign in with …". */
  label: string;
  /** Identifier of the authorization server (RFC 8414 / RFC 9207 `iss`). */
  issuer(tenant: string): string;
  authorizationEndpoint(tenant: string): string;
  tokenEndpoint(tenant: string): string;
  /** RFC 8628 device authorization endpoint, when the provider offers it for these scopes. */
  deviceAuthorizationEndpoint?(tenant: string): string;
  /** Used when the account names no tenant (only Microsoft has tenants). */
  defaultTenant?: string;
  /** One token must serve both IMAP and SMTP submission. */
  scopes: string[];
  /** Extra parameters of the authorization request. */
  authorizationParams?: Record<string, string>;
  /**
   * The loopback host of the redirect URI. RFC 8252 8.3 prefers the IP literal; a provider that
   * matches registered redirect URIs by host name needs the name that is registered.
   */
  loopbackHost: '127.0.0.1' | 'localhost';
  /** Whether the provider issues secrets to native clients and wants them back (Google does). */
  clientSecret: 'none' | 'required';
  imap: ServerAddress;
  smtp: ServerAddress;
  /** One line for the person setting the account up (where to register the client). */
  setupHint: string;
}

const microsoftBase = (tenant: string) => `https://login.microsoftonline.com/${encodeURIComponent(tenant)}`;

export const OAUTH2_PRESETS: Readonly<Record<OAuth2Provider, OAuth2Preset>> = {
  // Microsoft identity platform (Outlook.com, Microsoft 365), checked on learn.microsoft.com:
  // - "Authenticate an IMAP, POP or SMTP connection using OAuth" (exchange/client-developer/
  //   legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth): scopes
  //   https://outlook.office.com/IMAP.AccessAsUser.All and .../SMTP.Send, "offline_access" for a
  //   refresh token; both flows below (authorization code, device authorization) are named there;
  //   SASL XOAUTH2.
  // - "OAuth 2.0 device authorization grant" (entra/identity-platform/v2-oauth2-device-code):
  //   POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode, tenant = common,
  //   organizations, consumers, or a tenant id / domain; the authorize and token endpoints of
  //   v2-oauth2-auth-code-flow share that {tenant}/oauth2/v2.0/ base.
  // - Endpoints are explicit rather than discovered: the v2.0 discovery document of "common"
  //   names its issuer with a literal {tenantid} placeholder, which fails issuer validation.
  // - Loopback: MSAL's own error for desktop apps says "Configure http://localhost or
  //   http://localhost:port"; Entra ignores the port of localhost redirect URIs (reply-url).
  // - Servers, support.microsoft.com "POP, IMAP, and SMTP settings for Outlook.com": IMAP
  //   outlook.office365.com:993 SSL/TLS, OAuth2. That page names smtp-mail.outlook.com:587
  //   STARTTLS for SMTP; smtp.office365.com:587 is the Exchange Online (Microsoft 365) name
  //   Microsoft 365 setups use (not checked on a first-party page here).
  microsoft: {
    label: 'Microsoft (Outlook.com, Microsoft 365)',
    issuer: (tenant) => `${microsoftBase(tenant)}/v2.0`,
    authorizationEndpoint: (tenant) => `${microsoftBase(tenant)}/oauth2/v2.0/authorize`,
    tokenEndpoint: (tenant) => `${microsoftBase(tenant)}/oauth2/v2.0/token`,
    deviceAuthorizationEndpoint: (tenant) => `${microsoftBase(tenant)}/oauth2/v2.0/devicecode`,
    defaultTenant: 'common',
    scopes: [
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
    ],
    loopbackHost: 'localhost',
    clientSecret: 'none',
    imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
    setupHint:
      'Register an application in Microsoft Entra ("Mobile and desktop applications", redirect URI http://localhost, public client flows allowed) with the delegated permissions IMAP.AccessAsUser.All and SMTP.Send.',
  },
  // Google, checked on developers.google.com:
  // - "OAuth 2.0 Mechanism" (gmail/imap/xoauth2-protocol): the scope for IMAP, POP and SMTP is
  //   https://mail.google.com/; an app asking for it must comply with the API Services User Data
  //   Policy and pass verification: a restricted scope, so the user brings their own client.
  // - "OAuth 2.0 for desktop apps" (identity/protocols/oauth2/native-app): desktop clients are
  //   public, use PKCE and a loopback IP redirect; the console still issues a client secret that
  //   the token endpoint expects (clientSecret 'required', it is not confidential).
  // - "OAuth 2.0 for TV and Limited-Input Device Applications" supports "a limited set of scopes"
  //   only; mail.google.com is not among them, so no device flow.
  // - Endpoints (accounts.google.com/o/oauth2/v2/auth, oauth2.googleapis.com/token) as in
  //   Google's discovery document and its native-app guide.
  // - A refresh token: Google returns one only when the consent screen was shown, hence
  //   prompt=consent with access_type=offline (Google's web-server guide; not re-checked here).
  // - Servers: imap.gmail.com:993 TLS, smtp.gmail.com:465 TLS (Gmail's IMAP/SMTP guide, quoted
  //   by third parties here; the first-party page was not in the searchable corpus).
  google: {
    label: 'Google (Gmail, Google Workspace)',
    issuer: () => 'https://accounts.google.com',
    authorizationEndpoint: () => 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: () => 'https://oauth2.googleapis.com/token',
    scopes: ['https://mail.google.com/'],
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
    loopbackHost: '127.0.0.1',
    clientSecret: 'required',
    imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
    setupHint:
      'Create an OAuth client of type "Desktop app" in the Google Cloud console, enable the Gmail API and add your address as a test user: https://mail.google.com/ is a restricted scope.',
  },
  // Fastmail, checked on fastmail.com:
  // - "OAuth" (for-developers/oauth): authorization code grant of RFC 6749; clients are registered
  //   manually by Fastmail; registered redirect URIs may start with http://localhost/ (hence
  //   loopbackHost 'localhost').
  // - Endpoints and scopes are not on the parts of that page visible here; they are those used by
  //   clients Fastmail registered (Thunderbird for Android, app-k9mail K9OAuthConfigurationFactory):
  //   https://api.fastmail.com/oauth/authorize, token endpoint .../oauth/refresh, scopes
  //   https://www.fastmail.com/dev/protocol-imap and .../protocol-smtp. No device flow documented.
  // - Servers, "Server names and ports" (help/technical/servernamesandports.html):
  //   imap.fastmail.com:993 and smtp.fastmail.com:465, SSL/TLS "but not STARTTLS".
  fastmail: {
    label: 'Fastmail',
    issuer: () => 'https://api.fastmail.com',
    authorizationEndpoint: () => 'https://api.fastmail.com/oauth/authorize',
    tokenEndpoint: () => 'https://api.fastmail.com/oauth/refresh',
    scopes: ['https://www.fastmail.com/dev/protocol-imap', 'https://www.fastmail.com/dev/protocol-smtp'],
    loopbackHost: 'localhost',
    clientSecret: 'none',
    imap: { host: 'imap.fastmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.fastmail.com', port: 465, security: 'tls' },
    setupHint:
      'Fastmail registers OAuth clients by hand (fastmail.com/for-developers/oauth); use the client id it gave you.',
  },
};

export function isOAuth2Provider(name: unknown): name is OAuth2Provider {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(OAUTH2_PRESETS, name);
}
