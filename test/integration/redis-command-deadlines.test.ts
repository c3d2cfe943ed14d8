import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisServer } from '../support/processes.js';

/** Timers keeping the process alive now: ioredis's per-command timers are among them, the sweep (unref'd) is not. */
const liveTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('command deadlines (commandTimeout without an offline queue)', () => {
  let server: RedisServer | undefined;
  let client: Redis | undefined;

  afterEach(async () => {
    server?.resume();
    client?.disconnect();
    await server?.close();
    server = undefined;
    client = undefined;
  });

  const connect = async (options: { enableOfflineQueue: boolean; commandTimeout: number }, wait = true) => {
    server = await RedisServer.start();
    client = createRedisClient({ kind: 'single' }, server.url, { maxRetriesPerRequest: 1, ...options }) as Redis;
    if (wait) await client.connect();
    return client;
  };

  it('fails a command a frozen Redis leaves unanswered with "Command timed out" once its deadline has passed, and serves again once Redis answers', async () => {
    const redis = await connect({ enableOfflineQueue: false, commandTimeout: 500 });
    await redis.set('answered', '1');
    server!.pause();
    const sent = Date.now();
    const outcomes = await Promise.allSettled([redis.get('answered'), redis.incr('count')]);
    const waited = Date.now() - sent;
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error).message : outcome.value))).toEqual([
      'Command timed out',
      'Command timed out',
    ]);
    // Not before the deadline; within a sweep of it (a generous bound: the machine may be busy).
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(waited).toBeLessThan(2_000);
    server!.resume();
    expect(await redis.get('answered')).toBe('1');
  });

  it('answers commands within their deadline as usual, and sets no timer per command', async () => {
    const redis = await connect({ enableOfflineQueue: false, commandTimeout: 5_000 });
    await redis.ping();
    const before = liveTimers();
    const replies = Promise.all(Array.from({ length: 50 }, (_, index) => redis.incr(`n${index % 5}`)));
    expect(liveTimers() - before).toBe(0);
    expect((await replies).slice(0, 10)).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  });

  it('leaves a client with an offline queue to ioredis: a timer per command, which also fails commands still waiting to be sent', async () => {
    const redis = await connect({ enableOfflineQueue: true, commandTimeout: 300 }, false);
    // Frozen before the handshake: the connection never becomes ready, commands wait in the offline queue.
    server!.pause();
    void redis.connect().catch(() => undefined);
    const before = liveTimers();
    const waiting = Promise.allSettled([redis.get('a'), redis.get('b')]);
    expect(liveTimers() - before).toBeGreaterThanOrEqual(2);
    expect((await waiting).map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error).message : 'answered'))).toEqual([
      'Command timed out',
      'Command timed out',
    ]);
  });
});
