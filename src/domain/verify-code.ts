import type { CodeSubmission } from './commands.js';
import type { ResetEvent, VerificationFailureReason } from './events.js';
import type { CodeHasher, CodeStore, EventPublisher } from './ports.js';
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
    const { store, hasher } = this.deps;
    // The store judges expiry by its own clock, which every instance shares; ours may be off.
    const result = await store.attempt({
      resetId: submission.resetId,
      submissionId: submission.submissionId,
      digests: hasher.digests(submission.resetId, submission.code),
    });
    // Every submission for a reset the store does not know gets the same answer, so one event name
    // stands for them all: a flood of codes for it publishes one event per duplicate window.
    if (result.kind === 'missing') return this.fail(submission, UNKNOWN_SEQUENCE, 'unknown_reset', 0, undefined);
    const { sequence } = result;
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

/** The store names a refusal that counts nothing `<reason>@<count>`; a reset it does not know has counted nothing. */
const UNKNOWN_SEQUENCE = 'unknown_reset@0';
