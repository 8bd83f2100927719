// Whether a host name is this machine: the one case where "security": "plain" may go without a
// warning (the password never leaves the machine). Anything else that travels in clear needs the
// person's explicit yes, naming the host.
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';

export function isThisMachine(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4 && h.startsWith('127.')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1' || h === '::ffff:127.0.0.1') return true;
  if (isIP(h)) {
    for (const list of Object.values(networkInterfaces()))
      for (const addr of list ?? []) if (addr.address.toLowerCase() === h) return true;
    return false;
  }
  // This machine's own name resolves here too; a name that merely resolves to a loopback address
  // elsewhere (/etc/hosts tricks) is not trusted without a lookup the person cannot see.
  return h === hostname().toLowerCase();
}
