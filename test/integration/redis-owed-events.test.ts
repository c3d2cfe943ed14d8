import { describe, expect, it } from 'vitest';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { RedisOwedEvents } from '../../src/adapters/redis/redis-owed-events.js';
import type { ResetEvent } from '../../src/domain/events.js';
import { describeOwedEvents } from '../support/contracts/owed-events-contract.js';
import { openTestRedis } from '../support/redis.js';

describeOwedEvents('RedisOwedEvents', async () => {
  const redis = await openTestRedis();
  return {
    port: new RedisOwedEvents(redis.client, redis.prefix),
    another: () => new RedisOwedEvents(redis.connect(), redis.prefix),
    close: () => redis.close(),
  };
});

const HOUR = 3_600_000;

const completed: ResetEvent = { name: 'reset.completed', sequence: '1', data: { resetId: 'r-1', userId: 'u-1', completedAt: '2025-01-01T12:00:00.000Z' } };

describe('RedisOwedEvents', () => {
  it('keeps its list for as long as the events stream keeps an event, and drops what resetd did not write', async () => {
    const redis = await openTestRedis();
    try {
      const owed = new RedisOwedEvents(redis.client, redis.prefix);
      await owed.keep(completed);
      const [key] = await redis.keys();
      expect(await redis.client.pttl(key!)).toBeGreaterThan(6 * 24 * 3_600_000);
      await redis.client.rpush(key!, 'not an event');
      expect(await owed.oldest(10)).toHaveLength(1);
      expect(await redis.client.llen(key!)).toBe(1);
      // Kept by a newer version, with a field this one does not know: forgotten as it was stored.
      await redis.client.rpush(key!, JSON.stringify({ name: 'reset.completed', sequence: '1', data: { resetId: 'r-0', userId: 'u-1', completedAt: '2025-01-01T11:00:00.000Z' }, later: 1 }));
      const [oldest] = await owed.oldest(1);
      expect(oldest).toMatchObject({ data: { resetId: 'r-0' } });
      await owed.forget(oldest!);
      expect(await owed.oldest(10)).toMatchObject([{ data: { resetId: 'r-1' } }]);
    } finally {
      await redis.close();
    }
  });

  it('keeps its list for the age it is given, the events stream\'s as configured', async () => {
    const redis = await openTestRedis();
    try {
      await new RedisOwedEvents(redis.client, redis.prefix, 2 * HOUR).keep(completed);
      const ttl = await redis.client.pttl(new RedisKeys(redis.prefix).owedEvents());
      expect(ttl).toBeGreaterThan(2 * HOUR - 60_000);
      expect(ttl).toBeLessThanOrEqual(2 * HOUR);
    } finally {
      await redis.close();
    }
  });

  it('fails to keep an event when Redis refuses a command of the transaction, rather than report it kept', async () => {
    const redis = await openTestRedis();
    try {
      const key = new RedisKeys(redis.prefix).owedEvents();
      // A key of another type: LREM and LPUSH fail inside EXEC, which itself succeeds.
      await redis.client.set(key, 'not a list');
      await expect(new RedisOwedEvents(redis.client, redis.prefix).keep(completed)).rejects.toThrow(/^WRONGTYPE/);
      expect(await redis.client.get(key)).toBe('not a list');
    } finally {
      await redis.close();
    }
  });
});
