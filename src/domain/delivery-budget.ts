import type { Delivery } from './commands.js';
import { MailUnavailableError } from './errors.js';
import type { ResetPolicy } from './policy.js';

/**
 * Whether a mail the server could not take now is given up for good: the delivery budget, counted
 * from the first try, is spent, or the transport will not deliver the command again. Any other
 * fault is left to the redelivery.
 */
export function mailGivenUp(
  error: unknown,
  firstTriedAt: number,
  now: number,
  policy: Pick<ResetPolicy, 'deliveryBudgetMs'>,
  delivery: Delivery,
): boolean {
  return error instanceof MailUnavailableError && (now - firstTriedAt >= policy.deliveryBudgetMs || delivery.final);
}
