import type { NatsConnection } from '@nats-io/transport-node';
import type { RedisClient } from '../adapters/redis/redis-client.js';
import type { ReadinessCheck } from './ops-server.js';

export interface ReadinessParts {
  readonly nc: NatsConnection;
  readonly redis: RedisClient;
  /** Why mail cannot be handed over now (the server not reached since start, the breaker open), or undefined. */
  readonly mailProblem: () => string | undefined;
  /** False before the service has started and once it drains. */
  readonly serving: () => boolean;
}

/**
 * What `/readyz` checks, each from state the clients keep up to date as connections drop and
 * return (no round trip per probe), so a lost server shows within moments.
 */
export function readinessChecks(parts: ReadinessParts): ReadinessCheck[] {
  return [
    natsCheck(parts.nc),
    { name: 'redis', ready: () => parts.redis.status === 'ready' },
    { name: 'smtp', ready: () => parts.mailProblem() === undefined, reason: parts.mailProblem },
    { name: 'service', ready: parts.serving },
  ];
}

function natsCheck(nc: NatsConnection): ReadinessCheck {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })();
  return { name: 'nats', ready: () => connected && !nc.isClosed() };
}
