import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Replies with the reset's hash as HGETALL gives it. */
    resetdSupersede(record: string): Result<string[], Context>;
  }
}

/**
 * KEYS: one reset's hash (one slot). Marks a pending reset (`issued` or `sent`) superseded and
 * forgets its digest, so its code stops working; a finished one (completed, locked, rejected…)
 * stays as it is. Idempotent. Returns the hash.
 */
export const supersedeScript: LuaScript = {
  name: 'resetdSupersede',
  numberOfKeys: 1,
  lua: `
local record = KEYS[1]
local state = redis.call('HGET', record, 'state')
if state == 'issued' or state == 'sent' then
  redis.call('HSET', record, 'state', 'superseded')
  redis.call('HDEL', record, 'digest')
end
return redis.call('HGETALL', record)
`,
};
