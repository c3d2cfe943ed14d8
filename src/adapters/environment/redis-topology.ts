import { parseHostPorts, redisDatabaseOf, type RedisTopology } from '../redis/redis-connection.js';
import { ConfigError } from './config-error.js';
import type { Env } from './env-schema.js';

/** REDIS_CLUSTER_NODES or REDIS_SENTINELS (not both) replace REDIS_URL's host; else the one server of REDIS_URL. */
export function readRedisTopology(env: Pick<Env, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME'>): RedisTopology {
  if (env.REDIS_CLUSTER_NODES !== undefined && env.REDIS_SENTINELS !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set; set one');
  }
  const db = redisDatabaseOf(env.REDIS_URL);
  if (Number.isNaN(db)) {
    throw new ConfigError(`REDIS_URL's path is the database number, e.g. redis://host:6379/0 (got "${new URL(env.REDIS_URL).pathname}")`);
  }
  if (env.REDIS_CLUSTER_NODES !== undefined && db > 0) {
    throw new ConfigError(`REDIS_URL names database ${db}, but a Redis Cluster has only database 0: drop it (REDIS_KEY_PREFIX keeps deployments apart)`);
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) return { kind: 'cluster', nodes: parseHostPorts(env.REDIS_CLUSTER_NODES) };
  if (env.REDIS_SENTINELS !== undefined) return { kind: 'sentinel', sentinels: parseHostPorts(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME };
  return { kind: 'single' };
}
