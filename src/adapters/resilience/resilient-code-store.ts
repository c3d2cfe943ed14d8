import { handleWhen, type RetryPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import type { ResetEvent } from '../../domain/events.js';
import type { AbandonDelivery, Attempt, AttemptResult, CodeStore, FinishDelivery, IssueCode, IssueResult, SettleReset, SettleResult } from '../../domain/ports.js';
import type { ResetRecord } from '../../domain/reset-record.js';
import { activeContext, runInContext } from '../otel/message-context.js';
import { backoffRetry, type RetryOptions } from './backoff-retry.js';

/** 15 to 30 s of tries (waits of 100 ms doubling to 2 s, half-jittered): longer than a Redis restart or failover. */
export const defaultFinishRetry: RetryOptions = { attempts: 20, initialBackoffMs: 100, maxBackoffMs: 2_000 };

/**
 * Decorates a `CodeStore` so that `finish` is retried through a short outage of the store.
 * `finish` usually runs right after the SMTP server accepted a mail: if it is lost, the message is
 * redelivered and the code mailed a second time, so it is the one write worth waiting for. It is
 * idempotent (the first outcome stored wins), so a try whose reply was lost is safe to repeat.
 * Every other method fails at once and leaves waiting to JetStream's redelivery.
 */
export class ResilientCodeStore implements CodeStore {
  private readonly finishRetry: RetryPolicy;

  constructor(
    private readonly inner: CodeStore,
    log: Logger,
    /** Whether a fault may pass if tried again; one that will not is reported at once. */
    transient: (error: unknown) => boolean,
    options: RetryOptions = defaultFinishRetry,
  ) {
    this.finishRetry = backoffRetry(handleWhen(transient), options);
    this.finishRetry.onRetry(({ attempt, delay }) => {
      if (attempt === 1) log.warn({ delayMs: delay }, 'recording an outcome failed; retrying');
    });
  }

  find(resetId: string): Promise<ResetRecord | undefined> {
    return this.inner.find(resetId);
  }

  issue(code: IssueCode): Promise<IssueResult> {
    return this.inner.issue(code);
  }

  finish(finish: FinishDelivery): Promise<ResetEvent> {
    // A retry starts after an await: it goes back into the message's context, taken now.
    const context = activeContext();
    return this.finishRetry.execute(() => runInContext(context, () => this.inner.finish(finish)));
  }

  abandon(abandon: AbandonDelivery): Promise<void> {
    return this.inner.abandon(abandon);
  }

  settle(settle: SettleReset): Promise<SettleResult> {
    return this.inner.settle(settle);
  }

  attempt(attempt: Attempt): Promise<AttemptResult> {
    return this.inner.attempt(attempt);
  }
}
