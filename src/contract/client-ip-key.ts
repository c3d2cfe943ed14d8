import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The address a per-IP limit counts `clientIp` under, so that one address counts once however it
 * is spelled: IPv4 as dotted decimal; an IPv4-mapped IPv6 address (::ffff:0:0/96, such as
 * `::ffff:198.51.100.77` or `::FFFF:c633:644d`) as that IPv4 address; any other IPv6 address, the
 * deprecated IPv4-compatible `::198.51.100.77` and `::1` included, as its network of
 * `ipv6PrefixLength` bits (`2001:db8:1:2::/64`), because one host usually holds a whole /64 and
 * could otherwise take a new address per request.
 * `clientIp` is one the contract's schema accepted; anything else throws.
 */
export function clientIpKey(clientIp: string, ipv6PrefixLength: number): string {
  // Dotted decimal as the schema accepts it (no leading zeros) is already the key: the usual case, parsed for nothing.
  if (isIPv4(clientIp)) return clientIp;
  // The URL parser, which the schema's IPv6 check uses too, writes any spelling in hex
  // (`::1.2.3.4` → `[::102:304]`): ipaddr.js would read `::a.b.c.d` as the mapped `::ffff:a.b.c.d`.
  const address = ipaddr.IPv6.parse(new URL(`http://[${clientIp}]`).hostname.slice(1, -1));
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${ipv6PrefixLength}`).toString()}/${ipv6PrefixLength}`;
}
