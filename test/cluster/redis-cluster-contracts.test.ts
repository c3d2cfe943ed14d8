import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisCodeStore } from '../../src/adapters/redis/redis-code-store.js';
import { RedisNoticeLedger } from '../../src/adapters/redis/redis-notice-ledger.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import type { ScriptClock } from '../../src/adapters/redis/script-clock.js';
import { describeCodeStore } from '../support/contracts/code-store-contract.js';
import { describeNoticeLedger } from '../support/contracts/notice-ledger-contract.js';
import type { MakePort, PortUnderTest } from '../support/contracts/port-under-test.js';
import { describeRateLimiter } from '../support/contracts/rate-limiter-contract.js';
import { RedisClusterGroup } from '../support/clusters.js';
import { scriptClockOf } from '../support/redis.js';

/**
 * The ports' contracts once more on a Redis Cluster: each step's keys share a hash slot, and the
 * steps that span slots (issue, the layers of limits) hold their rules there too. One cluster for
 * the file, a key prefix per test; the cluster is thrown away with its keys.
 */
let cluster: RedisClusterGroup | undefined;

beforeAll(async () => {
  cluster = await RedisClusterGroup.start();
});

afterAll(async () => {
  await cluster?.close();
});

/** A port on the cluster under a prefix of its own, with as many clients as `another` asks for. */
function onCluster<Port>(adapter: (client: Cluster, prefix: string, clock: ScriptClock) => Port): MakePort<Port> {
  return async (clock): Promise<PortUnderTest<Port>> => {
    if (!cluster) throw new Error('the Redis Cluster did not start');
    const group = cluster;
    const prefix = `contract-${randomBytes(6).toString('hex')}`;
    const clients: Cluster[] = [];
    const instance = (): Port => {
      const client = group.client();
      clients.push(client);
      return adapter(client, prefix, scriptClockOf(clock));
    };
    return {
      port: instance(),
      another: instance,
      async close() {
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  };
}

describeCodeStore('RedisCodeStore on a Redis Cluster', onCluster((client, prefix, clock) => new RedisCodeStore(client, prefix, { clock })));
describeRateLimiter('RedisRateLimiter on a Redis Cluster', onCluster((client, prefix, clock) => new RedisRateLimiter(client, prefix, 64, clock)));
describeNoticeLedger('RedisNoticeLedger on a Redis Cluster', onCluster((client, prefix, clock) => new RedisNoticeLedger(client, prefix, clock)));
