import type { CodeSubmission } from './commands.js';
import type { ResetEvent, VerificationFailureReason } from './events.js';
import type { ResetPolicy } from './policy.js';
import type { CodeHasher, CodeStore, EventPublisher, OwedEvents, PublishReceipt } from './ports.js';
import { unreachable } from './unreachable.js';

/**
 * What a submission came to. `repeated`: the broker already had this outcome (a redelivered
 * submission), so it was counted when it was first reported.
 */
export type VerifyOutcome =
  | { readonly kind: 'completed'; readonly event: ResetEvent; readonly repeated: boolean }
  | {
      readonly kind: 'verificationFailed';
      readonly reason: VerificationFailureReason;
      readonly attemptsRemaining: number;
      readonly event: ResetEvent;
      readonly repeated: boolean;
    }
  /** The code is not the policy's number of digits: nothing was checked, no try was spent. */
  | { readonly kind: 'rejected'; readonly detail: string; readonly event: ResetEvent; readonly repeated: boolean };

export interface VerifyCodeDeps {
  readonly store: CodeStore;
  readonly publisher: EventPublisher;
  /** Where an applied verdict's event goes when the broker does not take it. */
  readonly owed: OwedEvents;
  readonly hasher: CodeHasher;
  readonly policy: Pick<ResetPolicy, 'codeLength'>;
}

/**
 * The code as the user meant it: whitespace around it dropped (codes are pasted), then exactly
 * `length` ASCII digits; undefined for anything else.
 */
export function typedCode(raw: string, length: number): string | undefined {
  const code = raw.trim();
  return code.length === length && /^[0-9]+$/.test(code) ? code : undefined;
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
    const { store, hasher, policy } = this.deps;
    const code = typedCode(submission.code, policy.codeLength);
    // A typo is not a guess: a code that cannot be one costs the user no try.
    if (code === undefined) return this.reject(submission, `The field code must be ${policy.codeLength} digits; spaces around it are ignored.`);
    // The store judges expiry by its own clock, which every instance shares; ours may be off.
    const result = await store.attempt({
      resetId: submission.resetId,
      submissionId: submission.submissionId,
      digests: hasher.digests(submission.resetId, code),
    });
    // Every submission for a reset the store does not know gets the same answer, so one event name
    // stands for them all: a flood of codes for it publishes one event per duplicate window.
    if (result.kind === 'missing') return this.fail(submission, { sequence: UNKNOWN_SEQUENCE, reason: 'unknown_reset', attemptsRemaining: 0 });
    const { sequence } = result;
    switch (result.kind) {
      case 'completed':
        return this.complete(submission.resetId, result.userId, result.completedAt, sequence);
      case 'wrong':
        return this.fail(submission, { sequence, reason: 'invalid_code', attemptsRemaining: result.triesLeft, userId: result.userId, applied: VERDICT_APPLIED });
      case 'refused':
        return this.fail(submission, { sequence, reason: result.reason, attemptsRemaining: result.triesLeft, userId: result.userId });
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
    const { duplicate } = await this.publish(event, VERDICT_APPLIED, { kind: 'completed', event, repeated: false });
    return { kind: 'completed', event, repeated: duplicate };
  }

  private async fail(submission: CodeSubmission, { sequence, reason, attemptsRemaining, userId, applied = false }: Failure): Promise<VerifyOutcome> {
    const event: ResetEvent = {
      name: 'reset.verification.failed',
      sequence,
      data: { resetId: submission.resetId, ...(userId ? { userId } : {}), reason, attemptsRemaining },
    };
    const { duplicate } = await this.publish(event, applied, { kind: 'verificationFailed', reason, attemptsRemaining, event, repeated: false });
    return { kind: 'verificationFailed', reason, attemptsRemaining, event, repeated: duplicate };
  }

  /**
   * Publishes an outcome's event. When the store has already applied the verdict (a try spent, the
   * reset completed), a failed publish says so, the fault must not read as "nothing happened",
   * and the event is kept as owed, to be published once the broker takes it: a `reset.verify` has
   * no redelivery, and a submission's redelivery may come after its reset's record is gone.
   */
  private async publish(event: ResetEvent, applied: boolean, outcome: VerifyOutcome): Promise<PublishReceipt> {
    try {
      return await this.deps.publisher.publish(event);
    } catch (error) {
      if (!applied) throw error;
      const kept = await this.deps.owed.keep(event).then(
        () => true,
        () => false,
      );
      throw new UnpublishedVerdictError(outcome, kept, error);
    }
  }

  private async reject(submission: CodeSubmission, detail: string): Promise<VerifyOutcome> {
    const event: ResetEvent = {
      name: 'reset.rejected',
      // As for any rejected message, its event id keeps a redelivery's rejection the same one; a
      // verify has none, and its malformed codes for one reset are one fact, as unknown resets are.
      sequence: submission.submissionId ? `e:${submission.submissionId}` : MALFORMED_SEQUENCE,
      data: { resetId: submission.resetId, eventId: submission.submissionId ?? '', reason: 'invalid_request', detail },
    };
    const { duplicate } = await this.deps.publisher.publish(event);
    return { kind: 'rejected', detail, event, repeated: duplicate };
  }
}

/** The store changed the reset (spent a try, completed it): the outcome's event is owed. */
const VERDICT_APPLIED = true;

/** A failed submission's answer; `applied` when the store spent a try for it. */
interface Failure {
  readonly sequence: string;
  readonly reason: VerificationFailureReason;
  readonly attemptsRemaining: number;
  readonly userId?: string;
  readonly applied?: boolean;
}

/**
 * The store applied a verdict but its event could not be published (JetStream down past the
 * publish's retries). A submission from the inbox is redelivered and its stored answer published
 * again; a `reset.verify` has no redelivery, so its reply carries `outcome`, the truth, rather
 * than `unavailable`, which would tell the user no try was spent. Either way the event is owed
 * (`kept`), unless the store could not keep it either.
 */
export class UnpublishedVerdictError extends Error {
  override readonly name = 'UnpublishedVerdictError';

  constructor(
    readonly outcome: VerifyOutcome,
    readonly kept: boolean,
    cause: unknown,
  ) {
    super(`${outcome.event.name} of reset ${outcome.event.data.resetId} could not be published${kept ? '; kept to publish later' : ''}`, { cause });
  }
}

/** The store names a refusal that counts nothing `<reason>@<count>`; a reset it does not know has counted nothing. */
const UNKNOWN_SEQUENCE = 'unknown_reset@0';

/** The rejection of a `reset.verify` code that is not N digits: the same fact however often. */
const MALFORMED_SEQUENCE = 'malformed_code';
