import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

export type AdmitReply = ['admitted'] | ['refused', 'cooldown' | 'rate_limited', string, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdAdmit(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<AdmitReply, Context>;
  }
}

/**
 * KEYS: the user's cooldown key, then one sorted set per rule. ARGV: resetId, now, cooldownMs, then
 * name, limit and windowMs of each rule in the order of its key. Counts only when every check passes.
 */
export const admitScript: LuaScript = {
  name: 'resetdAdmit',
  lua: `
local resetId, now, cooldownMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cooldown = KEYS[1]
local holder = redis.call('GET', cooldown)
if holder == resetId then
  return {'admitted'}
end
for i = 2, #KEYS do
  if redis.call('ZSCORE', KEYS[i], resetId) then
    return {'admitted'}
  end
end
if holder then
  return {'refused', 'cooldown', 'cooldown', math.max(redis.call('PTTL', cooldown), 1)}
end
for i = 2, #KEYS do
  local base = 3 * (i - 1)
  local name, limit, window = ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local freeAt = oldest[2] and (tonumber(oldest[2]) + window) or (now + window)
    return {'refused', 'rate_limited', name, math.max(freeAt - now, 1)}
  end
end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, resetId)
  redis.call('PEXPIRE', KEYS[i], ARGV[3 * (i - 1) + 3])
end
if cooldownMs > 0 then
  redis.call('SET', cooldown, resetId, 'PX', cooldownMs)
end
return {'admitted'}
`,
};
