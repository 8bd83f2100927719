// Which way a window signs in. A desktop window on the user's machine: the browser and a loopback
// redirect (RFC 8252), always. A remote window (SSH, container, code-server): the loopback
// listener runs where the extension host runs, which the user's browser may not reach. VS Code
// can map the address (`env.asExternalUri`: a port forward), and that mapped address is usable
// only if it is still a loopback redirect of the same shape, because providers accept loopback
// redirect URIs on any port (RFC 8252 7.3) but nothing else that was not registered (a code-server
// "/proxy/<port>/" path is refused). Otherwise the device code (RFC 8628) when the provider
// offers it, else the unmapped loopback, which works when the browser runs on the same machine.

export type SignInRoute =
  | { kind: 'browser'; redirect: 'loopback' | 'mapped' }
  | { kind: 'deviceCode' }
  /** The unmapped loopback in a remote window: may fail if the browser is elsewhere; say so. */
  | { kind: 'browser'; redirect: 'loopback'; remoteCaveat: true };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `mapped` (what asExternalUri made of `loopback`) can stand as the redirect URI. */
export function usableMappedRedirect(loopback: string, mapped: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(loopback);
    b = new URL(mapped);
  } catch {
    return false;
  }
  return (
    b.protocol === 'http:' &&
    LOOPBACK_HOSTS.has(b.hostname) &&
    b.pathname === a.pathname &&
    b.search === '' &&
    b.hash === '' &&
    b.username === '' &&
    b.password === ''
  );
}

/** After a remote window's mapping was tried (`mappedUsable`), what to do. */
export function remoteFallback(supportsDeviceCode: boolean): SignInRoute {
  return supportsDeviceCode ? { kind: 'deviceCode' } : { kind: 'browser', redirect: 'loopback', remoteCaveat: true };
}
