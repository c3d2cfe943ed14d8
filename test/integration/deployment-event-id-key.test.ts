import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentEventIdKey } from '../../src/adapters/redis/deployment-event-id-key.js';
import { openTestRedis, type TestRedis } from '../support/redis.js';

describe('deploymentEventIdKey', () => {
  let redis: TestRedis;

  beforeEach(async () => {
    redis = await openTestRedis();
  });

  afterEach(async () => {
    await redis.close();
  });

  it('is made once, by whichever instance comes first, and read the same by every other and every restart', async () => {
    const others = [redis.connect(), redis.connect(), redis.connect()];
    const keys = await Promise.all([redis.client, ...others].map((client) => deploymentEventIdKey(client, redis.prefix)));

    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await deploymentEventIdKey(redis.connect(), redis.prefix)).toBe(keys[0]);
    // Kept for good: no expiry.
    expect(await redis.client.pttl(`${redis.prefix}:{event-id}:key`)).toBe(-1);
  });

  it("is each deployment's own", async () => {
    expect(await deploymentEventIdKey(redis.client, redis.prefix)).not.toBe(await deploymentEventIdKey(redis.client, `${redis.prefix}-other`));
    await redis.client.del(`${redis.prefix}-other:{event-id}:key`);
  });
});
