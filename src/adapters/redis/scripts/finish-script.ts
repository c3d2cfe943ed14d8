import type { ResetEvent } from '../../../domain/events.js';
import type { FinishDelivery } from '../../../domain/ports.js';
import type { RedisClient } from '../redis-client.js';
import { luaScript, runScript } from './lua-script.js';
import { decodeReply, storedOutcome } from './script-reply.js';

/**
 * KEYS: the reset's hash. ARGV: owner, final state, outcome JSON. The first outcome stored wins and
 * is returned. A record that expired is not recreated, since it would have no TTL.
 */
export const finishScript = luaScript('resetdFinish', `
local record, owner, state, outcome = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local f = redis.call('HMGET', record, 'outcome', 'owner', 'state')
if f[1] then
  return f[1]
end
if not f[3] then
  return outcome
end
if f[2] == owner then
  -- Only a reset still being mailed changes state: a superseded, completed or locked one stays so.
  if f[3] == 'issued' then
    redis.call('HSET', record, 'state', state)
  end
  redis.call('HDEL', record, 'owner', 'leaseUntil')
end
redis.call('HSET', record, 'outcome', outcome)
return outcome
`);

/** Runs the finish script on `record`, the hash of the reset or notice `finish.id`; returns the outcome that holds. */
export function runFinish(redis: RedisClient, record: string, finish: FinishDelivery): Promise<ResetEvent> {
  const outcome = JSON.stringify(finish.outcome);
  // Usually the outcome stored is the one just given, which needs no checking; another that won is read as the contract says.
  return runScript(redis, finishScript, [record], [finish.owner, finish.state, outcome], (reply) =>
    reply === outcome ? finish.outcome : decodeReply(finishScript, storedOutcome, reply),
  );
}
