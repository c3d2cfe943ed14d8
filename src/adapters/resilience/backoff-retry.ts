import { ExponentialBackoff, halfJitterGenerator, retry, type Policy, type RetryPolicy } from 'cockatiel';

/** How a fault is tried again within one handling: tries in all, and the waits between them. */
export interface RetryOptions {
  /** Tries, the first included; 1 retries nothing. */
  readonly attempts: number;
  /**
   * The first wait between tries; each later one doubles, up to the maximum. Each wait is drawn
   * between half and all of that (half jitter), so instances do not retry in step and no retry is
   * immediate.
   */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** Retries the faults `handled` names, as `options` say. */
export function backoffRetry(handled: Policy, options: RetryOptions): RetryPolicy {
  return retry(handled, {
    maxAttempts: Math.max(0, options.attempts - 1),
    backoff: new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: options.initialBackoffMs, maxDelay: options.maxBackoffMs }),
  });
}
