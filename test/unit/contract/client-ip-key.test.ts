import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientIpKey } from '../../../src/contract/client-ip-key.js';
import { decodeInbound } from '../../../src/adapters/nats/decode-inbound.js';
import { resetRequestedData } from '../../../src/contract/schemas.js';

const key = (clientIp: string, prefix = 64) => clientIpKey(clientIp, prefix);
const accepted = (clientIp: string) => resetRequestedData.safeParse({ userId: 'u-1', email: 'a@example.com', clientIp }).success;

/**
 * The eight 16-bit groups of an IPv6 address, read here and not by ipaddr.js: its parser reads the
 * IPv4-compatible `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d`, the mistake these tests guard against.
 */
function groupsOf(address: string): number[] {
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
    [Number(a) * 256 + Number(b), Number(c) * 256 + Number(d)].map((group) => group.toString(16)).join(':'),
  );
  const read = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const [head = '', tail] = hex.split('::');
  if (tail === undefined) return read(head);
  const [left, right] = [read(head), read(tail)];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** IPv6 spellings the generic generator rarely makes: an IPv4 address inside ::ffff:0:0/96, ::/96 and their neighbours. */
const embeddedIpv4 = fc
  .tuple(fc.constantFrom('::', '::ffff:', '::FFFF:', '0:0:0:0:0:ffff:', '0000:0000:0000:0000:0000:FFFF:', '::0:ffff:', '::ffff:0:', '64:ff9b::', '::1:'), fc.ipV4(), fc.boolean())
  .map(([head, ipv4, hex]) => {
    if (!hex) return `${head}${ipv4}`;
    const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
    return `${head}${(a * 256 + b).toString(16).padStart(4, '0')}:${(c * 256 + d).toString(16)}`;
  });

describe('clientIpKey: the address a per-IP limit counts', () => {
  it.each([
    ['2001:db8::7', '2001:DB8::7', '2001:db8:0:0:0:0:0:7', '2001:0db8:0000:0000:0000:0000:0000:0007', '2001:db8::0:7'],
    ['198.51.100.77', '::ffff:198.51.100.77', '::FFFF:c633:644d', '0:0:0:0:0:ffff:198.51.100.77', '0000:0000:0000:0000:0000:FFFF:C633:644D', '::0:ffff:198.51.100.77'],
    // IPv4-compatible (deprecated, RFC 4291 2.5.5.1): an IPv6 address like any other, however written.
    ['::198.51.100.77', '::c633:644d', '0:0:0:0:0:0:198.51.100.77', '::0:198.51.100.77', '::C633:644D'],
  ])('counts every spelling of %s as one', (...spellings) => {
    expect(new Set(spellings.map((spelling) => key(spelling))).size).toBe(1);
  });

  it('keeps IPv4 per address and names IPv6 by its network and prefix', () => {
    expect([key('198.51.100.77'), key('198.51.100.78')]).toEqual(['198.51.100.77', '198.51.100.78']);
    expect(key('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(key('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(key('2001:db8:1:2::7', 128)).toBe('2001:db8:1:2::7/128');
    expect(key('2001:db8:1:2::7', 48)).toBe('2001:db8:1::/48');
  });

  it('counts only ::ffff:0:0/96 as IPv4: ::/96 (::1, ::, ::a.b.c.d) is counted per network like any IPv6 address', () => {
    expect(key('::ffff:0.0.0.1')).toBe('0.0.0.1');
    expect([key('::1'), key('::'), key('::2'), key('::198.51.100.77')]).toEqual(['::/64', '::/64', '::/64', '::/64']);
    expect([key('::1', 128), key('::2', 128), key('::', 128)]).toEqual(['::1/128', '::2/128', '::/128']);
    expect(key('::198.51.100.77', 128)).toBe('::c633:644d/128');
    // Neighbouring ranges that also hold an IPv4 address are not mapped addresses either.
    expect(key('::ffff:0:198.51.100.77', 128)).toBe('::ffff:0:c633:644d/128');
    expect(key('64:ff9b::198.51.100.77')).toBe('64:ff9b::/64');
  });

  it('is given only what the schema accepted: odd forms are rejected there, the detail naming the field', () => {
    // Zone ids, octal, hex and short IPv4, CIDR, brackets, spaces: ipaddr.js reads several of these, the contract does not.
    const odd = ['fe80::1%eth0', 'fe80::1%25eth0', '010.0.0.1', '127.1', '0x7f.0.0.1', '1.2.3', '2001:db8::7/64', '[2001:db8::7]', ' 198.51.100.77', '2001:db8::00007', '256.0.0.1'];
    for (const clientIp of odd) {
      const event = { specversion: '1.0', id: 'e-1', source: 'urn:test', type: 'reset.requested', data: { userId: 'u-1', email: 'a@example.com', clientIp } };
      const decoded = decodeInbound('reset.requested', new TextEncoder().encode(JSON.stringify(event)), '1');
      expect(decoded.kind === 'invalid' && decoded.rejection.data, clientIp).toMatchObject({ reason: 'invalid_request', detail: 'The field data.clientIp must be an IPv4 or IPv6 address.' });
    }
  });

  const anyAddress = fc.oneof(fc.ipV6(), fc.ipV4(), fc.ipV4Extended(), embeddedIpv4);

  it('gives every address the schema accepts one key, whatever its spelling', () => {
    fc.assert(
      fc.property(anyAddress, fc.integer({ min: 1, max: 128 }), (clientIp, prefix) => {
        if (!accepted(clientIp)) return;
        // The same address, written out in full and in capitals.
        const full = clientIp.includes(':') ? groupsOf(clientIp).map((group) => group.toString(16).padStart(4, '0')).join(':') : clientIp;
        const spellings = [clientIp, clientIp.toUpperCase(), full];
        expect(new Set(spellings.filter(accepted).map((spelling) => clientIpKey(spelling, prefix))).size).toBe(1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('counts an IPv6 address as IPv4 exactly when it is in ::ffff:0:0/96, and as its network otherwise', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), embeddedIpv4), fc.integer({ min: 1, max: 128 }), (clientIp, prefix) => {
        if (!accepted(clientIp)) return;
        const groups = groupsOf(clientIp);
        const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
        const ipv4 = groups.slice(6).flatMap((group) => [group >> 8, group & 0xff]).join('.');
        if (mapped) expect(key(clientIp, prefix)).toBe(ipv4);
        else expect(key(clientIp, prefix)).toMatch(new RegExp(`^[0-9a-f:]+/${prefix}$`));
      }),
      { numRuns: 2_000 },
    );
  });
});
