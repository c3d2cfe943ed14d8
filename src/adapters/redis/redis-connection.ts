import { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { OneWritePerTickRedis } from './one-write-per-tick.js';
import type { RedisClient } from './redis-client.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Where Redis is: one server (`REDIS_URL`), a Redis Cluster (`REDIS_CLUSTER_NODES`, any of its
 * nodes; the rest are discovered), or the master a Sentinel group names (`REDIS_SENTINELS`,
 * `REDIS_SENTINEL_NAME`).
 */
export type RedisTopology =
  | { readonly kind: 'single' }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly HostPort[]; readonly name: string };

/** How often a lost node is tried again: every 200 ms growing to 2 s. */
const reconnectDelay = (times: number): number => Math.min(times * 200, 2_000);

/**
 * Makes the client for `topology`, not yet connected (`lazyConnect`): call `connect()`. `url` is
 * `REDIS_URL`; in Cluster and Sentinel mode only its scheme (rediss: TLS), user name and password
 * are used, for every node. `options` are the connection's own (timeouts, queueing); in Cluster
 * mode they apply to each node's connection.
 */
export function createRedisClient(topology: RedisTopology, url: string, options: RedisOptions): RedisClient {
  switch (topology.kind) {
    case 'single':
      return withDeadlines(options, (own) => new OneWritePerTickRedis(url, { lazyConnect: true, retryStrategy: reconnectDelay, ...own }));
    case 'sentinel': {
      // No Sentinel reachable at start fails the start at once, as one unreachable server does.
      // Once connected, the Sentinels are asked for ever: a connection attempt that gave up on them
      // would end the client for good (ioredis does not retry it).
      let connected = false;
      const client = withDeadlines(options, (own) => new OneWritePerTickRedis({
        lazyConnect: true,
        retryStrategy: reconnectDelay,
        ...credentialsOf(url),
        ...own,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.name,
        sentinelRetryStrategy: (times) => (connected ? reconnectDelay(times) : null),
        // No `failoverDetector`: its disconnect on +switch-master can land while a reconnection is
        // asking the Sentinels, which ends the client for good (seen in test/cluster). A dead
        // master closes the connection anyway; a master demoted to replica answers writes with
        // READONLY, and then the Sentinels are asked for the new one.
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
      }));
      client.once('ready', () => {
        connected = true;
      });
      return client;
    }
    case 'cluster': {
      const { enableOfflineQueue, ...nodeOptions } = options;
      const clusterOptions: ClusterOptions = {
        lazyConnect: true,
        // Not auto-pipelined: ioredis takes a pipeline's slot from a command's first argument,
        // which for resetd's scripts is the key count (redis/ioredis#2109), and the commands then
        // stall. Commands issued at once still go out without waiting for each other.
        enableAutoPipelining: false,
        enableOfflineQueue: enableOfflineQueue ?? true,
        clusterRetryStrategy: reconnectDelay,
        // While a replica takes over a failed master, a command for its slots is retried for a
        // moment (MOVED, CLUSTERDOWN, a closed connection), then fails and the message waits in JetStream.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        // Right after a failover, nodes may point at each other for a moment: do not ping-pong.
        retryDelayOnMoved: 100,
        maxRedirections: 16,
        slotsRefreshTimeout: 2_000,
        slotsRefreshInterval: 2_000,
        redisOptions: { ...credentialsOf(url), ...nodeOptions },
      };
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        clusterOptions,
      );
    }
  }
}

/**
 * Makes the client with `options`; without an offline queue (every command is written at once or
 * refused), its `commandTimeout` becomes one sweep of the written commands instead of a timer per command.
 */
function withDeadlines(options: RedisOptions, make: (own: RedisOptions) => OneWritePerTickRedis): OneWritePerTickRedis {
  const { commandTimeout, ...own } = options;
  if (commandTimeout === undefined || options.enableOfflineQueue !== false) return make(options);
  return make(own).failUnansweredAfter(commandTimeout);
}

/** The user name, password, TLS and database of a redis:// or rediss:// URL, for the nodes of a Cluster or Sentinel group. */
function credentialsOf(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls' | 'db'> {
  const parsed = new URL(url);
  const db = redisDatabaseOf(url);
  return {
    ...(db > 0 ? { db } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The database a redis:// URL's path names (`/2`), 0 without one; NaN for a path that is not a number. */
export function redisDatabaseOf(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, '');
  return path === '' ? 0 : /^\d+$/.test(path) ? Number(path) : Number.NaN;
}

/** Where the client goes, for messages: the URL (its password masked by the caller) or the node list. */
export function describeTopology(topology: RedisTopology, maskedUrl: string): string {
  const list = (nodes: readonly HostPort[]) => nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (topology.kind) {
    case 'single':
      return maskedUrl;
    case 'cluster':
      return `the Redis Cluster at ${list(topology.nodes)}`;
    case 'sentinel':
      return `master ${topology.name} of the Sentinels at ${list(topology.sentinels)}`;
  }
}

/** Parses `host:port,host:port` (IPv6 hosts in brackets); throws a message naming the bad entry. */
export function parseHostPorts(text: string): HostPort[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65_535) throw new Error(`"${entry}" is not host:port`);
      return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
    });
}
