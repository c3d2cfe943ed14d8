import { ROOT_CONTEXT } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditContextOf, withAuditScope } from '../../src/adapters/audit/audit-context.js';
import { runInContext } from '../../src/adapters/otel/message-context.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { defaultPolicy, type RateRule } from '../../src/domain/policy.js';
import type { RateRequest } from '../../src/domain/ports.js';
import { describeRateLimiter } from '../support/contracts/rate-limiter-contract.js';
import { openTestRedis, PinnedTime, scriptClockOf, type TestRedis } from '../support/redis.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2025, 0, 1, 12);
const IP = '203.0.113.7';

const perUser = (limit: number): RateRule => ({ name: 'user-hour', scope: 'user', limit, windowMs: HOUR });
const perIp = (limit: number): RateRule => ({ name: 'ip-hour', scope: 'ip', limit, windowMs: HOUR });
const everyone = (limit: number): RateRule => ({ name: 'global-hour', scope: 'global', limit, windowMs: HOUR });

const aRequest = (overrides: Partial<RateRequest> = {}): RateRequest => ({ resetId: 'r-1', userId: 'u-1', clientIp: IP, ...overrides });

describeRateLimiter('RedisRateLimiter', async (clock) => {
  const redis = await openTestRedis();
  const time = scriptClockOf(clock);
  return {
    port: new RedisRateLimiter(redis.client, redis.prefix, 64, time),
    another: () => new RedisRateLimiter(redis.connect(), redis.prefix, 64, time),
    close: () => redis.close(),
  };
});

