import { z } from 'zod';
import type { RedisClient } from '../redis-client.js';
import { luaScript, runScript } from './lua-script.js';
import { replyDecoder } from './script-reply.js';

/**
 * KEYS: a counter. ARGV: how long a new counter lives (ms). Counts one and answers the count: a
 * window that starts with its first count and ends `ARGV[1]` later.
 */
export const countScript = luaScript('resetdCount', `
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
`);

const decodeCountReply = replyDecoder(countScript, z.number().int().positive());

export function runCount(redis: RedisClient, counter: string, windowMs: number): Promise<number> {
  return runScript(redis, countScript, [counter], [windowMs], decodeCountReply);
}
