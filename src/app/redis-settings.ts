import type { Logger } from 'pino';
import type { RedisClient } from '../adapters/redis/redis-client.js';

/**
 * What in a Redis server's settings would lose resetd's state, each in words an operator can act
 * on. Eviction: with `maxmemory` set, any policy but `noeviction` lets Redis drop keys under memory
 * pressure, and every key of resetd's has a TTL, so even the `volatile-*` policies take them: an
 * evicted window or cooldown lets through requests the limits would refuse, an evicted record
 * makes a mailed code answer `unknown_reset`. Persistence, in production (the contract asks for
 * AOF): without it a restart loses every code in flight. `info` is the text of `INFO memory` and
 * `INFO persistence`.
 */
export function redisSettingsProblems(info: string, production: boolean): string[] {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const problems: string[] = [];
  const maxmemory = Number(field('maxmemory') ?? '0');
  const policy = field('maxmemory_policy');
  if (maxmemory > 0 && policy !== undefined && policy !== 'noeviction') {
    problems.push(
      `Redis evicts keys when it reaches maxmemory (${maxmemory} bytes, maxmemory-policy ${policy}): a limit, a cooldown or a pending code may vanish; set maxmemory-policy noeviction (resetd then gets errors, and waits, rather than losing state)`,
    );
  }
  if (production && field('aof_enabled') === '0') {
    problems.push('Redis keeps no append-only file (appendonly no): a restart loses every code in flight and every limit; run it with appendonly yes');
  }
  return problems;
}

/**
 * Logs each problem of `redisSettingsProblems` once at start, as a warning: the service runs all the
 * same. A server that will not say (INFO renamed or refused, as some managed services do) is passed
 * over with a debug line.
 */
export async function warnAboutRedisSettings(redis: RedisClient, production: boolean, log: Logger): Promise<void> {
  let info: string;
  try {
    info = `${await redis.info('memory')}\n${await redis.info('persistence')}`;
  } catch (error) {
    log.debug({ err: error }, 'could not read the Redis server settings (INFO); not checked');
    return;
  }
  for (const problem of redisSettingsProblems(info, production)) log.warn(problem);
}
