import type { ResetRecord } from '../../../domain/reset-record.js';
import type { RedisClient } from '../redis-client.js';
import { resetRecordPairs } from '../reset-record-hash.js';
import { luaScript, runScript } from './lua-script.js';
import { replyDecoder } from './script-reply.js';

/**
 * KEYS: one reset's hash (one slot). Marks a pending reset (`issued` or `sent`) superseded and
 * forgets its digest, so its code stops working; a finished one (completed, locked, rejected…)
 * stays as it is. Idempotent. Returns the hash.
 */
export const supersedeScript = luaScript('resetdSupersede', `
local record = KEYS[1]
local state = redis.call('HGET', record, 'state')
if state == 'issued' or state == 'sent' then
  redis.call('HSET', record, 'state', 'superseded')
  redis.call('HDEL', record, 'digest')
end
return redis.call('HGETALL', record)
`);

const decodeSupersedeReply = replyDecoder(supersedeScript, resetRecordPairs);

/** Runs the supersede script on the reset's hash `record`; returns the record as it now is. */
export function runSupersede(redis: RedisClient, record: string): Promise<ResetRecord> {
  return runScript(redis, supersedeScript, [record], [], decodeSupersedeReply);
}
