import { randomBytes } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';

/**
 * The deployment's secret for outbound event ids (`eventIdDeriver`): made by the first instance to
 * start, kept in Redis for good, and read by every other, so that all of them, across restarts and
 * rotations of every other key, derive the same id for the same event. Lost with Redis's data, a
 * new one is made; so are the codes, lost with it.
 */
export async function deploymentEventIdKey(redis: RedisClient, keyPrefix: string): Promise<string> {
  const key = new RedisKeys(keyPrefix).eventIdKey();
  // SET NX then GET: of instances starting at once, the first write wins and all read it.
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  const value = await redis.get(key);
  if (value === null) throw new Error(`the event id key ${key} was deleted as it was made`);
  return value;
}
