import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Replies with the AttemptResult as JSON. */
    resetdAttempt(record: string, submissionId: string, verdict: string, digest: string, now: number): Result<string, Context>;
  }
}

/**
 * KEYS: the reset's hash. ARGV: submission id ('' for none), verdict, the digest it was judged
 * against, now (kept as the completion time). The answer to a submission id is kept in field `s:<id>` and repeated as it was.
 */
export const attemptScript: LuaScript = {
  name: 'resetdAttempt',
  numberOfKeys: 1,
  lua: `
local record, verdict, judged = KEYS[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', record) == 0 then
  return cjson.encode({kind = 'refused', reason = 'unknown_reset', sequence = 0, triesLeft = 0})
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
local f = redis.call('HMGET', record, 'state', 'userId', 'digest', 'triesLeft')
local state, digest, triesLeft = f[1], f[3], tonumber(f[4]) or 0
local userId = f[2] or nil
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
elseif verdict == 'expired' then
  result = refused('expired', triesLeft)
elseif verdict == 'match' and digest and digest == judged and triesLeft > 0 then
  redis.call('HSET', record, 'state', 'completed')
  redis.call('HDEL', record, 'digest')
  result = {kind = 'completed', sequence = sequence, userId = userId, completedAt = tonumber(ARGV[4])}
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
