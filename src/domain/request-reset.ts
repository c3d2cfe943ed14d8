import type { Delivery, ResetRequest } from './commands.js';
import { sendWithinBudget, type DeliveryBudget, type MailEnding } from './delivery-budget.js';
import { codeSent, deliveryFailed, type DeliveryFailureReason, type RejectedEvent, type ResetEvent } from './events.js';
import type { OutboundMail } from './mail.js';
import type { ResetPolicy } from './policy.js';
import type { Admission, Admitted, Clock, CodeHasher, CodeStore, EventPublisher, Mailer, Random, RateLimiter } from './ports.js';
import type { ResetRecord } from './reset-record.js';
import { unreachable } from './unreachable.js';

export type RequestOutcome =
  /** `repeated`: the broker already had this outcome (a redelivery, a re-published request); it was counted then. */
  | { readonly kind: 'reported'; readonly event: ResetEvent; readonly repeated: boolean }
  /** Another instance is mailing this reset right now; look again later. */
  | { readonly kind: 'busy'; readonly retryAfterMs: number };

export interface ResetRequestDeps {
  readonly store: CodeStore;
  readonly limiter: RateLimiter;
  readonly mailer: Mailer;
  readonly publisher: EventPublisher;
  readonly hasher: CodeHasher;
  readonly clock: Clock;
  readonly random: Random;
  readonly policy: ResetPolicy;
}

const MINUTE = 60_000;

/**
 * Handles `reset.requested`: admit, make a code, mail it, report exactly one outcome. Safe to run
 * again for the same reset at any point: a reset with an outcome only repeats it, and the store's
 * lease lets one caller at a time mail a code.
 */
export class RequestReset {
  constructor(private readonly deps: ResetRequestDeps) {}

  async handle(request: ResetRequest, delivery: Delivery): Promise<RequestOutcome> {
    const { store, limiter, policy } = this.deps;
    // Both at once, one round trip: admitting a reset the limiter has counted already is free, and
    // a repeat of a refused one is refused again, so a redelivery costs no second slot.
    const asked = { request, rules: policy.rateRules, cooldownMs: policy.cooldownMs, rememberRefusalsMs: policy.recordTtlMs };
    const [existing, admission] = await Promise.all([store.find(request.resetId), limiter.admit(asked)]);
    // A reset with an outcome keeps it, even one whose window has moved on since.
    if (existing?.outcome) {
      if (admission.kind === 'admitted') await this.release(admission, existing);
      return this.report(existing.outcome);
    }
    if (admission.kind === 'refused') return this.refuse(request, admission);
    return this.mailCode(request, delivery, admission);
  }

  /**
   * No slot or cooldown without an outcome of its own: what this admission counted afresh is undone
   * (a replay of the id under another user or address; a redelivery counted nothing). One refused
   * as invalid was never admitted: a corrected body under its id keeps no count anywhere, an earlier
   * try's cut off by a fault included.
   */
  private release(admission: Admitted, record: ResetRecord): Promise<void> {
    return this.deps.limiter.release(admission, { everywhere: record.state === 'rejected' });
  }

  /**
   * Handles a `reset.requested` refused as invalid whose id could be read: the refusal becomes the
   * reset's outcome, so a later body under the same id (a "corrected" request) gets it again and
   * no mail. A reset that already has an outcome reports that one instead.
   */
  async refuseInvalid(rejection: RejectedEvent): Promise<RequestOutcome> {
    const { resetId, userId } = rejection.data;
    const settled = await this.deps.store.settle({ resetId, userId, outcome: rejection, ttlMs: this.deps.policy.recordTtlMs });
    switch (settled.kind) {
      case 'busy':
        return settled;
      case 'settled':
        return this.report(settled.outcome);
      case 'finished':
        return this.report(outcomeOf(settled.record));
      default:
        return unreachable(settled);
    }
  }

