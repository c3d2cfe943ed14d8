import { describe, expect, it } from 'vitest';
import { useRunningService } from '../support/running-service.js';

/**
 * The per-IP limit through NATS, as configured from the environment: 3 an hour, IPv6 counted per /48.
 * Each request is another user's, so only the per-IP limit can refuse it.
 */
describe('per-IP limits count addresses, not spellings', () => {
  const world = useRunningService('addresses', { env: () => ({ RATE_IP_PER_HOUR: '3', RATE_IPV6_PREFIX: '48' }) });

  /** The type of the outcome of one request from `clientIp`. */
  async function outcomeFrom(clientIp: string, n: number): Promise<string> {
    const { client, prefix } = world;
    const resetId = await client.requestReset({ userId: `u-${prefix}-${n}`, email: `addr${n}@example.com`, clientIp });
    const events = await client.waitForEvents((all) => all.some((event) => event.data.resetId === resetId));
    return events.find((event) => event.data.resetId === resetId)!.type;
  }

  it('counts spellings of one IPv6 address, and other addresses of its /48, as one; another /48 and an IPv4 address each have their own', async () => {
    const spellings = ['2001:db8:5::7', '2001:DB8:5:0:0:0:0:7', '2001:0db8:0005:0000:0000:0000:0000:0007', '2001:db8:5:ffff::1'];
    const outcomes = [];
    for (const [n, clientIp] of spellings.entries()) outcomes.push(await outcomeFrom(clientIp, n));
    expect(outcomes).toEqual(['reset.code.sent', 'reset.code.sent', 'reset.code.sent', 'reset.rejected']);
    const refused = world.client.events.find((e) => e.type === 'reset.rejected');
    expect(refused?.data).toMatchObject({ reason: 'rate_limited', detail: expect.stringContaining('ip-hour') });

    expect(await outcomeFrom('2001:db8:6::7', 10)).toBe('reset.code.sent');
    const ipv4 = ['198.51.100.77', '::ffff:198.51.100.77', '::FFFF:c633:644d', '198.51.100.77'];
    const ipv4Outcomes = [];
    for (const [n, clientIp] of ipv4.entries()) ipv4Outcomes.push(await outcomeFrom(clientIp, 20 + n));
    expect(ipv4Outcomes).toEqual(['reset.code.sent', 'reset.code.sent', 'reset.code.sent', 'reset.rejected']);
  });
});
