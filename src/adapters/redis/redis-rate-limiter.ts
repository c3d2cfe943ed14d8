import { inject, injectable } from 'inversify';
import type { Redis } from 'ioredis';
import type { RateRule } from '../../domain/policy.js';
import type { Admission, RateLimiter, RateRequest } from '../../domain/ports.js';
import { TOKENS } from '../../app/tokens.js';
import { RedisKeys } from './redis-keys.js';
import { admitScript } from './scripts/admit-script.js';
import { defineScripts } from './scripts/lua-script.js';

/** Cooldown and sliding windows as Redis keys: one sorted set of admitted resetIds per rule and subject. */
@injectable()
export class RedisRateLimiter implements RateLimiter {
  private readonly keys: RedisKeys;

  constructor(
    @inject(TOKENS.Redis) private readonly redis: Redis,
    @inject(TOKENS.RedisKeyPrefix) keyPrefix: string,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    defineScripts(redis, [admitScript]);
  }

  async admit(request: RateRequest, rules: readonly RateRule[], cooldownMs: number, now: number): Promise<Admission> {
    // A request without a client IP is limited per user and globally only.
    const applicable = rules.filter((rule) => rule.scope !== 'ip' || request.clientIp !== undefined);
    const keys = [
      this.keys.cooldown(request.userId),
      ...applicable.map((rule) => this.keys.rate(rule.scope, subjectOf(rule, request), rule.name)),
    ];
    const args = [request.resetId, now, cooldownMs, ...applicable.flatMap((rule) => [rule.name, rule.limit, rule.windowMs])];
    const reply = await this.redis.resetdAdmit(keys.length, ...keys, ...args);
    if (reply[0] === 'admitted') return { kind: 'admitted' };
    const [, reason, rule, retryAfterMs] = reply;
    return { kind: 'refused', reason, rule, retryAfterMs };
  }
}

const subjectOf = (rule: RateRule, request: RateRequest): string =>
  rule.scope === 'user' ? request.userId : rule.scope === 'ip' ? (request.clientIp ?? '') : 'global';
