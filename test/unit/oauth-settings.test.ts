import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveCredentials, validateAccount } from '../../src/core/session/account';
import { authorizationServer } from '../../src/core/auth/server';
import { OAUTH2_PRESETS } from '../../src/core/auth/presets';
import { MailError } from '../../src/core/errors';

const base = { name: 'W', host: 'outlook.office365.com', user: 'me@example.com' };
const oauth = (oauth2: unknown) => validateAccount({ ...base, auth: 'oauth2', oauth2 });
const noNetwork = async (): Promise<Response> => assert.fail('no request may be made');

test('an OAuth2 account names a provider (or an issuer, or endpoints) and a client id; the rest comes from the preset', () => {
  assert.deepEqual(oauth({ provider: 'microsoft', clientId: 'abc', tenant: 'organizations' }), {
    ...base,
    port: 993,
    security: 'tls',
    auth: 'oauth2',
    oauth2: { provider: 'microsoft', clientId: 'abc', tenant: 'organizations' },
  });
  assert.deepEqual(
    oauth({ issuer: 'https://id.example.com/realms/mail', clientId: 'c', scopes: ['mail', 'offline_access'] }).oauth2,
    {
      issuer: 'https://id.example.com/realms/mail',
      clientId: 'c',
      scopes: ['mail', 'offline_access'],
    },
  );
  assert.equal(validateAccount({ ...base, auth: 'password' }).auth, undefined, 'a password account stays as it was');
});

test('OAuth2 settings that cannot work are refused with a message that says what to change', () => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /needs an "oauth2" object/],
    [{ provider: 'microsoft' }, /"oauth2.clientId" is required/],
    [{ provider: 'yahoo', clientId: 'c' }, /"oauth2.provider" must be one of "microsoft", "google", "fastmail"/],
    [{ clientId: 'c', scopes: ['mail'] }, /needs "provider", "issuer", or both/],
    [{ issuer: 'http://id.example.com', clientId: 'c', scopes: ['mail'] }, /must be an https:\/\/ URL/],
    [{ issuer: 'https://u:p@id.example.com', clientId: 'c', scopes: ['mail'] }, /must not contain a user name/],
    [
      { authorizationEndpoint: 'https://id.example.com/a', clientId: 'c', scopes: ['mail'] },
      /needs "provider", "issuer", or both/,
    ],
    [{ issuer: 'https://id.example.com', clientId: 'c' }, /"oauth2.scopes" is required without a "provider"/],
    [{ provider: 'google', clientId: 'c', scopes: ['two words'] }, /list of scope names/],
    [{ provider: 'google', clientId: 'c', tenant: 'x' }, /only applies to "provider": "microsoft"/],
    [{ provider: 'microsoft', clientId: 'c', tenant: '../evil' }, /must be a tenant id/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => oauth(input),
      (e: unknown) => e instanceof MailError && e.kind === 'config' && message.test(e.message),
      JSON.stringify(input),
    );
  }
  assert.throws(
    () =>
      validateAccount({
        ...base,
        auth: 'oauth2',
        oauth2TokenCommand: 'x',
        oauth2: { provider: 'microsoft', clientId: 'c' },
      }),
    /not both/,
  );
  assert.throws(() => validateAccount({ ...base, auth: 'kerberos' }), /"auth" must be "password" or "oauth2"/);
});

test("presets: Microsoft's tenant goes into its v2.0 endpoints; one token serves IMAP and SMTP; no preset borrows a client id", async () => {
  const server = await authorizationServer(
    { provider: 'microsoft', clientId: 'app', tenant: 'contoso.onmicrosoft.com' },
    noNetwork,
  );
  const meta = server.config.serverMetadata();
  assert.equal(
    meta.authorization_endpoint,
    'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
  );
  assert.equal(meta.token_endpoint, 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
  assert.equal(
    meta.device_authorization_endpoint,
    'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode',
  );
  assert.deepEqual(server.scopes, [
    'https://outlook.office.com/IMAP.AccessAsUser.All',
    'https://outlook.office.com/SMTP.Send',
    'offline_access',
  ]);
  assert.equal(server.supportsDeviceFlow, true);
  const common = await authorizationServer({ provider: 'microsoft', clientId: 'app' }, noNetwork);
  assert.match(common.config.serverMetadata().token_endpoint!, /\/common\/oauth2\/v2\.0\/token$/);

  const google = await authorizationServer({ provider: 'google', clientId: 'app', clientSecret: 's' }, noNetwork);
  assert.equal(google.supportsDeviceFlow, false, "Google's device flow does not cover the mail scope");
  await assert.rejects(
    authorizationServer({ provider: 'google', clientId: 'app' }, noNetwork),
    /needs the "clientSecret"/,
  );
  for (const preset of Object.values(OAUTH2_PRESETS)) assert.ok(!('clientId' in preset));
});

test('an OAuth2 account never asks for a password: without a token source it says to sign in', async () => {
  const account = oauth({ provider: 'fastmail', clientId: 'c' });
  await assert.rejects(
    resolveCredentials(account, async () => assert.fail('asked for a password')),
    (e: unknown) => e instanceof MailError && e.kind === 'signInRequired',
  );
  assert.deepEqual(
    await resolveCredentials(account, async () => 'pw', {
      tokens: { accessToken: async () => 'at', invalidate: () => undefined },
    }),
    { user: 'me@example.com', accessToken: 'at' },
  );
});
