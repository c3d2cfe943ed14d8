import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentAuditContext, withAuditScope } from '../../src/adapters/audit/audit-context.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { defaultPolicy, type RateRule } from '../../src/domain/policy.js';
import type { RateRequest } from '../../src/domain/ports.js';
import { openTestRedis, PinnedTime, type TestRedis } from '../support/redis.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2025, 0, 1, 12);
const IP = '203.0.113.7';

const perUser = (limit: number): RateRule => ({ name: 'user-hour', scope: 'user', limit, windowMs: HOUR });
const perIp = (limit: number): RateRule => ({ name: 'ip-hour', scope: 'ip', limit, windowMs: HOUR });
const everyone = (limit: number): RateRule => ({ name: 'global-hour', scope: 'global', limit, windowMs: HOUR });

const aRequest = (overrides: Partial<RateRequest> = {}): RateRequest => ({ resetId: 'r-1', userId: 'u-1', clientIp: IP, ...overrides });

describe('RedisRateLimiter', () => {
  let redis: TestRedis;
  let limiter: RedisRateLimiter;
  /** The scripts' clock, pinned so that a test moves time in steps; `one-clock.test.ts` runs on Redis's own. */
  let time: PinnedTime;
  const key = (suffix: string) => `${redis.prefix}:${suffix}`;
  /** Runs `step` at `instant` by the scripts' clock. */
  const at = <T>(instant: number, step: () => Promise<T>): Promise<T> => {
    time.now = instant;
    return step();
  };

  beforeEach(async () => {
    redis = await openTestRedis();
    time = new PinnedTime(NOW);
    limiter = new RedisRateLimiter(redis.client, redis.prefix, 64, time);
  });

  afterEach(async () => {
    await redis.close();
  });

  /** `count` admissions in parallel, alternating between this limiter and one on a second client. */
  async function admitInParallel(count: number, request: (i: number) => RateRequest, rules: readonly RateRule[]) {
    const other = new RedisRateLimiter(redis.connect(), redis.prefix, 64, time);
    return Promise.all(
      Array.from({ length: count }, (_, i) => (i % 2 === 0 ? limiter : other).admit(request(i), rules, 0)),
    );
  }

  it('admits a request and counts it under every rule and the cooldown', async () => {
    expect(await limiter.admit(aRequest(), defaultPolicy.rateRules, MINUTE)).toEqual({ kind: 'admitted' });
    expect(await redis.client.get(key('user:{u-1}:cooldown'))).toBe('r-1');
    for (const suffix of ['user:{u-1}:rl:user-hour', 'user:{u-1}:rl:user-day', `ip:{${IP}}:rl:ip-hour`, 'global:{global}:rl:global-hour']) {
      expect(await redis.client.zrange(key(suffix), 0, -1, 'WITHSCORES'), suffix).toEqual(['r-1', String(NOW)]);
    }
  });

  it('refuses another reset of the user during the cooldown, with the time it has left', async () => {
    await limiter.admit(aRequest(), [perUser(5)], MINUTE);
    const refusal = await limiter.admit(aRequest({ resetId: 'r-2' }), [perUser(5)], MINUTE);
    const left = await redis.client.pttl(key('user:{u-1}:cooldown'));
    expect(refusal).toMatchObject({ kind: 'refused', reason: 'cooldown', rule: 'cooldown' });
    expect(refusal.kind === 'refused' && refusal.retryAfterMs).toBeGreaterThanOrEqual(left);
    expect(refusal.kind === 'refused' && refusal.retryAfterMs).toBeLessThanOrEqual(MINUTE);
    expect(await redis.client.zcard(key('user:{u-1}:rl:user-hour'))).toBe(1);
  });

  it('admits the same reset again for free, in the cooldown and at the limit', async () => {
    expect(await limiter.admit(aRequest(), [perUser(1)], MINUTE)).toEqual({ kind: 'admitted' });
    expect(await at(NOW + 1_000, () => limiter.admit(aRequest(), [perUser(1)], MINUTE))).toEqual({ kind: 'admitted' });
    await redis.client.del(key('user:{u-1}:cooldown'));
    expect(await at(NOW + 2_000, () => limiter.admit(aRequest({ resetId: 'r-2' }), [perUser(1)], 0))).toMatchObject({ reason: 'rate_limited' });
    expect(await at(NOW + 3_000, () => limiter.admit(aRequest(), [perUser(1)], 0))).toEqual({ kind: 'admitted' });
    expect(await redis.client.zrange(key('user:{u-1}:rl:user-hour'), 0, -1, 'WITHSCORES')).toEqual(['r-1', String(NOW)]);
  });

  it('holds a per-user limit across two instances', async () => {
    const answers = await admitInParallel(20, (i) => aRequest({ resetId: `r-${i}` }), [perUser(5)]);
    expect(answers.filter((answer) => answer.kind === 'admitted')).toHaveLength(5);
    expect(answers.filter((answer) => answer.kind === 'refused' && answer.rule === 'user-hour')).toHaveLength(15);
    expect(await redis.client.zcard(key('user:{u-1}:rl:user-hour'))).toBe(5);
  });

  it('holds a per-IP limit across two instances', async () => {
    const answers = await admitInParallel(20, (i) => aRequest({ resetId: `r-${i}`, userId: `u-${i}` }), [perUser(5), perIp(3)]);
    expect(answers.filter((answer) => answer.kind === 'admitted')).toHaveLength(3);
    expect(answers.filter((answer) => answer.kind === 'refused' && answer.rule === 'ip-hour')).toHaveLength(17);
  });

  it('holds a global limit across two instances', async () => {
    const answers = await admitInParallel(
      20,
      (i) => aRequest({ resetId: `r-${i}`, userId: `u-${i}`, clientIp: `198.51.100.${i}` }),
      [perUser(5), perIp(20), everyone(4)],
    );
    expect(answers.filter((answer) => answer.kind === 'admitted')).toHaveLength(4);
    expect(answers.filter((answer) => answer.kind === 'refused' && answer.rule === 'global-hour')).toHaveLength(16);
  });

  it('slides the window: a slot frees when its oldest admission leaves it', async () => {
    const rules = [perUser(2)];
    await limiter.admit(aRequest({ resetId: 'r-1' }), rules, 0);
    await at(NOW + 10 * MINUTE, () => limiter.admit(aRequest({ resetId: 'r-2' }), rules, 0));
    expect(await at(NOW + 20 * MINUTE, () => limiter.admit(aRequest({ resetId: 'r-3' }), rules, 0))).toEqual({
      kind: 'refused',
      reason: 'rate_limited',
      rule: 'user-hour',
      retryAfterMs: 40 * MINUTE,
    });
    // A new request once the slot is free is admitted; r-3 itself stays refused (see remembered refusals).
    expect(await at(NOW + HOUR, () => limiter.admit(aRequest({ resetId: 'r-3b' }), rules, 0))).toEqual({ kind: 'admitted' });
    expect(await at(NOW + HOUR + 1, () => limiter.admit(aRequest({ resetId: 'r-4' }), rules, 0))).toEqual({
      kind: 'refused',
      reason: 'rate_limited',
      rule: 'user-hour',
      retryAfterMs: 10 * MINUTE - 1,
    });
  });

  it('counts a refused request against nothing', async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    await limiter.admit(aRequest(), rules, MINUTE);
    expect(await limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2' }), rules, MINUTE)).toMatchObject({
      kind: 'refused',
      rule: 'ip-hour',
    });
    expect(await redis.client.exists(key('user:{u-2}:rl:user-hour'), key('user:{u-2}:cooldown'))).toBe(0);
    expect(await redis.client.zcard(key('global:{global}:rl:global-hour'))).toBe(1);
    expect(await limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2', clientIp: '198.51.100.1' }), rules, MINUTE)).toEqual({
      kind: 'admitted',
    });
  });

  it('releases the user and IP reservations when the global layer refuses: their windows and the cooldown are as before', async () => {
    const rules = [perUser(5), perIp(5), everyone(1)];
    await limiter.admit(aRequest({ resetId: 'r-0', userId: 'u-0', clientIp: '198.51.100.1' }), rules, MINUTE);
    await limiter.admit(aRequest({ resetId: 'r-1' }), [perUser(5), perIp(5)], 0);
    const windows = async () => ({
      user: await redis.client.zrange(key('user:{u-1}:rl:user-hour'), 0, -1, 'WITHSCORES'),
      ip: await redis.client.zrange(key(`ip:{${IP}}:rl:ip-hour`), 0, -1, 'WITHSCORES'),
      cooldown: await redis.client.get(key('user:{u-1}:cooldown')),
      global: await redis.client.zrange(key('global:{global}:rl:global-hour'), 0, -1),
    });
    const before = await windows();
    expect(before).toEqual({ user: ['r-1', String(NOW)], ip: ['r-1', String(NOW)], cooldown: null, global: ['r-0'] });

    const refusal = await at(NOW + 1_000, () => limiter.admit(aRequest({ resetId: 'r-2' }), rules, MINUTE));
    expect(refusal).toMatchObject({ kind: 'refused', reason: 'rate_limited', rule: 'global-hour' });
    expect(await windows()).toEqual(before);
  });

  it("leaves another layer's window as it was when one layer refuses", async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    await limiter.admit(aRequest(), rules, 0);
    expect(await limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2' }), rules, 0)).toMatchObject({ rule: 'ip-hour' });
    expect(await redis.client.zrange(key('global:{global}:rl:global-hour'), 0, -1)).toEqual(['r-1']);
  });

  it('completes an admission cut off between layers, counting each layer once', async () => {
    const rules = [perUser(5), perIp(5), everyone(5)];
    // A first try reserved the user's and the IP's layers, then the process died.
    await limiter.admit(aRequest(), [perUser(5), perIp(5)], MINUTE);
    expect(await at(NOW + 1_000, () => limiter.admit(aRequest(), rules, MINUTE))).toEqual({ kind: 'admitted' });
    for (const suffix of ['user:{u-1}:rl:user-hour', `ip:{${IP}}:rl:ip-hour`, 'global:{global}:rl:global-hour']) {
      expect(await redis.client.zcard(key(suffix)), suffix).toBe(1);
    }
  });

  it('undoes a cut-off admission that is refused when tried again', async () => {
    await limiter.admit(aRequest({ resetId: 'r-0', userId: 'u-0', clientIp: '198.51.100.1' }), [everyone(1)], 0);
    await limiter.admit(aRequest(), [perUser(5), perIp(5)], MINUTE);
    expect(await at(NOW + 1_000, () => limiter.admit(aRequest(), [perUser(5), perIp(5), everyone(1)], MINUTE))).toMatchObject({ rule: 'global-hour' });
    expect(await redis.client.exists(key('user:{u-1}:rl:user-hour'), key(`ip:{${IP}}:rl:ip-hour`), key('user:{u-1}:cooldown'))).toBe(0);
  });

  it('holds every layer under parallel requests: never more admitted than the tightest limit allows', async () => {
    const answers = await admitInParallel(
      40,
      (i) => aRequest({ resetId: `r-${i}`, userId: `u-${i % 8}`, clientIp: `198.51.100.${i % 4}` }),
      [perUser(2), perIp(3), everyone(10)],
    );
    const admitted = answers.filter((answer) => answer.kind === 'admitted').length;
    expect(admitted).toBeLessThanOrEqual(10);
    expect(admitted).toBeGreaterThan(0);
    expect(await redis.client.zcard(key('global:{global}:rl:global-hour'))).toBe(admitted);
    let ipCount = 0;
    for (let ip = 0; ip < 4; ip += 1) ipCount += await redis.client.zcard(key(`ip:{198.51.100.${ip}}:rl:ip-hour`));
    let userCount = 0;
    for (let user = 0; user < 8; user += 1) userCount += await redis.client.zcard(key(`user:{u-${user}}:rl:user-hour`));
    expect({ ipCount, userCount }).toEqual({ ipCount: admitted, userCount: admitted });
  });

  it('limits a request without a client IP per user and globally only', async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    for (const userId of ['u-1', 'u-2']) {
      expect(await limiter.admit({ resetId: `r-${userId}`, userId }, rules, MINUTE)).toEqual({ kind: 'admitted' });
    }
    expect((await redis.keys()).filter((each) => each.includes(':ip:'))).toEqual([]);
  });

  describe('client addresses, not spellings', () => {
    const rules = [perIp(20)];
    /** Admits one request per address, each of its own user and reset; returns how many were admitted. */
    const admitFrom = async (addresses: readonly string[], tag: string) => {
      let admitted = 0;
      for (const [i, clientIp] of addresses.entries()) {
        const answer = await limiter.admit(aRequest({ resetId: `${tag}-${i}`, userId: `${tag}-u-${i}`, clientIp }), rules, 0);
        if (answer.kind === 'admitted') admitted += 1;
      }
      return admitted;
    };

    it('counts every spelling of one IPv6 address as that address: 20 of 100, in five spellings', async () => {
      const spellings = ['2001:db8::7', '2001:DB8::7', '2001:db8:0:0:0:0:0:7', '2001:0db8:0000:0000:0000:0000:0000:0007', '2001:db8::0:7'];
      expect(await admitFrom(spellings.flatMap((spelling) => Array<string>(20).fill(spelling)), 'six')).toBe(20);
      expect(await redis.client.zcard(key('ip:{2001:db8::/64}:rl:ip-hour'))).toBe(20);
    });

    it('counts an IPv4-mapped IPv6 address with its IPv4 address', async () => {
      expect(await admitFrom(Array<string>(20).fill('198.51.100.77'), 'four')).toBe(20);
      expect(await admitFrom(['::ffff:198.51.100.77', '::FFFF:c633:644d', '::198.51.100.77'], 'mapped')).toBe(0);
      expect(await redis.client.zcard(key('ip:{198.51.100.77}:rl:ip-hour'))).toBe(20);
    });

    it('counts the addresses of one /64 together and admits another /64', async () => {
      const oneNetwork = Array.from({ length: 100 }, (_, i) => `2001:db8:1:2:${(i + 1).toString(16)}::${i}`);
      expect(await admitFrom(oneNetwork, 'net')).toBe(20);
      expect(await admitFrom(['2001:db8:1:3::1'], 'next')).toBe(1);
    });

    it('counts IPv6 per the prefix it is given', async () => {
      const per48 = new RedisRateLimiter(redis.client, redis.prefix, 48, time);
      const answers = await Promise.all(
        ['2001:db8:1:2::1', '2001:db8:1:3::1'].map((clientIp, i) => per48.admit(aRequest({ resetId: `p-${i}`, userId: `p-u-${i}`, clientIp }), [perIp(1)], 0)),
      );
      expect(answers.filter((answer) => answer.kind === 'admitted')).toHaveLength(1);
      expect(await redis.client.zcard(key('ip:{2001:db8:1::/48}:rl:ip-hour'))).toBe(1);
    });

    it('tells the audit the address it counted, beside the one given', async () => {
      const noted = await withAuditScope(async () => {
        await limiter.admit(aRequest({ clientIp: '2001:0DB8:0:0:1::9' }), rules, 0);
        return currentAuditContext();
      });
      expect(noted).toMatchObject({ clientIpKey: '2001:db8::/64' });
    });
  });

  describe('remembered refusals', () => {
    const DAY = 24 * HOUR;

    it('refuses a refused reset again with its first answer, even once the limit has room, for at least the memory given', async () => {
      await limiter.admit(aRequest(), [perIp(1)], 0, DAY);
      const first = await at(NOW + MINUTE, () => limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2' }), [perIp(1)], 0, DAY));
      expect(first).toEqual({ kind: 'refused', reason: 'rate_limited', rule: 'ip-hour', retryAfterMs: HOUR - MINUTE });
      // The window has moved on: a new reset is admitted, the refused one is still refused, as it was.
      expect(await at(NOW + 2 * HOUR, () => limiter.admit(aRequest({ resetId: 'r-3', userId: 'u-3' }), [perIp(1)], 0, DAY))).toEqual({ kind: 'admitted' });
      expect(await at(NOW + DAY + MINUTE, () => limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2' }), [perIp(5)], 0, DAY))).toEqual(first);
      expect(await at(NOW + 3 * DAY, () => limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2' }), [perIp(5)], 0, DAY))).toEqual({ kind: 'admitted' });
    });

    it("repeats a refusal's first answer even when another layer refuses the repeat too", async () => {
      const rules = [perUser(5), perIp(1)];
      await limiter.admit(aRequest({ resetId: 'r-0', userId: 'u-0' }), rules, MINUTE, DAY);
      const first = await at(NOW + 1_000, () => limiter.admit(aRequest(), rules, MINUTE, DAY));
      expect(first).toMatchObject({ kind: 'refused', reason: 'rate_limited', rule: 'ip-hour' });
      // Meanwhile another reset of the user, from another IP, holds the user's cooldown.
      expect(await at(NOW + 2_000, () => limiter.admit(aRequest({ resetId: 'r-9', clientIp: '198.51.100.9' }), rules, MINUTE, DAY))).toEqual({ kind: 'admitted' });
      expect(await at(NOW + 3_000, () => limiter.admit(aRequest(), rules, MINUTE, DAY))).toEqual(first);
    });

    it('keeps a flood of refusals as one small field each in one hash per subject and period, and counts none of them', async () => {
      await limiter.admit(aRequest(), [perIp(1)], 0);
      const before = await redis.keys();
      for (let i = 0; i < 300; i += 1) {
        const answer = await at(NOW + i, () => limiter.admit(aRequest({ resetId: `flood-${i}`, userId: `u-flood-${i}` }), [perUser(5), perIp(1)], MINUTE));
        expect(answer).toMatchObject({ kind: 'refused', rule: 'ip-hour' });
      }
      const added = (await redis.keys()).filter((each) => !before.includes(each));
      expect(added).toEqual([key(`ip:{${IP}}:refused:${Math.floor(NOW / DAY)}`)]);
      expect(await redis.client.hlen(added[0]!)).toBe(300);
      expect(await redis.client.hget(added[0]!, 'flood-7')).toMatch(/^rate_limited ip-hour \d+$/);
      const ttl = (Math.floor(NOW / DAY) + 2) * DAY - (NOW + 299);
      expect(await redis.client.pttl(added[0]!)).toBeGreaterThan(ttl - 5_000);
      expect(await redis.client.pttl(added[0]!)).toBeLessThanOrEqual(ttl);
      expect(await redis.client.zcard(key(`ip:{${IP}}:rl:ip-hour`))).toBe(1);
    });

    it('keeps a refusal for the cooldown in the user\'s hash', async () => {
      await limiter.admit(aRequest(), [perUser(5)], MINUTE);
      await at(NOW + 1_000, () => limiter.admit(aRequest({ resetId: 'r-2' }), [perUser(5)], MINUTE));
      // The cooldown's time left is the key's TTL, by Redis's own clock.
      expect(await redis.client.hget(key(`user:{u-1}:refused:${Math.floor(NOW / DAY)}`), 'r-2')).toMatch(/^cooldown cooldown \d+$/);
    });
  });

  it('keeps an id with braces inside its hash tag, and every key expires', async () => {
    await limiter.admit(aRequest({ userId: 'u-}{x' }), defaultPolicy.rateRules, MINUTE);
    const keys = await redis.keys();
    expect(keys).toContain(key('user:{u-%7D%7Bx}:cooldown'));
    for (const each of keys) {
      expect(each.match(/[{}]/g), each).toEqual(['{', '}']);
      expect(await redis.client.pttl(each), each).toBeGreaterThan(0);
    }
  });
});
