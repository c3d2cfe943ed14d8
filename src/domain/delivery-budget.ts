import type { Delivery } from './commands.js';
import { MailUnavailableError } from './errors.js';
import type { DeliveryFailureReason } from './events.js';
import type { OutboundMail } from './mail.js';
import type { ResetPolicy } from './policy.js';
import type { Clock, Mailer } from './ports.js';

/** How a claimed mail ended: accepted, or failed for good with the reason to report. */
export type MailEnding = { readonly kind: 'sent' } | { readonly kind: 'failed'; readonly reason: DeliveryFailureReason };

export interface DeliveryBudget {
  /** When the first try began, on `clock`: only durations are compared. */
  readonly firstTriedAt: number;
  readonly clock: Clock;
  readonly policy: Pick<ResetPolicy, 'deliveryBudgetMs'>;
  readonly delivery: Delivery;
}

/**
 * The step every mail shares once its record is claimed (a code, a notice): send it, and tell a
 * refusal (5xx) and a spent budget, which end the mail, from a fault that the redelivery should
 * try again, which is thrown.
 */
export async function sendWithinBudget(mailer: Mailer, mail: OutboundMail, budget: DeliveryBudget): Promise<MailEnding> {
  try {
    const result = await mailer.send(mail);
    return result.kind === 'accepted' ? { kind: 'sent' } : { kind: 'failed', reason: 'smtp_permanent' };
  } catch (error) {
    if (budgetSpent(error, budget)) return { kind: 'failed', reason: 'smtp_retries_exhausted' };
    throw error;
  }
}

/**
 * Whether a mail the server could not take now is given up for good: the delivery budget, counted
 * from the first try, is spent, or the transport will not deliver the command again. Any other
 * fault is left to the redelivery.
 */
function budgetSpent(error: unknown, { firstTriedAt, clock, policy, delivery }: DeliveryBudget): boolean {
  return error instanceof MailUnavailableError && (clock.now() - firstTriedAt >= policy.deliveryBudgetMs || delivery.final);
}
