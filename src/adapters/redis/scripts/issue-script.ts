import { z } from 'zod';
import type { IssueCode } from '../../../domain/ports.js';
import type { RedisClient } from '../redis-client.js';
import { resetRecordPairs } from '../reset-record-hash.js';
import { CLOCK_LUA, luaScript, runScript } from './lua-script.js';
import { replyDecoder } from './script-reply.js';

/**
 * KEYS: the reset's hash (one slot). ARGV: resetId, userId, digest, keyId, lifetimeMs, maxTries,
 * clock (`clockArgument`), owner, leaseMs, ttlMs. Writes the code and takes the lease unless the
 * reset has an outcome, is no longer pending, or another owner's lease still runs; the expiry and
 * the lease count from the script's clock. Making it the user's pending reset is a
 * later step in the user's slot (take-current-script).
 */
export const issueScript = luaScript('resetdIssue', `${CLOCK_LUA}
local record, now, owner = KEYS[1], clockNow(ARGV[7]), ARGV[8]
local f = redis.call('HMGET', record, 'state', 'outcome', 'owner', 'leaseUntil', 'issuedAt')
local state, outcome, holder, leaseUntil, issuedAt = f[1], f[2], f[3], f[4], f[5]
if outcome or (state and state ~= 'issued') then
  return {'finished', redis.call('HGETALL', record)}
end
if state == 'issued' and holder and holder ~= owner and leaseUntil and tonumber(leaseUntil) > now then
  return {'busy', tonumber(leaseUntil) - now}
end
issuedAt = tonumber(issuedAt) or now
local expiresAt = now + tonumber(ARGV[5])
local mailAttempts = redis.call('HINCRBY', record, 'mailAttempts', 1)
redis.call('HSET', record, 'resetId', ARGV[1], 'userId', ARGV[2], 'state', 'issued', 'digest', ARGV[3],
  'keyId', ARGV[4], 'expiresAt', string.format('%d', expiresAt), 'triesLeft', ARGV[6], 'owner', owner,
  'leaseUntil', string.format('%d', now + tonumber(ARGV[9])), 'issuedAt', string.format('%d', issuedAt))
redis.call('PEXPIRE', record, ARGV[10])
return {'issued', expiresAt, now - issuedAt, mailAttempts}
`);

/** `issued`: the code's expiry, ms since the reset's first code was made, mail attempts. The usual reply first: a union tries its options in order. */
const issueReply = z.union([
  z
    .tuple([z.literal('issued'), z.number(), z.number(), z.number()])
    .transform(([, expiresAt, sinceFirstIssueMs, mailAttempts]) => ({ kind: 'issued' as const, expiresAt, sinceFirstIssueMs, mailAttempts })),
  z.tuple([z.literal('finished'), resetRecordPairs]).transform(([, record]) => ({ kind: 'finished' as const, record })),
  z.tuple([z.literal('busy'), z.number()]).transform(([, retryAfterMs]) => ({ kind: 'busy' as const, retryAfterMs })),
]);

const decodeIssueReply = replyDecoder(issueScript, issueReply);

/** Runs the issue script on the reset's hash `record`; `clock` as `clockArgument` gives it. */
export function runIssue(redis: RedisClient, record: string, code: IssueCode, clock: string): Promise<z.output<typeof issueReply>> {
  const args = [code.resetId, code.userId, code.digest, code.keyId, code.lifetimeMs, code.maxTries, clock, code.owner, code.leaseMs, code.ttlMs];
  return runScript(redis, issueScript, [record], args, decodeIssueReply);
}
