import { z } from 'zod';

const PARSES = 'must parse as a URL: percent-encode special characters in its user and password (/ as %2F, # as %23, ? as %3F, % as %25)';

/** NATS_URL's comma-separated servers. */
export const natsServersOf = (list: string): string[] => list.split(',').map((server) => server.trim()).filter(Boolean);

/**
 * Whether `text` parses as a URL the way a client will read it: a host, a user and password that
 * decode, and no `@` after the host (a `/`, `#` or `?` in the password ends the host early, and
 * the rest of the password, `@` and all, is read as the path, query or fragment).
 */
function parsesWhole(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return false;
  }
  return url.hostname !== '' && !`${url.pathname}${url.search}${url.hash}`.includes('@');
}

/**
 * A variable holding one URL of scheme `scheme` or its TLS form `${scheme}s`. What does not parse
 * is refused here, before a client parses it and fails with the whole URL in its error.
 */
export function urlSetting(scheme: string, article: 'a' | 'an') {
  return z
    .string()
    .regex(new RegExp(`^${scheme}s?://`, 'i'), `must be ${article} ${scheme}:// or ${scheme}s:// URL`)
    .refine(parsesWhole, PARSES);
}

/** A comma-separated list of NATS servers, each a URL, or `host:port` for `nats://host:port`. */
export const natsServerList = z
  .string()
  .refine((text) => natsServersOf(text).length > 0, 'must name at least one NATS server')
  // A login in a server with no scheme is most likely the tail of a password that held a comma.
  .refine((text) => natsServersOf(text).every((server) => (server.includes('://') ? parsesWhole(server) : !server.includes('@') && parsesWhole(`nats://${server}`))), PARSES);
