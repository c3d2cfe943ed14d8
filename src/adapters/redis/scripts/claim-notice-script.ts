import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

export type ClaimNoticeReply = ['finished', string] | ['busy', number] | ['claimed', string, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdClaimNotice(
      record: string,
      ...args: [noticeId: string, userId: string, owner: string, now: number, leaseUntil: number, ttlMs: number]
    ): Result<ClaimNoticeReply, Context>;
  }
}

/**
 * KEYS: the notice's hash. ARGV: noticeId, userId, owner, now, leaseUntil, ttlMs. The hash uses a
 * reset's field names (`state` `issued` while mailing, `owner`, `leaseUntil`, `outcome`), so the
 * finish script ends it as it ends a reset. `issuedAt` keeps the first claim's time.
 */
export const claimNoticeScript: LuaScript = {
  name: 'resetdClaimNotice',
  numberOfKeys: 1,
  lua: `
local record, owner, now = KEYS[1], ARGV[3], tonumber(ARGV[4])
local f = redis.call('HMGET', record, 'outcome', 'owner', 'leaseUntil', 'issuedAt')
local outcome, holder, leaseUntil, issuedAt = f[1], f[2], f[3], f[4]
if outcome then
  return {'finished', outcome}
end
if holder and holder ~= owner and leaseUntil and tonumber(leaseUntil) > now then
  return {'busy', tonumber(leaseUntil) - now}
end
issuedAt = issuedAt or ARGV[4]
local mailAttempts = redis.call('HINCRBY', record, 'mailAttempts', 1)
redis.call('HSET', record, 'noticeId', ARGV[1], 'userId', ARGV[2], 'state', 'issued', 'owner', owner,
  'leaseUntil', ARGV[5], 'issuedAt', issuedAt)
redis.call('PEXPIRE', record, ARGV[6])
return {'claimed', issuedAt, mailAttempts}
`,
};
