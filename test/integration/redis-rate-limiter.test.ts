import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { defaultPolicy, type RateRule } from '../../src/domain/policy.js';
import type { RateRequest } from '../../src/domain/ports.js';
import { openTestRedis, type TestRedis } from '../support/redis.js';

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
  const key = (suffix: string) => `${redis.prefix}:${suffix}`;

  beforeEach(async () => {
    redis = await openTestRedis();
    limiter = new RedisRateLimiter(redis.client, redis.prefix);
  });

  afterEach(async () => {
    await redis.close();
  });

  /** `count` admissions in parallel, alternating between this limiter and one on a second client. */
  async function admitInParallel(count: number, request: (i: number) => RateRequest, rules: readonly RateRule[]) {
    const other = new RedisRateLimiter(redis.connect(), redis.prefix);
    return Promise.all(
      Array.from({ length: count }, (_, i) => (i % 2 === 0 ? limiter : other).admit(request(i), rules, 0, NOW)),
    );
  }

  it('admits a request and counts it under every rule and the cooldown', async () => {
    expect(await limiter.admit(aRequest(), defaultPolicy.rateRules, MINUTE, NOW)).toEqual({ kind: 'admitted' });
    expect(await redis.client.get(key('user:{u-1}:cooldown'))).toBe('r-1');
    for (const suffix of ['user:{u-1}:rl:user-hour', 'user:{u-1}:rl:user-day', `ip:{${IP}}:rl:ip-hour`, 'global:{global}:rl:global-hour']) {
      expect(await redis.client.zrange(key(suffix), 0, -1, 'WITHSCORES'), suffix).toEqual(['r-1', String(NOW)]);
    }
  });

  it('refuses another reset of the user during the cooldown, with the time it has left', async () => {
    await limiter.admit(aRequest(), [perUser(5)], MINUTE, NOW);
    const refusal = await limiter.admit(aRequest({ resetId: 'r-2' }), [perUser(5)], MINUTE, NOW);
    const left = await redis.client.pttl(key('user:{u-1}:cooldown'));
    expect(refusal).toMatchObject({ kind: 'refused', reason: 'cooldown', rule: 'cooldown' });
    expect(refusal.kind === 'refused' && refusal.retryAfterMs).toBeGreaterThanOrEqual(left);
    expect(refusal.kind === 'refused' && refusal.retryAfterMs).toBeLessThanOrEqual(MINUTE);
    expect(await redis.client.zcard(key('user:{u-1}:rl:user-hour'))).toBe(1);
  });

  it('admits the same reset again for free, in the cooldown and at the limit', async () => {
    expect(await limiter.admit(aRequest(), [perUser(1)], MINUTE, NOW)).toEqual({ kind: 'admitted' });
    expect(await limiter.admit(aRequest(), [perUser(1)], MINUTE, NOW + 1_000)).toEqual({ kind: 'admitted' });
    await redis.client.del(key('user:{u-1}:cooldown'));
    expect(await limiter.admit(aRequest({ resetId: 'r-2' }), [perUser(1)], 0, NOW + 2_000)).toMatchObject({ reason: 'rate_limited' });
    expect(await limiter.admit(aRequest(), [perUser(1)], 0, NOW + 3_000)).toEqual({ kind: 'admitted' });
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
    await limiter.admit(aRequest({ resetId: 'r-1' }), rules, 0, NOW);
    await limiter.admit(aRequest({ resetId: 'r-2' }), rules, 0, NOW + 10 * MINUTE);
    expect(await limiter.admit(aRequest({ resetId: 'r-3' }), rules, 0, NOW + 20 * MINUTE)).toEqual({
      kind: 'refused',
      reason: 'rate_limited',
      rule: 'user-hour',
      retryAfterMs: 40 * MINUTE,
    });
    expect(await limiter.admit(aRequest({ resetId: 'r-3' }), rules, 0, NOW + HOUR)).toEqual({ kind: 'admitted' });
    expect(await limiter.admit(aRequest({ resetId: 'r-4' }), rules, 0, NOW + HOUR + 1)).toEqual({
      kind: 'refused',
      reason: 'rate_limited',
      rule: 'user-hour',
      retryAfterMs: 10 * MINUTE - 1,
    });
  });

  it('counts a refused request against nothing', async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    await limiter.admit(aRequest(), rules, MINUTE, NOW);
    expect(await limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2' }), rules, MINUTE, NOW)).toMatchObject({
      kind: 'refused',
      rule: 'ip-hour',
    });
    expect(await redis.client.exists(key('user:{u-2}:rl:user-hour'), key('user:{u-2}:cooldown'))).toBe(0);
    expect(await redis.client.zcard(key('global:{global}:rl:global-hour'))).toBe(1);
    expect(await limiter.admit(aRequest({ resetId: 'r-2', userId: 'u-2', clientIp: '198.51.100.1' }), rules, MINUTE, NOW)).toEqual({
      kind: 'admitted',
    });
  });

  it('limits a request without a client IP per user and globally only', async () => {
    const rules = [perUser(5), perIp(1), everyone(100)];
    for (const userId of ['u-1', 'u-2']) {
      expect(await limiter.admit({ resetId: `r-${userId}`, userId }, rules, MINUTE, NOW)).toEqual({ kind: 'admitted' });
    }
    expect((await redis.keys()).filter((each) => each.includes(':ip:'))).toEqual([]);
  });

  it('keeps an id with braces inside its hash tag, and every key expires', async () => {
    await limiter.admit(aRequest({ userId: 'u-}{x' }), defaultPolicy.rateRules, MINUTE, NOW);
    const keys = await redis.keys();
    expect(keys).toContain(key('user:{u-%7D%7Bx}:cooldown'));
    for (const each of keys) {
      expect(each.match(/[{}]/g), each).toEqual(['{', '}']);
      expect(await redis.client.pttl(each), each).toBeGreaterThan(0);
    }
  });
});
