import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Replies with the AttemptResult as JSON. */
    resetdAttempt(record: string, submissionId: string, now: number, ...keyIdsAndDigests: string[]): Result<string, Context>;
  }
}

/**
 * KEYS: the reset's hash. ARGV: submission id ('' for none), now (kept as the completion time),
 * then key id and digest pairs: the submitted code's digest under every key still known. The
 * code is judged against the stored digest with the pair of the key it was made with: none means
 * the key was rotated out, and the code is treated as expired. Lua compares interned strings by
 * reference, so the comparison takes the same time whatever the digests hold. The answer to a
 * submission id is kept in field `s:<id>` and repeated as it was.
 */
export const attemptScript: LuaScript = {
  name: 'resetdAttempt',
  numberOfKeys: 1,
  lua: `
local record, now = KEYS[1], tonumber(ARGV[2])
if redis.call('EXISTS', record) == 0 then
  return cjson.encode({kind = 'missing'})
end
local answerField = nil
if ARGV[1] ~= '' then
  answerField = 's:' .. ARGV[1]
  local answered = redis.call('HGET', record, answerField)
  if answered then
    return answered
  end
end
local sequence = redis.call('HINCRBY', record, 'n', 1)
local f = redis.call('HMGET', record, 'state', 'userId', 'digest', 'triesLeft', 'keyId', 'expiresAt')
local state, digest, triesLeft, keyId, expiresAt = f[1], f[3], tonumber(f[4]) or 0, f[5], tonumber(f[6])
local userId = f[2] or nil
local submitted = nil
for i = 3, #ARGV - 1, 2 do
  if ARGV[i] == keyId then
    submitted = ARGV[i + 1]
  end
end
local function refused(reason, left)
  return {kind = 'refused', reason = reason, sequence = sequence, userId = userId, triesLeft = left}
end
local result
if state == 'locked' then
  result = refused('locked', 0)
elseif state == 'superseded' then
  result = refused('superseded', 0)
elseif state ~= 'issued' and state ~= 'sent' then
  result = refused('unknown_reset', 0)
elseif not expiresAt or now >= expiresAt or not digest or not submitted then
  result = refused('expired', triesLeft)
elseif submitted == digest and triesLeft > 0 then
  redis.call('HSET', record, 'state', 'completed')
  redis.call('HDEL', record, 'digest')
  result = {kind = 'completed', sequence = sequence, userId = userId, completedAt = now}
else
  triesLeft = math.max(triesLeft - 1, 0)
  redis.call('HSET', record, 'triesLeft', triesLeft)
  if triesLeft == 0 then
    redis.call('HSET', record, 'state', 'locked')
    redis.call('HDEL', record, 'digest')
  end
  result = {kind = 'wrong', sequence = sequence, userId = userId, triesLeft = triesLeft}
end
local answer = cjson.encode(result)
if answerField then
  redis.call('HSET', record, answerField, answer)
end
return answer
`,
};
