import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SecretRedactor } from '../../src/core/log';

test('registered secrets are masked in every common encoding', () => {
  const r = new SecretRedactor();
  r.add('s3cr"et\\pw', 'alice');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const lines = [
    'password is s3cr"et\\pw',
    `C: A1 AUTHENTICATE PLAIN ${b64('\0alice\0s3cr"et\\pw')}`,
    `C: ${b64('\0alice\0s3cr"et\\pw')}`,
    `json ${JSON.stringify({ pass: 's3cr"et\\pw' })}`,
    'C: A1 LOGIN alice "s3cr\\"et\\\\pw"',
    `token ${b64('s3cr"et\\pw')}`,
  ];
  for (const line of lines) {
    const out = r.redact(line);
    assert.ok(!out.includes('s3cr'), `leaked: ${out}`);
    assert.ok(!out.includes(b64('\0alice\0s3cr"et\\pw')), `leaked: ${out}`);
  }
});

test('LOGIN and AUTHENTICATE arguments are masked even for unknown secrets', () => {
  const r = new SecretRedactor();
  assert.equal(r.redact('C: 2 LOGIN bob hunter2'), 'C: 2 LOGIN bob ***');
  assert.equal(r.redact('C: 2 LOGIN "bob" "a \\" b"'), 'C: 2 LOGIN "bob" ***');
  assert.equal(r.redact('error: Login is disabled'), 'error: Login is disabled');
  assert.equal(
    r.redact('C: 3 AUTHENTICATE XOAUTH2 dXNlcj1ib2IBYXV0aD1CZWFyZXIgeHl6AQE='),
    'C: 3 AUTHENTICATE XOAUTH2 ***',
  );
  assert.equal(
    r.redact('2 AUTHENTICATE OAUTHBEARER "(* value hidden *)"\nnext'),
    '2 AUTHENTICATE OAUTHBEARER ***\nnext',
  );
});

test('OAuth2 tokens in SASL XOAUTH2 and OAUTHBEARER encodings are masked', () => {
  const r = new SecretRedactor();
  r.add('ya29.tokenvalue', 'carol@example.test');
  const x = Buffer.from('user=carol@example.test\x01auth=Bearer ya29.tokenvalue\x01\x01').toString('base64');
  assert.equal(r.redact(`C: ${x}`), 'C: ***');
});
