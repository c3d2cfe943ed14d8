import type { Delivery, PasswordChange } from './commands.js';
import { sendWithinBudget } from './delivery-budget.js';
import { deliveryFailed, type DeliveryFailureReason, type ResetEvent } from './events.js';
import type { ResetPolicy } from './policy.js';
import type { Clock, EventPublisher, Mailer, NoticeLedger } from './ports.js';
import { reportOutcome, type RequestOutcome } from './request-reset.js';
import { unreachable } from './unreachable.js';

/** Reported once the notice has its outcome, or `busy` while another delivery is mailing it. */
export type NoticeOutcome = RequestOutcome;

export interface NotifyPasswordChangedDeps {
  readonly ledger: NoticeLedger;
  readonly mailer: Mailer;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly policy: Pick<ResetPolicy, 'leaseMs' | 'recordTtlMs' | 'deliveryBudgetMs'>;
}

/**
 * Handles `reset.password.changed`: mails the user a notice that their password was changed and
 * reports exactly one outcome, `reset.notice.sent` or `reset.delivery.failed`. Not rate-limited.
 * Safe to run again for the same event at any point: the ledger's lease lets one delivery at a time
 * mail the notice, and a notice with an outcome only repeats it, for as long as the ledger keeps it.
 */
export class NotifyPasswordChanged {
  constructor(private readonly deps: NotifyPasswordChangedDeps) {}

  async handle(change: PasswordChange, delivery: Delivery): Promise<NoticeOutcome> {
    const { ledger, mailer, clock, policy } = this.deps;
    const owner = delivery.messageId;
    const claimed = await ledger.claim({
      noticeId: change.noticeId,
      userId: change.userId,
      owner,
      leaseMs: policy.leaseMs,
      ttlMs: policy.recordTtlMs,
    });
    switch (claimed.kind) {
      case 'busy':
        return claimed;
      case 'finished':
        return this.report(claimed.outcome);
      case 'claimed':
        break;
      default:
        return unreachable(claimed);
    }

    // Durations only: the ledger's word on how long ago the first claim was, on this clock.
    const firstClaimedHere = clock.now() - claimed.sinceFirstClaimMs;
    const resetId = change.resetId ?? change.noticeId;
    // One event per notice, even when two changes name the same reset.
    const sequence = `notice:${change.noticeId}`;
    const finish = async (state: 'sent' | 'failed', event: ResetEvent) =>
      this.report(await ledger.finish({ id: change.noticeId, owner, state, outcome: event }));
    const fail = (reason: DeliveryFailureReason) => finish('failed', deliveryFailed(sequence, { resetId, userId: change.userId, reason, attempts: claimed.mailAttempts }));

    const ending = await sendWithinBudget(
      mailer,
      {
        kind: 'notice',
        resetId,
        to: change.email,
        locale: change.locale,
        displayName: change.displayName,
        // Without a time from the auth service, the first handling's: the same in every retry.
        changedAt: change.changedAt ?? claimed.claimedAt,
        clientIp: change.clientIp,
      },
      { firstTriedAt: firstClaimedHere, clock, policy, delivery },
    );
    if (ending.kind === 'failed') return fail(ending.reason);
    return finish('sent', { name: 'reset.notice.sent', sequence, data: { resetId, userId: change.userId } });
  }

  private report(event: ResetEvent): Promise<NoticeOutcome> {
    return reportOutcome(this.deps.publisher, event);
  }
}
