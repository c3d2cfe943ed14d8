import { MailUnavailableError } from '../../domain/errors.js';
import type { RequestOutcome } from '../../domain/request-reset.js';

/**
 * What becomes of an inbound message once it has been handled. Malformed and refused messages are
 * acked once their rejection is published: redelivering them could only repeat the rejection.
 */
export type Disposition = { readonly kind: 'ack' } | { readonly kind: 'nak'; readonly delayMs: number };

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Redelivery after a fault: grows with each delivery, with jitter so instances do not retry in step. */
function faultBackoff(deliveryCount: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, deliveryCount - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export function dispositionOf(outcome: RequestOutcome): Disposition {
  return outcome.kind === 'busy' ? { kind: 'nak', delayMs: outcome.retryAfterMs } : { kind: 'ack' };
}

/** A fault is transient: try again later. A mailer held back by its breaker knows when its next probe is due. */
export function faultDisposition(error: unknown, deliveryCount: number, options: BackoffOptions): Extract<Disposition, { kind: 'nak' }> {
  const delayMs = (error instanceof MailUnavailableError ? error.retryAfterMs : undefined) ?? faultBackoff(deliveryCount, options);
  return { kind: 'nak', delayMs };
}
