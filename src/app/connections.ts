import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { maskUrl } from './mask-url.js';

export { maskUrl };

export interface Connections {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly redis: Redis;
}

/** A server that cannot be reached at start; its message names the URL without a password. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/**
 * Opens the connections to NATS and Redis. Both keep reconnecting by themselves afterwards, and
 * each loss and return is logged once.
 */
export async function openConnections(config: Config, log: Logger): Promise<Connections> {
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    // While Redis is away, commands fail at once so messages are redelivered later, not held here.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that hangs without closing the connection (frozen, partitioned) fails the command
    // instead of holding the message, or a `reset.verify`, for ever.
    commandTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  watchRedis(redis, log);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new UnreachableError(`cannot reach Redis at ${maskUrl(config.redisUrl)}: ${(error as Error).message}`, { cause: error });
  }
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: config.natsServers, name: config.serviceName, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  } catch (error) {
    await redis.quit();
    throw new UnreachableError(`cannot reach NATS at ${config.natsServers.map(maskUrl).join(',')}: ${(error as Error).message}`, { cause: error });
  }
  watchNats(nc, log);
  return { nc, js: jetstream(nc), redis };
}

function watchRedis(redis: Redis, log: Logger): void {
  let lost = false;
  redis.on('ready', () => {
    if (lost) log.info('Redis connection regained');
    lost = false;
  });
  redis.on('close', () => {
    if (!lost) log.warn('Redis connection lost; reconnecting');
    lost = true;
  });
  // ioredis reports each failed reconnect; the transitions above are what an operator needs.
  redis.on('error', () => undefined);
}

function watchNats(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') log.warn({ server: status.server }, 'NATS connection lost; reconnecting');
      else if (status.type === 'reconnect') log.info({ server: status.server }, 'NATS connection regained');
    }
  })();
}
