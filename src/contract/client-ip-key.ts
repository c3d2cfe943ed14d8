import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The address a per-IP limit counts `clientIp` under, so that one address counts once however it
 * is spelled: IPv4 as dotted decimal; an IPv4 address inside IPv6 (`::ffff:198.51.100.77`, or the
 * old `::198.51.100.77` form, written in hex or dotted) as that IPv4 address; any other IPv6
 * address as its network of `ipv6PrefixLength` bits (`2001:db8:1:2::/64`), because one host
 * usually holds a whole /64 and could otherwise take a new address per request.
 * `clientIp` is one the contract's schema accepted; anything else throws.
 */
export function clientIpKey(clientIp: string, ipv6PrefixLength: number): string {
  // Dotted decimal as the schema accepts it (no leading zeros) is already the key: the usual case, parsed for nothing.
  if (isIPv4(clientIp)) return clientIp;
  const address = ipaddr.parse(clientIp);
  if (address.kind() === 'ipv4') return address.toString();
  const bytes = address.toByteArray();
  // ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`, so ::/96 must count as IPv4 too, or its hex
  // spelling `::xxxx:yyyy` would be a second address for the same client.
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && ((bytes[10] === 0xff && bytes[11] === 0xff) || (bytes[10] === 0 && bytes[11] === 0));
  if (mapped) return ipaddr.fromByteArray(bytes.slice(12)).toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${ipv6PrefixLength}`).toString()}/${ipv6PrefixLength}`;
}
