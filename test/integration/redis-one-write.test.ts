import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OneWritePerTickRedis } from '../../src/adapters/redis/one-write-per-tick.js';
import { openTestRedis, type TestRedis } from '../support/redis.js';

/** How many times the socket hands data to the kernel (`_write` or `_writev`) from now on. */
function countSocketWrites(client: Redis): () => number {
  const socket = client.stream as Socket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method].bind(socket);
    socket[method] = (...args: unknown[]) => {
      writes += 1;
      original(...args);
    };
  }
  return () => writes;
}

describe('OneWritePerTickRedis', () => {
  let redis: TestRedis;
  let client: OneWritePerTickRedis;

  beforeEach(async () => {
    redis = await openTestRedis();
    client = new OneWritePerTickRedis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });

  afterEach(async () => {
    client.disconnect();
    await redis.close();
  });

  it('sends the commands of one turn of the event loop in one write, in order', async () => {
    const writes = countSocketWrites(client);
    const key = `${redis.prefix}:list`;
    const replies = await Promise.all([client.rpush(key, 'a'), client.rpush(key, 'b'), client.rpush(key, 'c'), client.lrange(key, 0, -1)]);
    expect(replies).toEqual([1, 2, 3, ['a', 'b', 'c']]);
    expect(writes()).toBe(1);
  });

  it('where a plain client writes each command on its own', async () => {
    const plain = redis.connect();
    await plain.ping();
    const writes = countSocketWrites(plain);
    await Promise.all([plain.ping(), plain.ping(), plain.ping()]);
    expect(writes()).toBe(3);
  });

  it('holds nothing back past its turn: a command after an await leaves in a write of its own', async () => {
    const writes = countSocketWrites(client);
    const key = `${redis.prefix}:n`;
    expect(await client.incr(key)).toBe(1);
    expect(await client.incr(key)).toBe(2);
    expect(writes()).toBe(2);
  });

  it('leaves transactions and commands queued before the connection is ready working', async () => {
    const key = `${redis.prefix}:tx`;
    expect(await client.multi().set(key, '1').incr(key).exec()).toEqual([
      [null, 'OK'],
      [null, 2],
    ]);
    const late = new OneWritePerTickRedis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      // lazyConnect: the first command connects, and both wait in the offline queue meanwhile.
      expect(await Promise.all([late.get(key), late.incr(key)])).toEqual(['2', 3]);
    } finally {
      late.disconnect();
    }
  });
});
