import { JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';

/**
 * Whether a JetStream request failed only because a NATS cluster is between leaders (a node was
 * lost, or a stream is being made and has no leader yet): no responders, a 503 from the JetStream
 * API, or no answer in time. Such a request may well succeed a moment later.
 */
export function isLeaderChange(error: unknown): boolean {
  if (error instanceof TimeoutError || error instanceof NoRespondersError) return true;
  if (error instanceof JetStreamApiError) return error.status === 503;
  // The client reports no responders on a JetStream subject as "JetStream not enabled".
  const cause = error instanceof Error ? error.cause : undefined;
  return (error as Error | undefined)?.name === 'JetStreamNotEnabled' && (cause instanceof NoRespondersError || (cause instanceof RequestError && cause.isNoResponders()));
}

export interface LeaderChangeRetry {
  /** Tries, the first included. */
  readonly tries: number;
  /** How long all the tries may take; no try starts after it. */
  readonly deadlineMs: number;
}

/**
 * Runs `request`, trying again while the cluster elects a leader, with 250 ms doubling to 2 s
 * between tries. Any other error, or the last one, is thrown. `request` must be safe to repeat.
 */
export async function retryingLeaderChanges<T>(request: () => Promise<T>, retry: LeaderChangeRetry): Promise<T> {
  // The monotonic clock: a step of the wall clock neither cuts the tries short nor draws them out.
  const deadline = performance.now() + retry.deadlineMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      const delayMs = Math.min(250 * 2 ** (attempt - 1), 2_000);
      if (!isLeaderChange(error) || attempt >= retry.tries || performance.now() + delayMs >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
