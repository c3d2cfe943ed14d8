import type { RequestOutcome } from '../../domain/request-reset.js';

/** What becomes of an inbound message once it has been handled. */
export type Disposition = { readonly kind: 'ack' } | { readonly kind: 'nak'; readonly delayMs: number };

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Redelivery after a fault: grows with each delivery, with jitter so instances do not retry in step. */
export function faultBackoff(deliveryCount: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, deliveryCount - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function dispositionOf(outcome: RequestOutcome): Disposition {
  return outcome.kind === 'busy' ? { kind: 'nak', delayMs: outcome.retryAfterMs } : { kind: 'ack' };
}
