import { z } from 'zod';
import type { RateRule } from '../../../domain/policy.js';
import type { RedisClient } from '../redis-client.js';
import { CLOCK_LUA, luaScript, runScript } from './lua-script.js';
import { replyDecoder } from './script-reply.js';

/** Whether a layer holds the user's cooldown: its first key is then the cooldown key. Named, not '1' and '0'. */
export const COOLDOWN = { held: 'with-cooldown', none: 'no-cooldown' } as const;

/**
 * One layer of the limits, in one slot. KEYS: the user's cooldown key if the layer holds it, then one
 * sorted set per rule of the layer, then the layer's refusals hash of this period, of the one
 * before and of the one after (a caller whose clock is a little ahead may have written there).
 * ARGV: resetId, clock (`clockArgument`: the windows slide by it), cooldownMs, `COOLDOWN.held` or
 * `COOLDOWN.none`, then name, limit and windowMs of each rule in the order of its key, then how long this
 * period's refusals hash has left to live (ms: to the end of the next period), then how many refusals
 * it keeps at most.
 *
 * A reset this layer has counted already is admitted again for free (`admitted`), and one it
 * refused before is refused again with the same answer. Otherwise the layer counts the reset under every rule (and
 * starts the cooldown) only when every check passes (`counted`); a refusal writes one small field to the
 * refusals hash and nothing else, unless the hash is full: past its ceiling a flood's refusals are
 * not remembered, and a repeat of one is judged again (refused again while the flood lasts). An
 * earlier layer's count is undone by the release script.
 */
export const reserveScript = luaScript('resetdReserve', `${CLOCK_LUA}
local withCooldown = ARGV[4] == '${COOLDOWN.held}'
local resetId, now, cooldownMs = ARGV[1], clockNow(ARGV[2]), tonumber(ARGV[3])
local last, refusals = #KEYS - 3, KEYS[#KEYS - 2]
local first, holder = 1, nil
if withCooldown then
  first = 2
  holder = redis.call('GET', KEYS[1])
  if holder == resetId then
    return {'admitted'}
  end
end
for i = first, last do
  -- Counted before only while inside the window: an entry slid out but not yet trimmed is none.
  local score = redis.call('ZSCORE', KEYS[i], resetId)
  if score and tonumber(score) > now - tonumber(ARGV[4 + 3 * (i - first) + 3]) then
    return {'admitted'}
  end
end
local given = redis.call('HGET', refusals, resetId) or redis.call('HGET', KEYS[#KEYS - 1], resetId)
  or redis.call('HGET', KEYS[#KEYS], resetId)
if given then
  local reason, rule, retryAfterMs = string.match(given, '^(%S+) (%S+) (%d+)$')
  return {'refused', reason, rule, tonumber(retryAfterMs), 'remembered'}
end
local function refuse(reason, rule, retryAfterMs)
  local answer = string.format('%s %s %d', reason, rule, retryAfterMs)
  local kept = 'unstored'
  if redis.call('HLEN', refusals) < tonumber(ARGV[#ARGV]) then
    redis.call('HSET', refusals, resetId, answer)
    redis.call('PEXPIRE', refusals, ARGV[#ARGV - 1])
    kept = 'stored'
  end
  return {'refused', reason, rule, tonumber(string.format('%d', retryAfterMs)), kept}
end
if holder then
  return refuse('cooldown', 'cooldown', math.max(redis.call('PTTL', KEYS[1]), 1))
end
for i = first, last do
  local base = 4 + 3 * (i - first)
  local name, limit, window = ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local freeAt = oldest[2] and (tonumber(oldest[2]) + window) or (now + window)
    return refuse('rate_limited', name, math.max(freeAt - now, 1))
  end
end
for i = first, last do
  redis.call('ZADD', KEYS[i], now, resetId)
  redis.call('PEXPIRE', KEYS[i], ARGV[4 + 3 * (i - first) + 3])
end
if first == 2 and cooldownMs > 0 then
  redis.call('SET', KEYS[1], resetId, 'PX', cooldownMs)
end
return {'counted'}
`);

const reason = z.enum(['cooldown', 'rate_limited']);
/**
 * A refusal ends with what became of it: `remembered` (given before, repeated now), `stored` (new,
 * and written to the refusals hash) or `unstored` (new, past a ceiling).
 */
const reserveReply = z.union([
  // Counted now, or before (a repeat): only what was counted now is this admission's to release.
  z.tuple([z.literal('counted')]).transform(() => ({ kind: 'admitted' as const, counted: true })),
  z.tuple([z.literal('admitted')]).transform(() => ({ kind: 'admitted' as const, counted: false })),
  z.tuple([z.literal('refused'), reason, z.string(), z.number(), z.enum(['remembered', 'stored', 'unstored'])]).transform(([, why, rule, retryAfterMs, kept]) => ({
    kind: 'refused' as const,
    reason: why,
    rule,
    retryAfterMs,
    remembered: kept === 'remembered',
    stored: kept === 'stored',
  })),
]);
export type ReserveReply = z.output<typeof reserveReply>;

/** One layer's keys (each in the layer's slot) and what the script needs to judge them. */
export interface Reserve {
  /** The user's cooldown key, when the layer holds it. */
  readonly cooldownKey?: string;
  /** One sorted set per rule, in the order of `rules`. */
  readonly windows: readonly string[];
  readonly rules: readonly RateRule[];
  /** The layer's refusals hashes of this period, the one before and the one after. */
  readonly refusals: readonly [string, string, string];
  readonly resetId: string;
  /** `clockArgument`. */
  readonly clock: string;
  readonly cooldownMs: number;
  /** How long this period's refusals hash has left to live. */
  readonly refusalsTtlMs: number;
  /** The most refusals one hash keeps. */
  readonly refusalsKept: number;
}

/** A layer's cooldown key (if it holds one) and windows, as KEYS begin, and the flag that says which. Shared with the release script. */
export function layerKeys(layer: Pick<Reserve, 'cooldownKey' | 'windows'>): { readonly keys: string[]; readonly cooldown: string } {
  return layer.cooldownKey === undefined
    ? { keys: [...layer.windows], cooldown: COOLDOWN.none }
    : { keys: [layer.cooldownKey, ...layer.windows], cooldown: COOLDOWN.held };
}

const decodeReserveReply = replyDecoder(reserveScript, reserveReply);

export function runReserve(redis: RedisClient, reserve: Reserve): Promise<ReserveReply> {
  const { keys, cooldown } = layerKeys(reserve);
  keys.push(...reserve.refusals);
  const args: (string | number)[] = [reserve.resetId, reserve.clock, reserve.cooldownMs, cooldown];
  for (const rule of reserve.rules) args.push(rule.name, rule.limit, rule.windowMs);
  args.push(reserve.refusalsTtlMs, reserve.refusalsKept);
  return runScript(redis, reserveScript, keys, args, decodeReserveReply);
}
