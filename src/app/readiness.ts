import type { NatsConnection } from '@nats-io/transport-node';
import type { RedisClient } from '../adapters/redis/redis-client.js';
import type { BreakerState } from '../adapters/resilience/mail-breaker.js';
import type { NatsLink } from './nats-link.js';
import type { ReadinessCheck } from './ops-server.js';
import { RoundTripProbe } from './round-trip-probe.js';

export interface ReadinessParts {
  readonly nc: NatsConnection;
  readonly natsLink: NatsLink;
  readonly redis: RedisClient;
  /** Why mail cannot be handed over now (the server not reached since start, the breaker not closed), or undefined. */
  readonly mailProblem: () => string | undefined;
  /** False before the service has started and once it drains. */
  readonly serving: () => boolean;
}

/**
 * What `/readyz` checks, each from state kept up to date in the background, so a request never
 * waits on a server: what the clients know of their connections (a lost one shows within
 * moments) and, for NATS and Redis, whether the server still answers a round trip
 * (`RoundTripProbe`: a hung one shows within 1.5 s). The probes end with their connections.
 */
export function readinessChecks(parts: ReadinessParts): ReadinessCheck[] {
  const { nc, natsLink, redis } = parts;
  // flush() is a PING and its PONG; the client's own pings, minutes apart, stay as they are.
  const natsAnswers = new RoundTripProbe(() => nc.flush());
  void nc.closed().then(() => natsAnswers.stop());
  const redisAnswers = new RoundTripProbe(() => redis.ping());
  redis.once('end', () => redisAnswers.stop());
  return [
    probedCheck('nats', () => natsLink.connected && !nc.isClosed(), natsAnswers),
    probedCheck('redis', () => redis.status === 'ready', redisAnswers),
    { name: 'smtp', ready: () => parts.mailProblem() === undefined, reason: parts.mailProblem },
    { name: 'service', ready: parts.serving },
  ];
}

/** Ready while connected and the server answers; the reason names a hung server, which the connection alone does not show. */
function probedCheck(name: string, connected: () => boolean, answers: RoundTripProbe): ReadinessCheck {
  return {
    name,
    ready: () => connected() && answers.answering(),
    reason: () => (connected() && !answers.answering() ? 'connected, but the server has stopped answering PINGs (hung, or cut off without the connection closing)' : undefined),
  };
}

/**
 * Why mail cannot go out now: the SMTP server not reached since start, or a breaker that is not
 * closed (the outbox's too: a directory removed or a disk full after the start). Half-open is not
 * usable yet either: its probe is out, and against a server that takes the connection and never
 * greets it stays out for the whole timeout.
 */
export function mailProblem(startCheckReason: string | undefined, breaker: BreakerState, mailer: 'SMTP' | 'outbox'): string | undefined {
  if (startCheckReason !== undefined) return startCheckReason;
  return breaker === 'closed' ? undefined : `the ${mailer} circuit breaker is ${breaker}: ${mailer === 'SMTP' ? 'sends' : 'writes to MAIL_OUTBOX_DIR'} failed in a row`;
}

