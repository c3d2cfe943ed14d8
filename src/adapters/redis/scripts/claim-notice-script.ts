import { z } from 'zod';
import type { NoticeClaim, NoticeClaimResult } from '../../../domain/ports.js';
import type { RedisClient } from '../redis-client.js';
import { CLOCK_LUA, luaScript, runScript } from './lua-script.js';
import { replyDecoder, storedOutcome } from './script-reply.js';

/**
 * KEYS: the notice's hash. ARGV: noticeId, userId, owner, clock (`clockArgument`), leaseMs, ttlMs. The hash uses a
 * reset's field names (`state` `issued` while mailing, `owner`, `leaseUntil`, `outcome`), so the
 * finish script ends it as it ends a reset. `issuedAt` keeps the first claim's time.
 */
export const claimNoticeScript = luaScript('resetdClaimNotice', `${CLOCK_LUA}
local record, owner, now = KEYS[1], ARGV[3], clockNow(ARGV[4])
local f = redis.call('HMGET', record, 'outcome', 'owner', 'leaseUntil', 'issuedAt')
local outcome, holder, leaseUntil, issuedAt = f[1], f[2], f[3], f[4]
if outcome then
  return {'finished', outcome}
end
if holder and holder ~= owner and leaseUntil and tonumber(leaseUntil) > now then
  return {'busy', tonumber(leaseUntil) - now}
end
issuedAt = tonumber(issuedAt) or now
local mailAttempts = redis.call('HINCRBY', record, 'mailAttempts', 1)
redis.call('HSET', record, 'noticeId', ARGV[1], 'userId', ARGV[2], 'state', 'issued', 'owner', owner,
  'leaseUntil', string.format('%d', now + tonumber(ARGV[5])), 'issuedAt', string.format('%d', issuedAt))
redis.call('PEXPIRE', record, ARGV[6])
return {'claimed', issuedAt, now - issuedAt, mailAttempts}
`);

/** `claimed`: the first claim's time, ms since then, mail attempts. */
const claimNoticeReply: z.ZodType<NoticeClaimResult> = z.union([
  z.tuple([z.literal('finished'), storedOutcome]).transform(([, outcome]) => ({ kind: 'finished' as const, outcome })),
  z.tuple([z.literal('busy'), z.number()]).transform(([, retryAfterMs]) => ({ kind: 'busy' as const, retryAfterMs })),
  z
    .tuple([z.literal('claimed'), z.number(), z.number(), z.number()])
    .transform(([, claimedAt, sinceFirstClaimMs, mailAttempts]) => ({ kind: 'claimed' as const, claimedAt, sinceFirstClaimMs, mailAttempts })),
]);

const decodeClaimNoticeReply = replyDecoder(claimNoticeScript, claimNoticeReply);

/** Runs the claim script on the notice's hash `record`; `clock` as `clockArgument` gives it. */
export function runClaimNotice(redis: RedisClient, record: string, claim: NoticeClaim, clock: string): Promise<NoticeClaimResult> {
  return runScript(redis, claimNoticeScript, [record], [claim.noticeId, claim.userId, claim.owner, clock, claim.leaseMs, claim.ttlMs], decodeClaimNoticeReply);
}
