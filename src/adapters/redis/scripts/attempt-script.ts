import { z } from 'zod';
import type { Attempt, AttemptResult } from '../../../domain/ports.js';
import type { RedisClient } from '../redis-client.js';
import { CLOCK_LUA, luaScript, runScript } from './lua-script.js';
import { jsonText, replyDecoder } from './script-reply.js';

/**
 * KEYS: the reset's hash. ARGV: submission id ('' for none), clock (`clockArgument`; a completion
 * keeps its instant), then key id and digest pairs: the submitted code's digest under every key
 * still known. The code is judged against the stored digest with the pair of the key it was made
 * with: none means the key was rotated out, and the code is treated as expired; while the code is
 * still in its lifetime, the reply names that key (`keyNotHeld`), for the operator. Lua compares
 * interned strings by reference, so the comparison takes the same time whatever the digests hold.
 *
 * A submission that spends a try or completes is counted (`n`, its event's sequence) and its
 * answer kept in field `s:<id>`, repeated as it was: at most maxTries + 1 such fields. A refusal
 * that changes nothing (the reset is over, or its code expired) is neither counted nor kept: it
 * is the same for every submission until something is counted, so it is named `<reason>@<n>` and
 * a flood of them writes nothing and is one event.
 */
export const attemptScript = luaScript('resetdAttempt', `${CLOCK_LUA}
local record = KEYS[1]
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
local f = redis.call('HMGET', record, 'state', 'userId', 'digest', 'triesLeft', 'keyId', 'expiresAt', 'n')
local state, digest, triesLeft, keyId, expiresAt = f[1], f[3], tonumber(f[4]) or 0, f[5], tonumber(f[6])
local userId, counted = f[2] or nil, tonumber(f[7]) or 0
local submitted = nil
for i = 3, #ARGV - 1, 2 do
  if ARGV[i] == keyId then
    submitted = ARGV[i + 1]
  end
end
local function refused(reason, left, keyNotHeld)
  return cjson.encode({kind = 'refused', reason = reason, sequence = reason .. '@' .. counted, userId = userId, triesLeft = left, keyNotHeld = keyNotHeld})
end
if state == 'locked' then
  return refused('locked', 0)
elseif state == 'superseded' then
  return refused('superseded', 0)
elseif state ~= 'issued' and state ~= 'sent' then
  return refused('unknown_reset', 0)
end
local now = clockNow(ARGV[2])
if not expiresAt or now >= expiresAt or not digest then
  return refused('expired', triesLeft)
end
if not submitted then
  return refused('expired', triesLeft, keyId or nil)
end
local sequence = tostring(redis.call('HINCRBY', record, 'n', 1))
local result
if submitted == digest and triesLeft > 0 then
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
`);

/** An attempt's result, and for a code made with a key the caller does not hold, that key's id. */
export type AttemptReply = AttemptResult & { readonly keyNotHeld?: string };

/** The AttemptResult as the script encodes it (cjson): an answer kept in `s:<id>` is read back the same way. */
const attemptReply: z.ZodType<AttemptReply> = jsonText.pipe(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('missing') }),
      z.object({ kind: z.literal('completed'), sequence: z.string(), userId: z.string(), completedAt: z.number() }),
      z.object({ kind: z.literal('wrong'), sequence: z.string(), userId: z.string(), triesLeft: z.number() }),
      z.object({
        kind: z.literal('refused'),
        sequence: z.string(),
        userId: z.string().optional(),
        reason: z.enum(['expired', 'locked', 'superseded', 'unknown_reset']),
        triesLeft: z.number(),
        keyNotHeld: z.string().optional(),
      }),
    ]),
  );

const decodeAttemptReply = replyDecoder(attemptScript, attemptReply);

/** Runs the attempt script on the reset's hash `record`; `clock` as `clockArgument` gives it. */
export function runAttempt(redis: RedisClient, record: string, attempt: Attempt, clock: string): Promise<AttemptReply> {
  return runScript(redis, attemptScript, [record], [attempt.submissionId ?? '', clock, ...Object.entries(attempt.digests).flat()], decodeAttemptReply);
}
