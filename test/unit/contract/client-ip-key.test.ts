import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { clientIpKey } from '../../../src/contract/client-ip-key.js';
import { decodeInbound } from '../../../src/adapters/nats/decode-inbound.js';
import { resetRequestedData } from '../../../src/contract/schemas.js';

const key = (clientIp: string, prefix = 64) => clientIpKey(clientIp, prefix);

describe('clientIpKey: the address a per-IP limit counts', () => {
  it.each([
    ['2001:db8::7', '2001:DB8::7', '2001:db8:0:0:0:0:0:7', '2001:0db8:0000:0000:0000:0000:0000:0007', '2001:db8::0:7'],
    ['198.51.100.77', '::ffff:198.51.100.77', '::FFFF:c633:644d', '0:0:0:0:0:ffff:198.51.100.77', '::198.51.100.77', '::c633:644d'],
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

  it('is given only what the schema accepted: odd forms are rejected there, the detail naming the field', () => {
    // Zone ids, octal, hex and short IPv4, CIDR, brackets, spaces: ipaddr.js reads several of these, the contract does not.
    const odd = ['fe80::1%eth0', 'fe80::1%25eth0', '010.0.0.1', '127.1', '0x7f.0.0.1', '1.2.3', '2001:db8::7/64', '[2001:db8::7]', ' 198.51.100.77', '2001:db8::00007', '256.0.0.1'];
    for (const clientIp of odd) {
      const event = { specversion: '1.0', id: 'e-1', source: 'urn:test', type: 'reset.requested', data: { userId: 'u-1', email: 'a@example.com', clientIp } };
      const decoded = decodeInbound('reset.requested', new TextEncoder().encode(JSON.stringify(event)), '1');
      expect(decoded.kind === 'invalid' && decoded.rejection.data, clientIp).toMatchObject({ reason: 'invalid_request', detail: 'The field data.clientIp must be an IPv4 or IPv6 address.' });
    }
  });

  it('gives every address the schema accepts one key, whatever its spelling', () => {
    const accepted = (clientIp: string) => resetRequestedData.safeParse({ userId: 'u-1', email: 'a@example.com', clientIp }).success;
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.ipV4(), fc.ipV4Extended()), fc.integer({ min: 1, max: 128 }), (clientIp, prefix) => {
        if (!accepted(clientIp)) return;
        // The same address, written out in full and in capitals.
        const full = ipaddr.parse(clientIp);
        const spellings = [clientIp, clientIp.toUpperCase(), full.kind() === 'ipv6' ? (full as ipaddr.IPv6).parts.map((part) => part.toString(16).padStart(4, '0')).join(':') : full.toString()];
        expect(new Set(spellings.filter(accepted).map((spelling) => clientIpKey(spelling, prefix))).size).toBe(1);
      }),
      { numRuns: 2_000 },
    );
  });
});
