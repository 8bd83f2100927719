// After a certificate failure the TLS socket is gone and with it the certificate. To tell the
// user *which* certificate was refused (fingerprint, subject, issuer), this probe fetches it once
// more. It only completes a handshake and reads the certificate: it sends no credentials, no IMAP
// command beyond STARTTLS, and closes at once. Nothing is ever trusted because of it.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface CertificateInfo {
  fingerprint256: string;
  subject: string;
  issuer: string;
  altNames: string;
  validTo: string;
  selfSigned: boolean;
}

export function describeCertificate(cert: PeerCertificate): CertificateInfo {
  const cn = (x: Record<string, unknown> | undefined) => String(x?.CN ?? x?.O ?? '?');
  return {
    fingerprint256: cert.fingerprint256,
    subject: cn(cert.subject as unknown as Record<string, unknown>),
    issuer: cn(cert.issuer as unknown as Record<string, unknown>),
    altNames: cert.subjectaltname ?? '',
    validTo: cert.valid_to,
    selfSigned:
      cert.fingerprint256 ===
      (cert as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate?.fingerprint256,
  };
}

function readLine(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error('timeout')), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      const i = buf.indexOf('\r\n');
      if (i >= 0) done(undefined, buf.slice(0, i));
    };
    const onError = (err: Error) => done(err);
    function done(err?: Error, line?: string) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      if (err) reject(err);
      else resolve(line!);
    }
    socket.on('data', onData);
    socket.on('error', onError);
  });
}

export async function probeCertificate(
  host: string,
  port: number,
  startTls: boolean,
  timeoutMs = 5000,
): Promise<CertificateInfo | undefined> {
  let plain: Socket | undefined;
  let secure: TLSSocket | undefined;
  try {
    if (startTls) {
      plain = netConnect({ host, port });
      await readLine(plain, timeoutMs); // greeting
      plain.write('P1 STARTTLS\r\n');
      const answer = await readLine(plain, timeoutMs);
      if (!/^P1 OK/i.test(answer)) return undefined;
    }
    const servername = /^[\d.]+$|:/.test(host) ? undefined : host;
    const socket = tlsConnect({
      ...(plain ? { socket: plain } : { host, port }),
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false, // tls-opt-in: diagnostic probe, reads the certificate only, sends nothing
    });
    secure = socket;
    return await new Promise<CertificateInfo | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const cert = socket.getPeerCertificate(true);
        resolve(cert && cert.fingerprint256 ? describeCertificate(cert) : undefined);
      });
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  } catch {
    return undefined;
  } finally {
    secure?.destroy();
    plain?.destroy();
  }
}
