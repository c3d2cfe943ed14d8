import type { AbandonDelivery } from '../../../domain/ports.js';
import type { RedisClient } from '../redis-client.js';
import { luaScript, runScript } from './lua-script.js';

/**
 * KEYS: the reset's hash. ARGV: owner. While `owner` holds a reset that has no outcome, ends its
 * lease and marks the reset `unmailed`: its last mail failed. A reset superseded meanwhile is
 * marked too, which is what its outcome is told from; one gone from the store is not made again.
 */
export const abandonScript = luaScript('resetdAbandon', `
local record = KEYS[1]
local f = redis.call('HMGET', record, 'owner', 'outcome')
if f[1] == ARGV[1] and not f[2] then
  redis.call('HSET', record, 'unmailed', '1', 'leaseUntil', '0')
end
return 0
`);

/** Runs the abandon script on the reset's hash `record`. */
export async function runAbandon(redis: RedisClient, record: string, abandon: AbandonDelivery): Promise<void> {
  await runScript(redis, abandonScript, [record], [abandon.owner], () => undefined);
}
