/** A login written into a server URL: `nats://user:pass@host` or `nats://token@host`. */
export type UrlLogin = { readonly kind: 'password'; readonly user: string; readonly password: string } | { readonly kind: 'token'; readonly token: string };

/**
 * The login the first of `servers` that carries one holds. nats.js 3 ignores a URL's user and
 * password, so resetd reads them itself and logs in with an authenticator.
 */
export function urlLogin(servers: readonly string[]): UrlLogin | undefined {
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server.includes('://') ? server : `nats://${server}`);
    } catch {
      continue;
    }
    if (url.username === '') continue;
    const user = decodeURIComponent(url.username);
    return url.password === '' ? { kind: 'token', token: user } : { kind: 'password', user, password: decodeURIComponent(url.password) };
  }
  return undefined;
}