  private async mailCode(request: ResetRequest, delivery: Delivery, admission: Admitted): Promise<RequestOutcome> {
    const { store, hasher, clock, random, policy } = this.deps;
    const code = random.digits(policy.codeLength);
    const owner = delivery.messageId;
    const issued = await store.issue({
      resetId: request.resetId,
      userId: request.userId,
      digest: hasher.digest(request.resetId, code),
      keyId: hasher.currentKeyId,
      lifetimeMs: policy.codeLifetimeMs,
      maxTries: policy.maxWrongTries,
      owner,
      leaseMs: policy.leaseMs,
      ttlMs: policy.recordTtlMs,
    });
    switch (issued.kind) {
      case 'busy':
        // Its redelivery admits it again, and counts afresh what this one would have kept.
        await this.deps.limiter.release(admission);
        return issued;
      case 'finished':
        // Settled meanwhile (by another instance): that outcome is its, and this admission's counts are not.
        await this.release(admission, issued.record);
        return this.report(outcomeOf(issued.record));
      case 'issued':
        break;
      default:
        return unreachable(issued);
    }
    // The budget counts on this process's clock from the store's word on when it began: only
    // durations are compared, so a clock set apart from the store's costs nothing.
    const firstIssuedHere = clock.now() - issued.sinceFirstIssueMs;
    const { expiresAt } = issued;

    const fail = (reason: DeliveryFailureReason) =>
      this.finish(request.resetId, owner, 'failed', deliveryFailed('0', { resetId: request.resetId, userId: request.userId, reason, attempts: issued.mailAttempts }));

    const ending = await this.send(
      request.resetId,
      owner,
      {
        kind: 'code',
        resetId: request.resetId,
        to: request.email,
        locale: request.locale,
        displayName: request.displayName,
        code,
        expiresAt,
        lifetimeMinutes: Math.round(policy.codeLifetimeMs / MINUTE),
      },
      { firstTriedAt: firstIssuedHere, clock, policy, delivery },
    );
    if (ending.kind === 'failed') return fail(ending.reason);
    return this.finish(request.resetId, owner, 'sent', codeSent(request.resetId, request.userId, expiresAt));
  }

  /**
   * Mails the code; a fault leaves it to the redelivery, and the store hears first that this mail
   * did not go out. Should that not reach the store either, the lease runs out on its own.
   */
  private async send(resetId: string, owner: string, mail: OutboundMail, budget: DeliveryBudget): Promise<MailEnding> {
    try {
      return await sendWithinBudget(this.deps.mailer, mail, budget);
    } catch (error) {
      await this.deps.store.abandon({ resetId, owner }).catch(() => undefined);
      throw error;
    }
  }

  private async refuse(request: ResetRequest, admission: Extract<Admission, { kind: 'refused' }>): Promise<RequestOutcome> {
    const retryAfterSeconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    const detail =
      admission.reason === 'cooldown'
        ? `A code was sent to this user moments ago; retry after ${retryAfterSeconds} s.`
        : `The limit ${admission.rule} is reached; retry after ${retryAfterSeconds} s.`;
    return this.report({
      name: 'reset.rejected',
      sequence: '0',
      data: {
        resetId: request.resetId,
        eventId: request.resetId,
        userId: request.userId,
        reason: admission.reason,
        retryAfterSeconds,
        detail,
      },
    });
  }

  private async finish(resetId: string, owner: string, state: 'sent' | 'failed', event: ResetEvent): Promise<RequestOutcome> {
    return this.report(await this.deps.store.finish({ id: resetId, owner, state, outcome: event }));
  }

  private report(event: ResetEvent): Promise<RequestOutcome> {
    return reportOutcome(this.deps.publisher, event);
  }
}

/** Publishes an outcome; `repeated` when the broker had it already, so it was counted then. */
export async function reportOutcome(publisher: EventPublisher, event: ResetEvent): Promise<RequestOutcome> {
  const { duplicate } = await publisher.publish(event);
  return { kind: 'reported', event, repeated: duplicate };
}

/**
 * The outcome a finished reset answers with. One superseded before its outcome was recorded was
 * mailed, unless its last mail failed: then its code never reached the user, and no mail will
 * carry it now.
 */
function outcomeOf(record: ResetRecord): ResetEvent {
  if (record.state === 'rejected') return record.outcome;
  if (record.outcome) return record.outcome;
  if (record.unmailed) {
    return deliveryFailed('0', { resetId: record.resetId, userId: record.userId, reason: 'smtp_retries_exhausted', attempts: record.mailAttempts });
  }
  return codeSent(record.resetId, record.userId, record.expiresAt);
}
