import type { Result } from 'ioredis';
import { CLOCK_LUA, type LuaScript } from './lua-script.js';

/** `issued`: expiresAt, ms since the reset's first code was made, mail attempts. */
export type IssueReply = ['finished', string[]] | ['busy', number] | ['issued', number, number, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdIssue(
      record: string,
      ...args: [resetId: string, userId: string, digest: string, keyId: string, lifetimeMs: number, maxTries: number,
        clock: string, owner: string, leaseMs: number, ttlMs: number]
    ): Result<IssueReply, Context>;
  }
}

/**
 * KEYS: the reset's hash (one slot). ARGV: resetId, userId, digest, keyId, lifetimeMs, maxTries,
 * clock (`clockArgument`), owner, leaseMs, ttlMs. Writes the code and takes the lease unless the
 * reset has an outcome, is no longer pending, or another owner's lease still runs; the expiry and
 * the lease count from the script's clock. Making it the user's pending reset is a
 * later step in the user's slot (take-current-script).
 */
export const issueScript: LuaScript = {
  name: 'resetdIssue',
  numberOfKeys: 1,
  lua: `${CLOCK_LUA}
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
`,
};
