import { z } from 'zod';
import type { RedisClient } from '../redis-client.js';
import { luaScript, runScript } from './lua-script.js';
import { replyDecoder } from './script-reply.js';

/**
 * KEYS: a counter. ARGV: how many to add, how long a new counter lives (ms). Answers the count: a
 * window that starts with its first count and ends `ARGV[2]` later.
 */
export const countScript = luaScript('resetdCount', `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return count
`);

const decodeCountReply = replyDecoder(countScript, z.number().int().positive());

export function runCount(redis: RedisClient, counter: string, added: number, windowMs: number): Promise<number> {
  return runScript(redis, countScript, [counter], [added, windowMs], decodeCountReply);
}
