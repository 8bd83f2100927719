import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
/**
 * Proves the test harness: a private Dovecot (test/harness/dovecot.ts), the
 * seeded fixtures, and the fault-injecting proxy, using a raw node:tls IMAP
 * client with certificate verification on.
 *
 * alice's mailbox is only read here; tests that write use bob.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDovecot, type TestServer } from '../harness/dovecot.js';
import { startProxy, type ImapProxy } from '../harness/proxy.js';
import { RawImap, capabilitiesOf, literalsOf, quote } from '../harness/raw-imap.js';
import { FIXTURES, UNSEEN_COUNT, fixture, uidOf, buildMessage } from '../harness/fixtures.js';

let server: TestServer;
const proxies: ImapProxy[] = [];
const clients: RawImap[] = [];

async function connect(opts: Partial<Parameters<typeof RawImap.connect>[0]> = {}): Promise<RawImap> {
  const c = await RawImap.connect({ host: server.host, port: server.imapsPort, ca: server.ca, ...opts });
  clients.push(c);
  return c;
}

async function loggedIn(
  user: 'alice' | 'bob',
  opts: Partial<Parameters<typeof RawImap.connect>[0]> = {},
): Promise<RawImap> {
  const c = await connect(opts);
  const u = server.users[user];
  const r = await c.login(u.user, u.pass);
  assert.equal(r.status, 'OK', r.line);
  return c;
}

async function connectError(opts: Parameters<typeof RawImap.connect>[0]): Promise<NodeJS.ErrnoException> {
  try {
    const c = await RawImap.connect(opts);
    c.destroy();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  assert.fail(`connecting to ${opts.host}:${opts.port} should have failed`);
}

before(async () => {
  const t0 = Date.now();
  server = await startDovecot();
  const ms = Date.now() - t0;
  if (ms > 3000) console.log(`startDovecot took ${ms} ms`);
});

after(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(proxies.map((p) => p.close()));
  await server?.dispose();
});

test('imaps: alice logs in with certificate verification on', async () => {
  const c = await connect();
  const sock = c.tlsSocket;
  assert.ok(sock);
  assert.equal(sock.authorized, true);
  assert.equal(sock.getPeerCertificate().fingerprint256, server.fingerprint256);
  assert.match(c.greeting, /^\* OK /);
  const r = await c.login(server.users.alice.user, server.users.alice.pass);
  assert.equal(r.status, 'OK', r.line);
  const caps = capabilitiesOf([r.line]);
  for (const cap of ['IDLE', 'MOVE', 'UIDPLUS', 'CONDSTORE', 'QRESYNC', 'SPECIAL-USE', 'COMPRESS=DEFLATE']) {
    assert.ok(caps.includes(cap), `${cap} in ${caps.join(' ')}`);
  }
  await c.logout();
});

test('LIST shows the special-use folders and the Projects hierarchy', async () => {
  const c = await loggedIn('alice');
  const r = await c.ok('LIST "" "*"');
  const boxes = new Map<string, string>();
  for (const l of r.untagged) {
    const m = /^\* LIST \(([^)]*)\) "\/" (.+)$/.exec(l);
    if (m) boxes.set((m[2] as string).replace(/^"(.*)"$/, '$1'), m[1] as string);
  }
  for (const [name, use] of [
    ['Sent', '\\Sent'],
    ['Drafts', '\\Drafts'],
    ['Trash', '\\Trash'],
    ['Junk', '\\Junk'],
    ['Archive', '\\Archive'],
  ] as const) {
    assert.ok(boxes.get(name)?.split(' ').includes(use), `${name} has ${use}: ${r.untagged.join(' | ')}`);
  }
  for (const name of ['INBOX', 'Projects', 'Projects/Mailroom', 'Projects/Other']) assert.ok(boxes.has(name), name);
  assert.match(boxes.get('Projects') ?? '', /\\HasChildren/);
  const lsub = await c.ok('LSUB "" "*"');
  assert.ok(
    lsub.untagged.some((l) => l.endsWith(' Projects/Mailroom')),
    lsub.untagged.join(' | '),
  );
  await c.logout();
});

test('STATUS INBOX matches the fixtures', async () => {
  const c = await loggedIn('alice');
  const r = await c.ok('STATUS INBOX (MESSAGES UNSEEN)');
  assert.deepEqual(r.untagged, [`* STATUS INBOX (MESSAGES ${FIXTURES.length} UNSEEN ${UNSEEN_COUNT})`]);
  assert.equal(UNSEEN_COUNT, 2);
  await c.logout();
});

test('fixtures have UID i+1, their flags, dates and exact bytes', async () => {
  const c = await loggedIn('alice');
  await c.ok('EXAMINE INBOX');
  const r = await c.ok('UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)');
  assert.equal(r.untagged.length, FIXTURES.length);
  for (const line of r.untagged) {
    const uid = Number(/UID (\d+)/.exec(line)?.[1]);
    const f = FIXTURES[uid - 1];
    assert.ok(f, line);
    assert.equal(uidOf(f.key), uid);
    const flags = (/FLAGS \(([^)]*)\)/.exec(line)?.[1] ?? '').split(' ').filter((x) => x && x !== '\\Recent');
    assert.deepEqual(flags.sort(), [...f.flags].sort(), `${f.key}: ${line}`);
    assert.equal(Number(/RFC822\.SIZE (\d+)/.exec(line)?.[1]), f.raw.length, f.key);
    const day = String(f.date.getUTCDate()).padStart(2, '0');
    assert.ok(line.includes(`INTERNALDATE "${day}-Jan-2026 09:00:00 +0000"`), line);
  }
  for (const key of ['plain', 'encoded', 'bad-charset']) {
    const body = await c.ok(`UID FETCH ${uidOf(key)} (BODY.PEEK[])`);
    const [lit] = literalsOf(body.rawUntagged[0] as Buffer);
    assert.ok(lit?.equals(fixture(key).raw), `${key} comes back byte-identical`);
  }
  await c.logout();
});

test('STARTTLS port: LOGIN refused before STARTTLS, accepted after', async () => {
  // From 127.0.0.1 to 127.0.0.1 Dovecot counts the link as secure; insecureHost avoids that.
  const c = await connect({ host: server.insecureHost, port: server.imapPort, tls: false });
  assert.match(c.greeting, /STARTTLS/);
  assert.match(c.greeting, /LOGINDISABLED/);
  const refused = await c.login(server.users.alice.user, server.users.alice.pass);
  assert.equal(refused.status, 'NO', refused.line);
  assert.match(refused.text, /PRIVACYREQUIRED/);
  const st = await c.startTls({ host: server.insecureHost, ca: server.ca });
  assert.equal(st.status, 'OK');
  assert.equal(c.tlsSocket?.authorized, true);
  const ok = await c.login(server.users.alice.user, server.users.alice.pass);
  assert.equal(ok.status, 'OK', ok.line);
  await c.logout();
});

test('without the CA the certificate does not verify', async () => {
  const err = await connectError({ host: server.host, port: server.imapsPort });
  assert.ok(
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(
      String(err.code),
    ),
    `${err.code}: ${err.message}`,
  );
});

test('mismatchHost fails hostname verification even with the CA', async () => {
  const err = await connectError({ host: server.mismatchHost, port: server.imapsPort, ca: server.ca });
  assert.equal(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID', err.message);
});

// Dovecot answers a failed login on its next 500 ms failure-timer tick even with
// auth_failure_delay = 0 (the auth penalty is off, so later logins are not slowed).
test('wrong password gets NO, and does not slow down later logins', async () => {
  const c = await connect();
  const t0 = Date.now();
  const r = await c.login(server.users.alice.user, 'wrong');
  assert.equal(r.status, 'NO', r.line);
  assert.match(r.text, /AUTHENTICATIONFAILED/);
  assert.ok(Date.now() - t0 < 1500, 'auth_failure_delay = 0');
  c.destroy();
  const t1 = Date.now();
  const ok = await loggedIn('alice');
  assert.ok(Date.now() - t1 < 1000, `login after a failure took ${Date.now() - t1} ms (auth penalty?)`);
  await ok.logout();
});

test('proxy hides MOVE/UIDPLUS/COMPRESS and refuses UID MOVE', async () => {
  const proxy = await startProxy(server, {
    hideCapabilities: ['MOVE', 'UIDPLUS'],
    refuseCommands: ['MOVE', 'UID MOVE', 'UID EXPUNGE'],
  });
  proxies.push(proxy);
  const c = await loggedIn('bob', { port: proxy.port });
  assert.equal(c.tlsSocket?.authorized, true);
  const caps = capabilitiesOf((await c.ok('CAPABILITY')).untagged);
  assert.ok(caps.includes('IDLE') && caps.includes('CONDSTORE'), caps.join(' '));
  for (const hidden of ['MOVE', 'UIDPLUS', 'COMPRESS=DEFLATE']) assert.ok(!caps.includes(hidden), `${hidden} hidden`);

  // APPEND through the proxy: the literal holds lines that look like a refused
  // command and a capability list; neither may be touched.
  const raw = buildMessage({
    from: 'Alice Example <alice@example.test>',
    to: 'bob@example.test',
    subject: 'Proxy literal test',
    text: 'A1 UID MOVE 1 Trash\n* CAPABILITY IMAP4rev1 MOVE UIDPLUS\nT9 OK [CAPABILITY MOVE] [COPYUID 1 1 1]\n',
    messageId: 'proxy-literal@mailroom.test',
  });
  const app = await c.ok('APPEND INBOX () ', raw);
  assert.doesNotMatch(app.text, /APPENDUID/);
  await c.ok('SELECT INBOX');
  const moved = await c.command('UID MOVE 1 Trash');
  assert.equal(moved.status, 'BAD');
  assert.equal(moved.text, 'Command refused by test proxy');
  assert.equal((await c.command('UID EXPUNGE 1')).status, 'BAD');
  const copied = await c.ok('UID COPY 1 Trash');
  assert.doesNotMatch(copied.line + copied.untagged.join(''), /COPYUID/);
  const fetched = await c.ok('UID FETCH 1 (BODY.PEEK[])');
  const [lit] = literalsOf(fetched.rawUntagged[0] as Buffer);
  assert.ok(lit?.equals(raw), 'message bytes unchanged through the proxy');
  assert.deepEqual(proxy.refused, ['UID MOVE', 'UID EXPUNGE']);

  // Straight to Dovecot the same session shape does get the codes.
  const d = await loggedIn('bob');
  const app2 = await d.ok('APPEND Drafts () ', raw);
  assert.match(app2.text, /APPENDUID/);
  await c.logout();
  await d.logout();
});

test('proxy: refused commands with literals, pipelined in one write', async () => {
  const proxy = await startProxy(server, { refuseCommands: ['APPEND'], hideCapabilities: ['CONDSTORE'] });
  proxies.push(proxy);
  const c = await loggedIn('bob', { port: proxy.port });
  // Non-synchronizing literal: its bytes (which look like a command) must be swallowed.
  c.write('X1 APPEND INBOX {21+}\r\nX9 LOGOUT\r\n0123456789\r\nX2 NOOP\r\n');
  assert.equal(await c.waitForUnsolicited(/^X1 /), 'X1 BAD Command refused by test proxy');
  assert.match(await c.waitForUnsolicited(/^X2 /), /^X2 OK/);
  assert.equal(
    c.unsolicited.some((l) => l.startsWith('X9') || l.startsWith('* BYE')),
    false,
  );
  // Synchronizing literal: refused before the client sends it.
  const r = await c.command('APPEND INBOX ', Buffer.from('X8 LOGOUT\r\n'));
  assert.equal(r.status, 'BAD');
  await c.ok('NOOP');
  // ENABLE of a hidden capability is not reported as enabled.
  const en = await c.ok('ENABLE CONDSTORE');
  assert.deepEqual(en.untagged, ['* ENABLED']);
  assert.deepEqual(proxy.refused, ['APPEND', 'APPEND']);
  await c.logout();
});

test('proxy: cutAll drops connections, setAccepting(false) refuses new ones', async () => {
  const proxy = await startProxy(server);
  proxies.push(proxy);
  const c = await loggedIn('alice', { port: proxy.port });
  assert.equal(proxy.openConnections, 1);
  proxy.cutAll();
  await c.closed;
  assert.equal(c.isOpen, false);
  await assert.rejects(c.command('NOOP'));

  proxy.setAccepting(false);
  await connectError({ host: server.host, port: proxy.port, ca: server.ca });
  proxy.setAccepting(true);
  const again = await loggedIn('alice', { port: proxy.port });
  await again.logout();
});

test('proxy: blackHoleAll silences open connections without closing them; new ones work', async () => {
  const proxy = await startProxy(server);
  proxies.push(proxy);
  const c = await loggedIn('alice', { port: proxy.port, timeoutMs: 1000 });
  await c.ok('NOOP');
  assert.equal(proxy.blackHoleAll(), 1);
  const before = proxy.bytesServerToClient;
  await assert.rejects(c.command('NOOP'), /timed out/);
  assert.equal(c.isOpen, true, 'no FIN, no RST: the client cannot tell');
  assert.equal(proxy.bytesServerToClient, before, 'nothing forwarded');
  assert.equal(proxy.blackHoled, 1);
  const fresh = await loggedIn('alice', { port: proxy.port });
  await fresh.ok('NOOP');
  await fresh.logout();
  c.destroy();
});

test('proxy: setConnectDelay holds the greeting of new connections', async () => {
  const proxy = await startProxy(server);
  proxies.push(proxy);
  proxy.setConnectDelay(400);
  const started = Date.now();
  const slow = await loggedIn('alice', { port: proxy.port });
  assert.ok(Date.now() - started >= 350, `greeted after ${Date.now() - started} ms`);
  proxy.setConnectDelay(0);
  const quick = Date.now();
  const fast = await loggedIn('alice', { port: proxy.port });
  assert.ok(Date.now() - quick < 350, `greeted after ${Date.now() - quick} ms`);
  await slow.logout();
  await fast.logout();
});

test('proxy: cutAfterServerBytes cuts in the middle of a big FETCH', async () => {
  const proxy = await startProxy(server);
  proxies.push(proxy);
  const c = await loggedIn('alice', { port: proxy.port });
  await c.ok('EXAMINE INBOX');
  const before = proxy.bytesServerToClient;
  proxy.cutAfterServerBytes(100_000);
  await assert.rejects(c.command(`UID FETCH ${uidOf('big-attachment')} (BODY.PEEK[])`));
  await c.closed;
  assert.equal(proxy.bytesServerToClient - before, 100_000);
  assert.equal(proxy.openConnections, 0);
});

test('stop() drops sessions and closes the ports; start() brings them back', async () => {
  // Its own server: a restart is tested from a known state, not after the proxy tests' churn.
  const own = await startDovecot();
  try {
    const c = await RawImap.connect({ host: own.host, port: own.imapsPort, ca: own.ca });
    assert.equal((await c.login(own.users.alice.user, own.users.alice.pass)).status, 'OK');
    await own.stop();
    assert.equal(own.running, false);
    await c.closed;
    const err = await connectError({ host: own.host, port: own.imapsPort, ca: own.ca });
    assert.equal(err.code, 'ECONNREFUSED');
    await own.start();
    assert.equal(own.running, true);
    const d = await RawImap.connect({ host: own.host, port: own.imapsPort, ca: own.ca });
    assert.equal((await d.login(own.users.alice.user, own.users.alice.pass)).status, 'OK');
    const r = await d.ok('STATUS INBOX (MESSAGES)');
    assert.match(r.untagged[0] ?? '', new RegExp(`MESSAGES ${FIXTURES.length}\\)`));
    await d.logout();
  } finally {
    await own.dispose();
  }
});

test('a restart after a master died holding its instance-list lock comes up and greets', async () => {
  const own = await startDovecot();
  try {
    await own.stop();
    // What a master SIGKILLed while rewriting its instance list on shutdown leaves behind; the next
    // master would wait for it to go stale before starting anything.
    writeFileSync(join(own.dir, 'state', 'instances.lock'), '');
    await own.start();
    for (let i = 0; i < 10; i++) {
      await own.stop();
      await own.start();
    }
    const c = await RawImap.connect({ host: own.host, port: own.imapsPort, ca: own.ca });
    assert.match(c.greeting, /^\* OK /);
    await c.logout();
  } finally {
    await own.dispose();
  }
});

test('mdbox format is seeded the same way', async () => {
  const md = await startDovecot({ mailFormat: 'mdbox' });
  try {
    const c = await RawImap.connect({ host: md.host, port: md.imapsPort, ca: md.ca });
    clients.push(c);
    await c.ok(`LOGIN ${quote('alice')} ${quote('alicepw')}`);
    const st = await c.ok('STATUS INBOX (MESSAGES UIDNEXT UNSEEN)');
    assert.deepEqual(st.untagged, [
      `* STATUS INBOX (MESSAGES ${FIXTURES.length} UIDNEXT ${FIXTURES.length + 1} UNSEEN ${UNSEEN_COUNT})`,
    ]);
    const list = await c.ok('LIST "" "Projects/*"');
    assert.equal(list.untagged.length, 2, list.untagged.join(' | '));
    await c.ok('EXAMINE INBOX');
    const body = await c.ok(`UID FETCH ${uidOf('plain')} (BODY.PEEK[])`);
    assert.ok(literalsOf(body.rawUntagged[0] as Buffer)[0]?.equals(fixture('plain').raw));
    await c.logout();
  } finally {
    await md.dispose();
  }
});
