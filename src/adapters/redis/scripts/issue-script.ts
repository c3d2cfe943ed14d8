import type { Result } from 'ioredis';
import type { LuaScript } from './lua-script.js';

export type IssueReply =
  | ['retry']
  | ['finished', string[]]
  | ['busy', number]
  | ['issued', string, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    resetdIssue(
      record: string,
      current: string,
      previous: string,
      ...args: [resetId: string, userId: string, digest: string, keyId: string, expiresAt: number, maxTries: number,
        now: number, owner: string, leaseUntil: number, ttlMs: number, expectedCurrent: string]
    ): Result<IssueReply, Context>;
  }
}

/**
 * KEYS: the reset's hash, the user's `current` key, the hash of the reset `current` named when the
 * caller read it (the reset's own hash when none). If `current` has changed since, nothing is
 * touched and the caller reads it again: the script only writes keys it was given.
 */
export const issueScript: LuaScript = {
  name: 'resetdIssue',
  numberOfKeys: 3,
  lua: `
local record, current, previous = KEYS[1], KEYS[2], KEYS[3]
local resetId, now, owner, ttl, expected = ARGV[1], tonumber(ARGV[7]), ARGV[8], ARGV[10], ARGV[11]
if (redis.call('GET', current) or '') ~= expected then
  return {'retry'}
end
local f = redis.call('HMGET', record, 'state', 'outcome', 'owner', 'leaseUntil', 'issuedAt')
local state, outcome, holder, leaseUntil, issuedAt = f[1], f[2], f[3], f[4], f[5]
if outcome or (state and state ~= 'issued') then
  return {'finished', redis.call('HGETALL', record)}
end
if state == 'issued' and holder and holder ~= owner and leaseUntil and tonumber(leaseUntil) > now then
  return {'busy', tonumber(leaseUntil) - now}
end
issuedAt = issuedAt or ARGV[7]
local mailAttempts = redis.call('HINCRBY', record, 'mailAttempts', 1)
redis.call('HSET', record, 'resetId', resetId, 'userId', ARGV[2], 'state', 'issued', 'digest', ARGV[3],
  'keyId', ARGV[4], 'expiresAt', ARGV[5], 'triesLeft', ARGV[6], 'owner', owner, 'leaseUntil', ARGV[9],
  'issuedAt', issuedAt)
redis.call('PEXPIRE', record, ttl)
if expected ~= '' and expected ~= resetId then
  local previousState = redis.call('HGET', previous, 'state')
  if previousState == 'issued' or previousState == 'sent' then
    redis.call('HSET', previous, 'state', 'superseded')
    redis.call('HDEL', previous, 'digest')
  end
end
redis.call('SET', current, resetId, 'PX', ttl)
return {'issued', issuedAt, mailAttempts}
`,
};
