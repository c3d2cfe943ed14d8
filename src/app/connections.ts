import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { RedisClient } from '../adapters/redis/redis-client.js';
import { createRedisClient, describeTopology, redisDatabaseOf } from '../adapters/redis/redis-connection.js';
import { natsConnectFailure, natsConnectFailureLine } from '../contract/nats-connect-failure.js';
import { type Config } from './config.js';
import { ConfigError } from '../adapters/environment/config-error.js';
import { maskUrl } from '../contract/mask-url.js';
import { natsSecurityOptions, natsSettingsHint } from '../adapters/environment/nats-security.js';
import { deploymentEventIdKey } from '../adapters/redis/deployment-event-id-key.js';
import { redisConnectFailureLine, redisSecurityOptions, redisUnreachableHint } from '../adapters/environment/redis-security.js';
import { warnAboutRedisSettings } from './redis-settings.js';
import { NatsLink } from './nats-link.js';

export interface Connections {
  readonly nc: NatsConnection;
  /** Whether `nc` is up: the one reading of its status, for every part that asks. */
  readonly natsLink: NatsLink;
  readonly js: JetStreamClient;
  /** One server, the Sentinel group's master, or a Redis Cluster, as configured. */
  readonly redis: RedisClient;
  /** The deployment's secret for outbound event ids, which Redis keeps for every instance (`deploymentEventIdKey`). */
  readonly eventIdKey: string;
}

/** A server that cannot be reached, or refuses the login or TLS, at start; its message names the URL without a password, and no secret. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/**
 * Opens the connections to NATS and Redis. Both keep reconnecting by themselves afterwards, and
 * each loss and return is logged once. When `signal` aborts (a stop during the start, whose caller
 * then no longer waits), what is open is closed at once, and NATS as soon as it connects.
 */
export async function openConnections(config: Config, log: Logger, signal?: AbortSignal): Promise<Connections> {
  const redis = createRedisClient(config.redisTopology, config.redisUrl, {
    ...redisSecurityOptions(config.redisSecurity),
    // While Redis is away, commands fail at once so messages are redelivered later, not held here.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that hangs without closing the connection (frozen, partitioned) fails the command
    // instead of holding the message, or a `reset.verify`, for ever.
    commandTimeout: 5_000,
  });
  let nc: NatsConnection | undefined;
  const abandon = () => {
    redis.disconnect();
    void nc?.close();
  };
  signal?.addEventListener('abort', abandon, { once: true });
  // connect() fails with "Connection is closed"; the error event before it says why (NOAUTH, a refused certificate…).
  let firstError: Error | undefined;
  const remember = (error: Error) => (firstError ??= error);
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const where = describeTopology(config.redisTopology, maskUrl(config.redisUrl));
    throw new UnreachableError(redisConnectFailureLine(firstError ?? error, where, redisUnreachableHint(config.redisTopology.kind, config.redisUrl)), { cause: error });
  } finally {
    redis.off('error', remember);
  }
  // From here on: a start that cannot connect says so in its one line, not in log lines before it.
  watchRedis(redis, log);
  await checkDatabase(redis, config);
  await warnAboutRedisSettings(redis, config.production, log);
  const eventIdKey = await deploymentEventIdKey(redis, config.redisKeyPrefix);
  try {
    nc = await connect({
      servers: config.natsServers,
      name: config.serviceName,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // Otherwise every request (each JetStream publish) builds two Error objects, stack traces and
      // all, in case it fails or times out; the errors keep their messages without them.
      noAsyncTraces: true,
      ...natsSecurityOptions(config.natsSecurity),
    });
  } catch (error) {
    await redis.quit();
    const line = natsConnectFailureLine(error, config.natsServers.map(maskUrl).join(','));
    throw new UnreachableError(`${line}; ${natsSettingsHint(natsConnectFailure(error))}`, { cause: error });
  }
  if (signal?.aborted) {
    // Connected after the stop: no one waits for it any more.
    abandon();
    signal.throwIfAborted();
  }
  try {
    // Asks the server for the account's JetStream use: a server without it answers no one.
    await jetstreamManager(nc, { timeout: 5_000 });
  } catch (error) {
    await Promise.all([nc.close(), redis.quit()]);
    if (!(error instanceof Error && error.name === 'JetStreamNotEnabled')) throw error;
    const where = config.natsServers.map(maskUrl).join(',');
    throw new UnreachableError(`the NATS server at ${where} runs without JetStream: run it with JetStream (-js), or set NATS_URL to one that does`, { cause: error });
  }
  // From here the caller closes them, on its own stop.
  signal?.removeEventListener('abort', abandon);
  const natsLink = new NatsLink(nc.status());
  watchNats(natsLink, log);
  return { nc, natsLink, js: jetstream(nc), redis, eventIdKey };
}

function watchRedis(redis: RedisClient, log: Logger): void {
  let lost = false;
  let causeTold = false;
  redis.on('ready', () => {
    if (lost) log.info('Redis connection regained');
    lost = false;
    causeTold = false;
  });
  redis.on('close', () => {
    if (!lost) log.warn('Redis connection lost; reconnecting');
    lost = true;
  });
  // ioredis reports each failed reconnect: the first of an outage says why (a password rotated
  // under the service, a certificate expired, a refused connection), the rest repeat it.
  redis.on('error', (error: Error) => {
    if (causeTold) return;
    causeTold = true;
    log.warn({ err: error }, 'Redis error; reconnecting until it is fixed');
  });
  // A Cluster stays ready while one master fails over; its nodes coming and going is what shows it.
  redis.on('-node', (node: { options?: { host?: string; port?: number } }) => log.warn({ node: `${node.options?.host}:${node.options?.port}` }, 'Redis Cluster node left'));
  redis.on('+node', (node: { options?: { host?: string; port?: number } }) => {
    if (redis.status === 'ready') log.info({ node: `${node.options?.host}:${node.options?.port}` }, 'Redis Cluster node joined');
  });
}

function watchNats(natsLink: NatsLink, log: Logger): void {
  natsLink.onChange((connected, status) => {
    // A stale connection (the server stopped answering pings) names no server; its drop follows.
    const server = 'server' in status ? status.server : undefined;
    if (connected) log.info({ server }, 'NATS connection regained');
    else log.warn({ server, status: status.type }, 'NATS connection lost; reconnecting');
  });
}

/**
 * ioredis selects REDIS_URL's database once connected, and when the server refuses (a number past
 * its `databases`) it stays on database 0 without a word: the keys would land beside another
 * deployment's. Selecting it again here makes that refusal a start error.
 */
async function checkDatabase(redis: RedisClient, config: Config): Promise<void> {
  const db = redisDatabaseOf(config.redisUrl);
  if (config.redisTopology.kind === 'cluster' || db === 0) return;
  try {
    await redis.call('select', String(db));
  } catch (error) {
    redis.disconnect();
    throw new ConfigError(`REDIS_URL names database ${db}, which the Redis server refused: ${(error as Error).message} (it has 16 unless its databases setting says otherwise)`);
  }
}

