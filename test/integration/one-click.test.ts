import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { isMailError } from '../../src/core/errors';
import { oneClickUnsubscribe } from '../../src/core/lists/one-click';
import { makeCerts } from '../harness/dovecot';

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let dir: string;
let ca: string;
let server: Server;
let base: string;
const hits: Hit[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailroom-one-click-'));
  const certs = await makeCerts(dir);
  ca = certs.ca;
  server = createServer({ key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});

beforeEach(() => {
  hits.length = 0;
  answer = (_req, res) => res.end('ok');
});

after(() => {
  server?.closeAllConnections();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('one click sends exactly one POST whose body is List-Unsubscribe=One-Click, with no cookie or referrer', async () => {
  const result = await oneClickUnsubscribe(`${base}/u/abc?list=dev`, { ca });
  assert.equal(result.status, 200);
  assert.equal(hits.length, 1);
  const [hit] = hits;
  assert.equal(hit!.method, 'POST');
  assert.equal(hit!.url, '/u/abc?list=dev');
  assert.equal(hit!.body, 'List-Unsubscribe=One-Click');
  assert.equal(hit!.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(hit!.headers.cookie, undefined);
  assert.equal(hit!.headers.referer, undefined);
  assert.equal(hit!.headers.authorization, undefined);
});

test('a certificate Node does not trust ends it before any request is made', async () => {
  await assert.rejects(oneClickUnsubscribe(`${base}/u/abc`), (err) => isMailError(err) && err.kind === 'certUntrusted');
  assert.equal(hits.length, 0);
});

test('a redirect to another host is not followed; one to the same origin repeats the POST there', async () => {
  answer = (req, res) => {
    if (req.url === '/elsewhere') {
      res.writeHead(307, { location: `https://127.0.0.3:${new URL(base).port}/stolen` });
      res.end();
    } else if (req.url === '/moved') {
      res.writeHead(308, { location: '/final' });
      res.end();
    } else res.end('ok');
  };
  await assert.rejects(oneClickUnsubscribe(`${base}/elsewhere`, { ca }), /did not follow/);
  assert.deepEqual(
    hits.map((h) => h.url),
    ['/elsewhere'],
  );
  hits.length = 0;
  const ok = await oneClickUnsubscribe(`${base}/moved`, { ca });
  assert.equal(ok.url, `${base}/final`);
  assert.deepEqual(
    hits.map((h) => [h.method, h.url, h.body]),
    [
      ['POST', '/moved', 'List-Unsubscribe=One-Click'],
      ['POST', '/final', 'List-Unsubscribe=One-Click'],
    ],
  );
});

test('an error answer says the user may still be subscribed; a silent server times out', async () => {
  answer = (_req, res) => {
    res.writeHead(500);
    res.end();
  };
  await assert.rejects(oneClickUnsubscribe(`${base}/u`, { ca }), /HTTP 500.*still be subscribed/);
  answer = () => undefined; // never answers
  await assert.rejects(
    oneClickUnsubscribe(`${base}/u`, { ca, timeoutMs: 300 }),
    (err) => isMailError(err) && err.kind === 'timeout',
  );
});

test('only https: an http address is refused without a request', async () => {
  await assert.rejects(oneClickUnsubscribe(`http://127.0.0.1:1/u`), /needs an https address/);
});
