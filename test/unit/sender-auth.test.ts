import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { authenticationResultsOf, parseAuthenticationResults, verifySender } from '../../src/core/reading/sender-auth';

const GMAIL =
  'mx.google.com; dkim=pass header.i=@example.com header.s=s1 header.b=Ab+cD; ' +
  'spf=pass (google.com: domain of news@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=news@example.com; ' +
  'dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com';

test("the receiving server's DMARC pass for the From domain verifies the sender", () => {
  assert.deepEqual(verifySender(['news@example.com'], [GMAIL]), {
    verified: true,
    address: 'news@example.com',
    domain: 'example.com',
    authservId: 'mx.google.com',
    by: 'dmarc',
  });
  const v = verifySender(['News@EXAMPLE.com'], ['MX.Example.NET; DMARC=PASS header.from="Example.COM"']);
  assert.equal(v.verified, true, 'case and quotes do not matter');
  assert.equal(
    verifySender(['x@bücher.example'], ['mx.test; dmarc=pass header.from=xn--bcher-kva.example']).verified,
    true,
    'IDN and punycode are the same domain',
  );
});

test("a verified DKIM signature of exactly the From domain verifies the sender; another domain's does not", () => {
  const ok = verifySender(
    ['ann@example.com'],
    [
      'mx.example.net 1; dkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.s=2026',
    ],
  );
  assert.equal(ok.verified && ok.by, 'dkim');
  const other = verifySender(
    ['ann@example.com'],
    ['mx.example.net; dkim=pass header.d=mailer.example; dmarc=none header.from=example.com'],
  );
  assert.equal(other.verified, false);
  assert.match(
    !other.verified ? other.why : '',
    /mx\.example\.net found neither DMARC nor a DKIM signature passing for example\.com \(dkim=pass, dmarc=none\)/,
  );
  const sub = verifySender(['ann@mail.example.com'], ['mx.example.net; dkim=pass header.d=example.com']);
  assert.equal(sub.verified, false, 'DKIM is taken for exactly the From domain (DMARC handles relaxed alignment)');
});

test('only the topmost Authentication-Results counts: headers that came with the message prove nothing', () => {
  const receiving = 'mx.local; dkim=none; spf=softfail smtp.mailfrom=bank.example; dmarc=fail header.from=bank.example';
  const forged = 'mx.local; dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example';
  const v = verifySender(['security@bank.example'], [receiving, forged]);
  assert.equal(v.verified, false);
  assert.match(!v.verified ? v.why : '', /dkim=none, dmarc=fail/);
});

test('comments, "none", missing properties and failures never count as a pass', () => {
  const cases: Array<[string, RegExp]> = [
    ['mx.local; dmarc=fail (says: dmarc=pass header.from=bank.example) header.from=bank.example', /dmarc=fail/],
    ['mx.local; dmarc=pass', /found neither/],
    ['mx.local; none', /found neither/],
    ['mx.local; dkim=pass header.d=bank.example.evil.example', /found neither/],
    [
      'mx.local; dkim=neutral header.d=bank.example; dmarc=temperror header.from=bank.example',
      /dkim=neutral, dmarc=temperror/,
    ],
    ['mx.local; dmarc=pass header.from="bank.example (x)"', /found neither/],
    ['', /cannot be read/],
  ];
  for (const [header, why] of cases) {
    const v = verifySender(['a@bank.example'], [header]);
    assert.equal(v.verified, false, header);
    assert.match(!v.verified ? v.why : '', why, header);
  }
});

test('without a header, an address or with several senders there is nothing to verify, and it says why', () => {
  const why = (from: string[], headers?: string[]) => {
    const v = verifySender(from, headers);
    return v.verified ? 'verified' : v.why;
  };
  assert.match(why(['a@example.com'], []), /no Authentication-Results header/);
  assert.match(why(['a@example.com']), /no Authentication-Results header/);
  assert.match(why([]), /no sender address/);
  assert.match(why(['a@example.com', 'b@example.com'], [GMAIL]), /more than one sender/);
  assert.match(why(['example.com'], [GMAIL]), /not a complete address/);
});

test('the parser reads RFC 8601 examples and is linear on pathological input', () => {
  // RFC 8601 appendix B.4 (with an SPF and a sender-id comment)
  const parsed = parseAuthenticationResults(
    'example.com; spf=pass smtp.mailfrom=example.net; sender-id=pass header.from=example.net (comment; with ; semicolons)',
  );
  assert.deepEqual(parsed, {
    authservId: 'example.com',
    results: [
      { method: 'spf', result: 'pass', props: { 'smtp.mailfrom': 'example.net' } },
      { method: 'sender-id', result: 'pass', props: { 'header.from': 'example.net' } },
    ],
  });
  assert.equal(
    parseAuthenticationResults('"quoted.id" 1; auth=pass (a (nested) comment) smtp.auth=sender@example.com')
      ?.authservId,
    'quoted.id',
  );
  const hostile = `mx; dmarc=pass header.from=${'('.repeat(200_000)}x${'"'.repeat(200_000)}`;
  assert.equal(verifySender(['a@x'], [hostile]).verified, false);
});

test('the Authentication-Results values of a real header block come topmost first, unfolded', async () => {
  const raw = [
    'Authentication-Results: mx.receiver.example;',
    '\tdkim=pass header.d=example.com;',
    '\tdmarc=pass header.from=example.com',
    'Received: from out.example.com by mx.receiver.example',
    'Authentication-Results: mx.receiver.example; dmarc=fail header.from=example.com',
    'From: Ann <ann@example.com>',
    'Subject: hi',
    '',
    'body',
    '',
  ].join('\r\n');
  const parsed = await simpleParser(Buffer.from(raw));
  const values = authenticationResultsOf(parsed.headerLines);
  assert.deepEqual(values, [
    'mx.receiver.example; dkim=pass header.d=example.com; dmarc=pass header.from=example.com',
    'mx.receiver.example; dmarc=fail header.from=example.com',
  ]);
  assert.equal(verifySender(['ann@example.com'], values).verified, true);
});
