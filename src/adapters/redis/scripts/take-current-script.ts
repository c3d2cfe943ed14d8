import { z } from 'zod';
import type { RedisClient } from '../redis-client.js';
import { CLOCK_LUA, luaScript, runScript } from './lua-script.js';
import { replyDecoder } from './script-reply.js';

/**
 * KEYS (the user's slot): `current`, the string naming the user's pending reset; `superseded`, a
 * hash of displaced resetId → when (ms) and by which resetId it was displaced (`<ms> <resetId>`; a
 * field written before the time was kept holds the resetId alone). ARGV: resetId, ttlMs, clock
 * (`clockArgument`).
 *
 * Each field lives as long as a reset does (ttlMs): the hash expires ttlMs after its last write,
 * and a write drops the fields older than that, so the hash of a user who asks every day does not
 * grow for ever.
 *
 * The user's slot is the truth about which reset is pending: a reset once displaced never becomes
 * current again, so two resets of one user issued at once end with exactly one pending. The reply
 * names the resets whose hashes the caller must mark superseded; a repeat (a redelivery) names
 * them again, in case the marking was cut off the first time.
 */
export const takeCurrentScript = luaScript('resetdTakeCurrent', `${CLOCK_LUA}
local current, displaced, resetId, ttl = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])
if redis.call('HEXISTS', displaced, resetId) == 1 then
  return {'superseded'}
end
local previous = redis.call('GET', current)
local superseding = {}
if previous == resetId then
  local pairs = redis.call('HGETALL', displaced)
  for i = 1, #pairs, 2 do
    if (string.match(pairs[i + 1], '^%d+ (.*)$') or pairs[i + 1]) == resetId then
      superseding[#superseding + 1] = pairs[i]
    end
  end
else
  if previous then
    local now = clockNow(ARGV[3])
    local pairs = redis.call('HGETALL', displaced)
    for i = 1, #pairs, 2 do
      local at = tonumber(string.match(pairs[i + 1], '^(%d+) '))
      if at and now - at > ttl then
        redis.call('HDEL', displaced, pairs[i])
      end
    end
    redis.call('HSET', displaced, previous, string.format('%d %s', now, resetId))
    superseding[1] = previous
  end
end
redis.call('SET', current, resetId, 'PX', ttl)
redis.call('PEXPIRE', displaced, ttl)
return {'current', superseding}
`);

/** `current`: the resets this one displaced (the usual reply, so tried first). `superseded`: another reset of the user has displaced this one. */
const takeCurrentReply = z.union([
  z.tuple([z.literal('current'), z.array(z.string())]).transform(([, displaced]) => ({ kind: 'current' as const, displaced })),
  z.tuple([z.literal('superseded')]).transform(() => ({ kind: 'superseded' as const })),
]);

export interface TakeCurrent {
  /** The user's `current` key and `superseded` hash (RedisKeys). */
  readonly current: string;
  readonly superseded: string;
  readonly resetId: string;
  readonly ttlMs: number;
  /** `clockArgument`. */
  readonly clock: string;
}

const decodeTakeCurrentReply = replyDecoder(takeCurrentScript, takeCurrentReply);

export function runTakeCurrent(redis: RedisClient, take: TakeCurrent): Promise<z.output<typeof takeCurrentReply>> {
  return runScript(redis, takeCurrentScript, [take.current, take.superseded], [take.resetId, take.ttlMs, take.clock], decodeTakeCurrentReply);
}
