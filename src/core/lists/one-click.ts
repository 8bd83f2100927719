// RFC 8058 one-click unsubscribe: one HTTPS POST whose body is exactly `List-Unsubscribe=One-Click`.
// The request says nothing about the user beyond what the list put in its own URI: no cookies, no
// referrer, no credentials; certificates verified; a redirect is followed only to the same origin
// (307/308 repeat the POST; anything else ends it), so a list cannot bounce the request to a host the
// user was never shown. Bounded in time and in what is read back.
import * as https from 'node:https';
import { MailError } from '../errors';
import { ONE_CLICK_BODY } from './list-headers';

export interface OneClickOptions {
  timeoutMs?: number;
  /** Extra CAs to trust (tests); default: Node's store (plus NODE_EXTRA_CA_CERTS). */
  ca?: string | string[];
}

export interface OneClickResult {
  status: number;
  /** Where the POST that answered went (after same-origin redirects). */
  url: string;
}

const MAX_REDIRECTS = 3;
const MAX_RESPONSE_BYTES = 64 * 1024;

function postOnce(url: URL, opts: OneClickOptions): Promise<{ status: number; location?: string }> {
  const body = Buffer.from(ONE_CLICK_BODY, 'ascii');
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        // Our own agent: no pooled sockets shared with anything else, no proxy patching's cookies.
        agent: new https.Agent({ keepAlive: false, ...(opts.ca ? { ca: opts.ca } : {}) }),
        rejectUnauthorized: true,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': String(body.length),
          'User-Agent': 'Mailroom',
        },
        timeout: opts.timeoutMs ?? 15_000,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy(); // the answer's page is not needed
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends the one-click POST to `target` (an https URL from parseListHeaders). */
export async function oneClickUnsubscribe(target: string, opts: OneClickOptions = {}): Promise<OneClickResult> {
  let url = new URL(target);
  if (url.protocol !== 'https:') throw new MailError('malformed', 'One-click unsubscribe needs an https address.');
  const timeout = opts.timeoutMs ?? 15_000;
  for (let hop = 0; ; hop++) {
    let answer: { status: number; location?: string };
    try {
      answer = await postOnce(url, opts);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const timedOut = e.message === 'timeout';
      const cert = !!e.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(e.code);
      const why = timedOut
        ? `it did not answer within ${Math.round(timeout / 1000)} s`
        : cert
          ? `its certificate is not trusted (${e.code})`
          : e.message;
      throw new MailError(
        timedOut ? 'timeout' : cert ? 'certUntrusted' : 'connectionRefused',
        `The list's unsubscribe server ${url.host} could not be reached: ${why}. You are still subscribed.`,
      );
    }
    const { status, location } = answer;
    if (status >= 200 && status < 300) return { status, url: url.toString() };
    if ((status === 307 || status === 308) && location && hop < MAX_REDIRECTS) {
      const next = new URL(location, url);
      if (next.origin !== url.origin)
        throw new MailError(
          'unsupported',
          `The list's unsubscribe server ${url.host} sent the request on to another host (${next.host}); Mailroom did not follow it. Try the list's web page instead.`,
        );
      url = next;
      continue;
    }
    throw new MailError(
      'server',
      `The list's unsubscribe server ${url.host} answered HTTP ${status}${status >= 300 && status < 400 ? ' (a redirect Mailroom does not follow)' : ''}: you may still be subscribed.`,
    );
  }
}