/** What is Redis's own: the layers in three slots and their release, the key layout, TTLs, the audit note. */
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
      Array.from({ length: count }, (_, i) => (i % 2 === 0 ? limiter : other).admit({ request: request(i), rules, cooldownMs: 0 })),
    );
  }

  it('admits a request and counts it under every rule and the cooldown', async () => {
    expect(await limiter.admit({ request: aRequest(), rules: defaultPolicy.rateRules, cooldownMs: MINUTE })).toEqual({ kind: 'admitted' });
    expect(await redis.client.get(key('user:{u-1}:cooldown'))).toBe('r-1');
    for (const suffix of ['user:{u-1}:rl:user-hour', 'user:{u-1}:rl:user-day', `ip:{${IP}}:rl:ip-hour`, 'global:{global}:rl:global-hour']) {
      expect(await redis.client.zrange(key(suffix), 0, -1, 'WITHSCORES'), suffix).toEqual(['r-1', String(NOW)]);
    }
  });

  it('releases the user and IP reservations when the global layer refuses: their windows and the cooldown are as before', async () => {
    const rules = [perUser(5), perIp(5), everyone(1)];
    await limiter.admit({ request: aRequest({ resetId: 'r-0', userId: 'u-0', clientIp: '198.51.100.1' }), rules, cooldownMs: MINUTE });
    await limiter.admit({ request: aRequest({ resetId: 'r-1' }), rules: [perUser(5), perIp(5)], cooldownMs: 0 });
    const windows = async () => ({
      user: await redis.client.zrange(key('user:{u-1}:rl:user-hour'), 0, -1, 'WITHSCORES'),
      ip: await redis.client.zrange(key(`ip:{${IP}}:rl:ip-hour`), 0, -1, 'WITHSCORES'),
      cooldown: await redis.client.get(key('user:{u-1}:cooldown')),
      global: await redis.client.zrange(key('global:{global}:rl:global-hour'), 0, -1),
    });
    const before = await windows();
    expect(before).toEqual({ user: ['r-1', String(NOW)], ip: ['r-1', String(NOW)], cooldown: null, global: ['r-0'] });

    const refusal = await at(NOW + 1_000, () => limiter.admit({ request: aRequest({ resetId: 'r-2' }), rules, cooldownMs: MINUTE }));
    expect(refusal).toMatchObject({ kind: 'refused', reason: 'rate_limited', rule: 'global-hour' });
    expect(await windows()).toEqual(before);
  });

  it("leaves another layer's window as it was when one layer refuses", async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    await limiter.admit({ request: aRequest(), rules, cooldownMs: 0 });
    expect(await limiter.admit({ request: aRequest({ resetId: 'r-2', userId: 'u-2' }), rules, cooldownMs: 0 })).toMatchObject({ rule: 'ip-hour' });
    expect(await redis.client.zrange(key('global:{global}:rl:global-hour'), 0, -1)).toEqual(['r-1']);
  });

  it('completes an admission cut off between layers, counting each layer once', async () => {
    const rules = [perUser(5), perIp(5), everyone(5)];
    // A first try reserved the user's and the IP's layers, then the process died.
    await limiter.admit({ request: aRequest(), rules: [perUser(5), perIp(5)], cooldownMs: MINUTE });
    expect(await at(NOW + 1_000, () => limiter.admit({ request: aRequest(), rules, cooldownMs: MINUTE }))).toEqual({ kind: 'admitted' });
    for (const suffix of ['user:{u-1}:rl:user-hour', `ip:{${IP}}:rl:ip-hour`, 'global:{global}:rl:global-hour']) {
      expect(await redis.client.zcard(key(suffix)), suffix).toBe(1);
    }
  });

  it('keeps what an admission cut off by a fault counted when the next try is refused: too strict until its windows slide, never lax', async () => {
    // The layers that counted it before cannot tell a cut-off try from the first admission of a
    // reset replayed under another address, whose counts a refusal must not undo.
    await limiter.admit({ request: aRequest({ resetId: 'r-0', userId: 'u-0', clientIp: '198.51.100.1' }), rules: [everyone(1)], cooldownMs: 0 });
    await limiter.admit({ request: aRequest(), rules: [perUser(5), perIp(5)], cooldownMs: MINUTE });
    expect(await at(NOW + 1_000, () => limiter.admit({ request: aRequest(), rules: [perUser(5), perIp(5), everyone(1)], cooldownMs: MINUTE }))).toMatchObject({ rule: 'global-hour' });
    expect(await redis.client.exists(key('user:{u-1}:rl:user-hour'), key(`ip:{${IP}}:rl:ip-hour`), key('user:{u-1}:cooldown'))).toBe(3);
  });

  it('keeps every window holding exactly the admitted resets under parallel requests: each refusal released', async () => {
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

  it('keeps no per-IP key for a request without a client IP', async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    for (const userId of ['u-1', 'u-2']) {
      expect(await limiter.admit({ request: { resetId: `r-${userId}`, userId }, rules, cooldownMs: MINUTE })).toEqual({ kind: 'admitted' });
    }
    expect((await redis.keys()).filter((each) => each.includes(':ip:'))).toEqual([]);
  });

  describe('client addresses, keyed by what they name', () => {
    const rules = [perIp(20)];
    it('counts IPv6 per the prefix it is given', async () => {
      const per48 = new RedisRateLimiter(redis.client, redis.prefix, 48, time);
      const answers = await Promise.all(
        ['2001:db8:1:2::1', '2001:db8:1:3::1'].map((clientIp, i) => per48.admit({ request: aRequest({ resetId: `p-${i}`, userId: `p-u-${i}`, clientIp }), rules: [perIp(1)], cooldownMs: 0 })),
      );
      expect(answers.filter((answer) => answer.kind === 'admitted')).toHaveLength(1);
      expect(await redis.client.zcard(key('ip:{2001:db8:1::/48}:rl:ip-hour'))).toBe(1);
    });

    it('tells the audit the address it counted, beside the one given', async () => {
      const scope = withAuditScope(ROOT_CONTEXT);
      await runInContext(scope, () => limiter.admit({ request: aRequest({ clientIp: '2001:0DB8:0:0:1::9' }), rules, cooldownMs: 0 }));
      expect(auditContextOf(scope)).toMatchObject({ clientIpKey: '2001:db8::/64' });
    });
  });

  describe('remembered refusals', () => {
    const DAY = 24 * HOUR;

    it('keeps a flood of refusals as one small field each in one hash per subject and period, and counts none of them', async () => {
      await limiter.admit({ request: aRequest(), rules: [perIp(1)], cooldownMs: 0 });
      const before = await redis.keys();
      for (let i = 0; i < 300; i += 1) {
        const answer = await at(NOW + i, () => limiter.admit({ request: aRequest({ resetId: `flood-${i}`, userId: `u-flood-${i}` }), rules: [perUser(5), perIp(1)], cooldownMs: MINUTE }));
        expect(answer).toMatchObject({ kind: 'refused', rule: 'ip-hour' });
      }
      const added = (await redis.keys()).filter((each) => !before.includes(each));
      // The refusals' hash, and the deployment's count of refusals remembered (one key in all).
      expect(added.sort()).toEqual([key(`ip:{${IP}}:refused:${Math.floor(NOW / DAY)}`), key('remembered:{count}:refusals')]);
      expect(await redis.client.hlen(added[0]!)).toBe(300);
      expect(await redis.client.get(added[1]!)).toBe('300');
      expect(await redis.client.hget(added[0]!, 'flood-7')).toMatch(/^rate_limited ip-hour \d+$/);
      const ttl = (Math.floor(NOW / DAY) + 2) * DAY - (NOW + 299);
      expect(await redis.client.pttl(added[0]!)).toBeGreaterThan(ttl - 5_000);
      expect(await redis.client.pttl(added[0]!)).toBeLessThanOrEqual(ttl);
      expect(await redis.client.zcard(key(`ip:{${IP}}:rl:ip-hour`))).toBe(1);
    });

    it('keeps no more refusals in a hash than its ceiling: past it a refusal is not remembered, and its repeat is judged again', async () => {
      const kept = new RedisRateLimiter(redis.client, redis.prefix, 64, time, 3);
      await kept.admit({ request: aRequest(), rules: [perIp(1)], cooldownMs: 0 });
      const flood = (i: number, later = 0) => at(NOW + i + later, () => kept.admit({ request: aRequest({ resetId: `flood-${i}`, userId: `u-flood-${i}` }), rules: [perIp(1)], cooldownMs: 0 }));
      const first = [];
      for (let i = 0; i < 10; i += 1) first.push(await flood(i));
      for (const answer of first) expect(answer).toMatchObject({ kind: 'refused', rule: 'ip-hour' });

      const refusals = key(`ip:{${IP}}:refused:${Math.floor(NOW / DAY)}`);
      expect(await redis.client.hkeys(refusals)).toEqual(['flood-0', 'flood-1', 'flood-2']);
      // Five seconds on, a remembered refusal repeats its first answer; one judged again tells the time left now.
      expect(await flood(1, 5_000)).toEqual(first[1]);
      expect(await flood(7, 5_000)).toMatchObject({ kind: 'refused', rule: 'ip-hour', retryAfterMs: (first[7] as { retryAfterMs: number }).retryAfterMs - 5_000 });
      expect(await redis.client.hlen(refusals)).toBe(3);
      expect(await redis.client.zcard(key(`ip:{${IP}}:rl:ip-hour`))).toBe(1);
    });

    it('counts against the deployment only the refusals it stored: a flood past its own hash\'s ceiling spends nothing of the others\'', async () => {
      const kept = new RedisRateLimiter(redis.client, redis.prefix, 64, time, 2, 5);
      await kept.admit({ request: aRequest({ resetId: 'first', userId: 'u-flooded' }), rules: [perUser(5)], cooldownMs: MINUTE });
      for (let i = 0; i < 8; i += 1) {
        await kept.admit({ request: aRequest({ resetId: `again-${i}`, userId: 'u-flooded' }), rules: [perUser(5)], cooldownMs: MINUTE });
      }
      expect(await redis.client.get(key('remembered:{count}:refusals'))).toBe('2');
      // Another user's refusal is still remembered.
      await kept.admit({ request: aRequest({ resetId: 'other-first', userId: 'u-other' }), rules: [perUser(5)], cooldownMs: MINUTE });
      await kept.admit({ request: aRequest({ resetId: 'other-again', userId: 'u-other' }), rules: [perUser(5)], cooldownMs: MINUTE });
      expect(await redis.client.hkeys(key(`user:{u-other}:refused:${Math.floor(NOW / DAY)}`))).toEqual(['other-again']);
    });

    it("remembers no more refusals across subjects than the deployment's ceiling: past it the instance remembers none for a while", async () => {
      const kept = new RedisRateLimiter(redis.client, redis.prefix, 64, time, 100_000, 3);
      // A flood spread over users, as the ceiling of one subject's hash cannot see it: each user
      // admitted once, then refused for its cooldown under a new id.
      for (let i = 0; i < 6; i += 1) {
        const userId = `u-spread-${i}`;
        await kept.admit({ request: aRequest({ resetId: `first-${i}`, userId }), rules: [perUser(5)], cooldownMs: MINUTE });
        expect(await kept.admit({ request: aRequest({ resetId: `again-${i}`, userId }), rules: [perUser(5)], cooldownMs: MINUTE })).toMatchObject({ kind: 'refused', reason: 'cooldown' });
      }
      // The fourth is stored, then counted past the ceiling; the rest are answered, not stored.
      expect(await redis.client.keys(key('user:*:refused:*'))).toHaveLength(4);
      expect(await redis.client.get(key('remembered:{count}:refusals'))).toBe('4');
      // The count ends with its window, an hour.
      expect(await redis.client.pttl(key('remembered:{count}:refusals'))).toBeGreaterThan(59 * MINUTE);
    });

    it('keeps a refusal for the cooldown in the user\'s hash', async () => {
      await limiter.admit({ request: aRequest(), rules: [perUser(5)], cooldownMs: MINUTE });
      await at(NOW + 1_000, () => limiter.admit({ request: aRequest({ resetId: 'r-2' }), rules: [perUser(5)], cooldownMs: MINUTE }));
      // The cooldown's time left is the key's TTL, by Redis's own clock.
      expect(await redis.client.hget(key(`user:{u-1}:refused:${Math.floor(NOW / DAY)}`), 'r-2')).toMatch(/^cooldown cooldown \d+$/);
    });
  });

  it('keeps an id with braces inside its hash tag, and every key expires', async () => {
    await limiter.admit({ request: aRequest({ userId: 'u-}{x' }), rules: defaultPolicy.rateRules, cooldownMs: MINUTE });
    const keys = await redis.keys();
    expect(keys).toContain(key('user:{u-%7D%7Bx}:cooldown'));
    for (const each of keys) {
      expect(each.match(/[{}]/g), each).toEqual(['{', '}']);
      expect(await redis.client.pttl(each), each).toBeGreaterThan(0);
    }
  });
});
