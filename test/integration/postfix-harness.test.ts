// Proves the submission harness: a private Postfix in front of the private Dovecot, both TLS
// listeners with the test CA, SASL and LMTP through Dovecot, and a clean-up that leaves no process
// and no directory behind — even when the test process is SIGKILLed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import { groupMembers, sleep, startDovecot, type TestServer } from '../harness/dovecot';
import { startPostfix } from '../harness/postfix';

let dovecot: TestServer;
before(async () => {
  dovecot = await startDovecot({ submission: true });
});
after(async () => {
  await dovecot?.dispose();
});

/** Sends `lines` one per complete SMTP reply over implicit TLS (verified with the test CA); returns everything read. */
function smtpsConversation(port: number, ca: string, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, ca: [ca] });
    let buf = '';
    const queue = [...lines];
    sock.setTimeout(5000, () => {
      sock.destroy();
      reject(new Error(`timeout; got ${buf}`));
    });
    sock.on('data', (d) => {
      buf += d.toString();
      // A complete reply ends with "NNN text\r\n" (no dash after the code).
      if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buf)) {
        const next = queue.shift();
        if (next === undefined) {
          sock.end();
          resolve(buf);
        } else sock.write(`${next}\r\n`);
      }
    });
    sock.on('error', reject);
  });
}

test('Postfix starts fast, offers AUTH only over TLS, authenticates against Dovecot, and is gone after dispose', async () => {
  const postfix = await startPostfix(dovecot);
  console.log(`startPostfix took ${postfix.startMs} ms`);
  const pgid = Number(readFileSync(`${postfix.dir}/master.pgid`, 'utf8'));
  assert.ok(groupMembers(pgid).length > 0, 'the master and its daemons run in one process group');
  try {
    const plain = Buffer.from('\0alice\0alicepw').toString('base64');
    const wrong = Buffer.from('\0alice\0nope').toString('base64');
    const talk = await smtpsConversation(postfix.smtpsPort, dovecot.ca, [
      'EHLO test',
      `AUTH PLAIN ${wrong}`,
      `AUTH PLAIN ${plain}`,
      'QUIT',
    ]);
    assert.match(talk, /250-AUTH PLAIN/);
    assert.match(talk, /250-SIZE 10485760/);
    assert.match(talk, /535 5\.7\.8/);
    assert.match(talk, /235 2\.7\.0/);
  } finally {
    await postfix.dispose();
  }
  assert.ok(!existsSync(postfix.dir), 'its directory is removed');
  assert.equal(groupMembers(pgid).length, 0, 'no Postfix process is left');
});

test('if the test process is SIGKILLed, the watchdogs stop Postfix and Dovecot and remove their directories', async () => {
  // A child process starts both servers, reports their process groups and directories, and is killed.
  const script = `
    const { startDovecot } = require(${JSON.stringify(require.resolve('../harness/dovecot'))});
    const { startPostfix } = require(${JSON.stringify(require.resolve('../harness/postfix'))});
    const { readFileSync } = require('node:fs');
    (async () => {
      const d = await startDovecot({ submission: true });
      const p = await startPostfix(d);
      const pg = (dir, file) => Number(readFileSync(dir + '/' + file, 'utf8'));
      console.log(JSON.stringify({ dirs: [d.dir, p.dir], groups: [pg(d.dir, 'dovecot.pgid'), pg(p.dir, 'master.pgid')] }));
      setInterval(() => {}, 1000);
    })();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=commonjs', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<{ dirs: string[]; groups: number[] }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
  });
  assert.ok(
    info.groups.every((g) => groupMembers(g).length > 0),
    'both servers run',
  );
  child.kill('SIGKILL');
  const until = Date.now() + 10_000;
  while (Date.now() < until && (info.groups.some((g) => groupMembers(g).length > 0) || info.dirs.some(existsSync)))
    await sleep(50);
  assert.deepEqual(
    info.groups.map((g) => groupMembers(g).length),
    [0, 0],
    'no Dovecot or Postfix process is left',
  );
  assert.deepEqual(info.dirs.map(existsSync), [false, false], 'both directories are removed');
});
