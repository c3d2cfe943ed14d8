import type { Redis } from 'ioredis';
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisServer } from '../support/processes.js';

/** Timers keeping the process alive now: ioredis's per-command timers are among them, the sweep (unref'd) is not. */
const liveTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('command deadlines (commandTimeout without an offline queue)', () => {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  let proxy: Server | undefined;

  afterEach(async () => {
    server?.resume();
    client?.disconnect();
    proxy?.close();
    proxy = undefined;
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

  it('fails a command cut off by a lost connection when the next one connects and never becomes ready (a proxy before a dead Redis)', async () => {
    server = await RedisServer.start();
    const { port } = new URL(server.url);
    // The first connection goes through to Redis; once Redis is "dead", replies stop and later
    // connections are taken and never answered, as a sidecar in front of a dead Redis does.
    let dead = false;
    const clients: Socket[] = [];
    proxy = createServer((socket) => {
      clients.push(socket);
      socket.on('error', () => undefined);
      if (dead) return;
      const upstream = connectTcp(Number(port), '127.0.0.1');
      upstream.on('error', () => undefined);
      socket.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => dead || socket.write(chunk));
      socket.on('close', () => upstream.destroy());
    });
    await new Promise<void>((listening) => proxy!.listen(0, '127.0.0.1', listening));
    const address = proxy.address() as { port: number };
    client = createRedisClient({ kind: 'single' }, `redis://127.0.0.1:${address.port}`, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 500 }) as Redis;
    client.on('error', () => undefined);
    await client.connect();
    await client.set('k', '1');

    dead = true;
    const sent = Date.now();
    const cutOff = client.get('k').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    setTimeout(() => clients[0]!.destroy(), 100);
    const outcome = await Promise.race([cutOff, new Promise((resolve) => setTimeout(() => resolve('still pending'), 5_000))]);

    expect(outcome).toBe('Command timed out');
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(clients.length).toBeGreaterThan(1);
  });
});
