import type { Result } from 'ioredis';
import { CLOCK_LUA, type LuaScript } from './lua-script.js';

/** `settled`: the outcome that holds (JSON); `busy`: ms to wait; `finished`: the record as HGETALL gives it. */
export type SettleReply = ['settled', string] | ['busy', number] | ['finished', string[]];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdSettle(record: string, ...args: [resetId: string, userId: string, outcome: string, ttlMs: number, clock: string]): Result<SettleReply, Context>;
  }
}

/**
 * KEYS: the reset's hash. ARGV: resetId, userId ('' if unknown), outcome JSON, ttlMs, clock
 * (`clockArgument`). A reset with an outcome keeps it; one whose code is being mailed answers busy
 * until its lease runs out (at least a second); one with a code but no outcome answers with its
 * record. A reset not known yet is made `rejected` with the outcome given, for ttlMs.
 */
export const settleScript: LuaScript = {
  name: 'resetdSettle',
  numberOfKeys: 1,
  lua: `${CLOCK_LUA}
local record = KEYS[1]
local f = redis.call('HMGET', record, 'outcome', 'state', 'leaseUntil')
if f[1] then
  return {'settled', f[1]}
end
if f[2] == 'issued' then
  return {'busy', math.max((tonumber(f[3]) or 0) - clockNow(ARGV[5]), 1000)}
end
if f[2] then
  return {'finished', redis.call('HGETALL', record)}
end
redis.call('HSET', record, 'resetId', ARGV[1], 'userId', ARGV[2], 'state', 'rejected', 'outcome', ARGV[3])
redis.call('PEXPIRE', record, ARGV[4])
return {'settled', ARGV[3]}
`,
};
