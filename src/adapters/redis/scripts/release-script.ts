import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdRelease(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<number, Context>;
  }
}

/**
 * Undoes one layer's count of a reset, in one slot. KEYS: as for the reserve script. ARGV: resetId,
 * withCooldown ('1' or '0'). Removes the reset from every window and ends the cooldown only if this
 * reset started it, so a refused request spends nothing. Idempotent.
 */
export const releaseScript: LuaScript = {
  name: 'resetdRelease',
  lua: `
local resetId, first = ARGV[1], 1
if ARGV[2] == '1' then
  first = 2
  if redis.call('GET', KEYS[1]) == resetId then
    redis.call('DEL', KEYS[1])
  end
end
for i = first, #KEYS do
  redis.call('ZREM', KEYS[i], resetId)
end
return 1
`,
};
