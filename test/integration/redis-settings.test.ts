import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { warnAboutRedisSettings } from '../../src/app/redis-settings.js';
import { RedisServer } from '../support/processes.js';

describe('the check of a Redis server’s settings at start', () => {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;

  afterEach(async () => {
    redis?.disconnect();
    await server?.stop();
    server = undefined;
  });

  it('warns, once each, about eviction under maxmemory and, in production, about no AOF, reading INFO of the server itself', async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    await redis.config('SET', 'maxmemory', '100mb');
    await redis.config('SET', 'maxmemory-policy', 'volatile-lru');
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });

    await warnAboutRedisSettings(redis, true, log);

    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, expect.stringMatching(/^Redis evicts keys when it reaches maxmemory \(104857600 bytes, maxmemory-policy volatile-lru\)/)],
      [40, expect.stringMatching(/^Redis keeps no append-only file/)],
    ]);
  });
});
