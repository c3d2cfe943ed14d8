import type { RedisClient } from '../redis-client.js';
import { luaScript, runScript } from './lua-script.js';
import { COOLDOWN, layerKeys, type Reserve } from './reserve-script.js';

/**
 * Undoes one layer's count of a reset, in one slot. KEYS: as for the reserve script. ARGV: resetId,
 * `COOLDOWN.held` or `COOLDOWN.none`. Removes the reset from every window and ends the cooldown only if this
 * reset started it, so a refused request spends nothing. Idempotent.
 */
export const releaseScript = luaScript('resetdRelease', `
local resetId, first = ARGV[1], 1
if ARGV[2] == '${COOLDOWN.held}' then
  first = 2
  if redis.call('GET', KEYS[1]) == resetId then
    redis.call('DEL', KEYS[1])
  end
end
for i = first, #KEYS do
  redis.call('ZREM', KEYS[i], resetId)
end
return 1
`);

/** Releases what `runReserve` counted for the same layer; the script's reply (always 1) says nothing. */
export function runRelease(redis: RedisClient, layer: Pick<Reserve, 'cooldownKey' | 'windows' | 'resetId'>): Promise<void> {
  const { keys, cooldown } = layerKeys(layer);
  return runScript(redis, releaseScript, keys, [layer.resetId, cooldown], () => undefined);
}
