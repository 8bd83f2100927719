// OAuth 2.0 sign-in for mail accounts: what the VS Code layer (and SMTP submission) use.
export {
  OAUTH2_PRESETS,
  isOAuth2Provider,
  type OAuth2Preset,
  type OAuth2Provider,
  type ServerAddress,
} from './presets';
export { type OAuth2Settings, validateOAuth2Settings } from './settings';
export type { BrowserSignInOptions, DeviceCodePrompt, DeviceSignInOptions } from './sign-in';
export {
  type AccessTokenSource,
  OAuth2TokenSource,
  type OAuth2TokenSourceOptions,
  type RefreshTokenStore,
  type SignInMethod,
  type SignInResult,
} from './token-source';
