import type { NatsConnection } from '@nats-io/transport-node';
import type { RedisClient } from '../adapters/redis/redis-client.js';
import type { BreakerState } from '../adapters/resilience/mail-breaker.js';
import type { ReadinessCheck } from './ops-server.js';

export interface ReadinessParts {
  readonly nc: NatsConnection;
  readonly redis: RedisClient;
  /** Why mail cannot be handed over now (the server not reached since start, the breaker not closed), or undefined. */
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

/**
 * Why mail cannot go out now: the server not reached since start, or a breaker that is not
 * closed. Half-open is not usable yet either: its probe is out, and against a server that takes
 * the connection and never greets it stays out for the whole timeout.
 */
export function smtpProblem(startCheckReason: string | undefined, breaker: BreakerState): string | undefined {
  return startCheckReason ?? (breaker === 'closed' ? undefined : `the SMTP circuit breaker is ${breaker}: sends failed in a row`);
}

