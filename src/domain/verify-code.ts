import type { CodeSubmission } from './commands.js';
import type { ResetEvent, VerificationFailureReason } from './events.js';
import type { Clock, CodeHasher, CodeStore, EventPublisher, Random } from './ports.js';
import { unreachable } from './unreachable.js';

export type VerifyOutcome =
  | { readonly kind: 'completed'; readonly event: ResetEvent }
  | {
      readonly kind: 'verificationFailed';
      readonly reason: VerificationFailureReason;
      readonly attemptsRemaining: number;
      readonly event: ResetEvent;
    };

export interface VerifyCodeDeps {
  readonly store: CodeStore;
  readonly publisher: EventPublisher;
  readonly hasher: CodeHasher;
  readonly clock: Clock;
  readonly random: Random;
}

/**
 * Handles a submitted code: the store judges its keyed digest against the stored one and applies
 * the verdict in one atomic step, so that parallel submissions on many instances never get more
 * tries than the limit and one right code completes the reset once. The code itself never leaves
 * this process.
 */
export class VerifyCode {
  constructor(private readonly deps: VerifyCodeDeps) {}

  async handle(submission: CodeSubmission): Promise<VerifyOutcome> {
    const { store, hasher, clock } = this.deps;
    const result = await store.attempt({
      resetId: submission.resetId,
      submissionId: submission.submissionId,
      digests: hasher.digests(submission.resetId, submission.code),
      now: clock.now(),
    });
    if (result.kind === 'missing') return this.fail(submission, this.sequenceOutsideStore(submission), 'unknown_reset', 0, undefined);
    const sequence = String(result.sequence);
    switch (result.kind) {
      case 'completed':
        return this.complete(submission.resetId, result.userId, result.completedAt, sequence);
      case 'wrong':
        return this.fail(submission, sequence, 'invalid_code', result.triesLeft, result.userId);
      case 'refused':
        return this.fail(submission, sequence, result.reason, result.triesLeft, result.userId);
      default:
        return unreachable(result);
    }
  }

  /** With no record to count in, a submission's own id keeps a redelivered answer the same. */
  private sequenceOutsideStore(submission: CodeSubmission): string {
    return submission.submissionId ? `s:${submission.submissionId}` : `r:${this.deps.random.token()}`;
  }

  private async complete(resetId: string, userId: string, completedAt: number, sequence: string): Promise<VerifyOutcome> {
    const event: ResetEvent = {
      name: 'reset.completed',
      sequence,
      data: { resetId, userId, completedAt: new Date(completedAt).toISOString() },
    };
    await this.deps.publisher.publish(event);
    return { kind: 'completed', event };
  }

  private async fail(
    submission: CodeSubmission,
    sequence: string,
    reason: VerificationFailureReason,
    attemptsRemaining: number,
    userId: string | undefined,
  ): Promise<VerifyOutcome> {
    const event: ResetEvent = {
      name: 'reset.verification.failed',
      sequence,
      data: { resetId: submission.resetId, ...(userId ? { userId } : {}), reason, attemptsRemaining },
    };
    await this.deps.publisher.publish(event);
    return { kind: 'verificationFailed', reason, attemptsRemaining, event };
  }
}
