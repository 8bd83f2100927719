// The HTTP transport of the OAuth client: node:https (which VS Code equips with its proxy and
// system-certificate support) instead of the global fetch, so that the account's own CA can be
// trusted next to the public roots, exactly as for IMAP. Verification always stays on; a
// response is capped in size because an authorization server's answer is a small JSON document.
import { request } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { CustomFetch } from 'openid-client';

const MAX_RESPONSE_BYTES = 1 << 20;

export interface OAuthHttpOptions {
  /** PEM of an extra CA to trust (the account's caFile). */
  ca?: string;
}

export function oauthFetch(opts: OAuthHttpOptions = {}): CustomFetch {
  let secureContext: SecureContext | undefined;
  if (opts.ca) secureContext = createSecureContext({ ca: [...rootCertificates, opts.ca], minVersion: 'TLSv1.2' });
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`refusing a plain-text request to ${target.host}: OAuth endpoints must use https`));
        return;
      }
      const body = options.body === undefined || options.body === null ? undefined : bodyText(options.body);
      const req = request(
        target,
        {
          method: options.method,
          headers: {
            ...options.headers,
            ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
          },
          minVersion: 'TLSv1.2',
          ...(secureContext ? { secureContext } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              res.destroy(new Error(`the answer of ${target.host} is larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
                headers.append(name, v);
            }
            const status = res.statusCode ?? 0;
            const empty = status === 204 || status === 304 || options.method === 'HEAD';
            resolve(
              new Response(empty ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? '',
                headers,
              }),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString('utf8');
  throw new TypeError('unsupported request body');
}
