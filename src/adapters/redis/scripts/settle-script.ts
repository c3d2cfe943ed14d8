import { z } from 'zod';
import type { SettleReset, SettleResult } from '../../../domain/ports.js';
import type { RedisClient } from '../redis-client.js';
import { resetRecordPairs } from '../reset-record-hash.js';
import { CLOCK_LUA, luaScript, runScript } from './lua-script.js';
import { replyDecoder, storedOutcome } from './script-reply.js';

/** Whether a reset not known yet keeps the outcome given. Named, not '1' and '0'. */
export const SETTLE = { remember: 'remember', forget: 'forget' } as const;

/**
 * KEYS: the reset's hash. ARGV: resetId, userId ('' if unknown), outcome JSON, ttlMs, clock
 * (`clockArgument`), `SETTLE.remember` or `SETTLE.forget`. A reset with an outcome keeps it; one whose code is being mailed answers busy
 * until its lease runs out (at least a second); one with a code but no outcome answers with its
 * record. A reset not known yet is made `rejected` with the outcome given, for ttlMs, unless told
 * to forget it: then the outcome is answered and nothing written.
 */
export const settleScript = luaScript('resetdSettle', `${CLOCK_LUA}
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
if ARGV[6] == '${SETTLE.forget}' then
  return {'settled', ARGV[3]}
end
redis.call('HSET', record, 'resetId', ARGV[1], 'userId', ARGV[2], 'state', 'rejected', 'outcome', ARGV[3])
redis.call('PEXPIRE', record, ARGV[4])
return {'settled', ARGV[3], 'created'}
`);

/** What settle came to, and whether it made a record (counted against the store's ceiling). */
export interface Settled {
  readonly result: SettleResult;
  readonly created: boolean;
}

/** `settled` (with `created` when it made the record): the outcome that holds; `busy`: ms to wait; `finished`: the record. */
const settleReply: z.ZodType<Settled> = z.union([
  z.tuple([z.literal('settled'), storedOutcome], z.literal('created')).transform(([, outcome, created]) => ({ result: { kind: 'settled' as const, outcome }, created: created !== undefined })),
  z.tuple([z.literal('busy'), z.number()]).transform(([, retryAfterMs]) => ({ result: { kind: 'busy' as const, retryAfterMs }, created: false })),
  z.tuple([z.literal('finished'), resetRecordPairs]).transform(([, record]) => ({ result: { kind: 'finished' as const, record }, created: false })),
]);

const decodeSettleReply = replyDecoder(settleScript, settleReply);

/** Runs the settle script on the reset's hash `record`; `clock` as `clockArgument` gives it. */
export function runSettle(redis: RedisClient, record: string, settle: SettleReset, clock: string, remember: boolean): Promise<Settled> {
  const args = [settle.resetId, settle.userId ?? '', JSON.stringify(settle.outcome), settle.ttlMs, clock, remember ? SETTLE.remember : SETTLE.forget];
  return runScript(redis, settleScript, [record], args, decodeSettleReply);
}
