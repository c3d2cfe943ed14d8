import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdReject(record: string, resetId: string, userId: string, outcome: string, ttlMs: number): Result<string, Context>;
  }
}

/** KEYS: the reset's hash. ARGV: resetId, userId, outcome JSON, ttlMs. Returns the outcome that holds. */
export const rejectScript: LuaScript = {
  name: 'resetdReject',
  numberOfKeys: 1,
  lua: `
local record = KEYS[1]
local held = redis.call('HGET', record, 'outcome')
if held then
  return held
end
redis.call('DEL', record)
redis.call('HSET', record, 'resetId', ARGV[1], 'userId', ARGV[2], 'state', 'rejected', 'outcome', ARGV[3])
redis.call('PEXPIRE', record, ARGV[4])
return ARGV[3]
`,
};
