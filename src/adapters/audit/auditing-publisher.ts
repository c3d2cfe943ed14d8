import type { ResetEvent } from '../../domain/events.js';
import type { EventPublisher, PublishReceipt } from '../../domain/ports.js';
import { activeContext } from '../otel/message-context.js';
import type { AuditTrail } from './audit-trail.js';

/**
 * Audits every outcome event once the broker has taken it. A re-publish the broker drops as a
 * duplicate (a redelivery, a repeated request) is the same fact and gets no second record.
 */
export class AuditingPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly trail: AuditTrail,
  ) {}

  async publish(event: ResetEvent): Promise<PublishReceipt> {
    // The message's context, taken before the await that ends it.
    const context = activeContext();
    const receipt = await this.inner.publish(event);
    if (receipt.duplicate) this.trail.eventRepeated(event, context);
    else this.trail.eventPublished(event, receipt.id, context);
    return receipt;
  }
}
