import { SpanKind, type Context, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ResetEvent } from '../../domain/events.js';
import { auditFieldsOf } from './inbound-audit.js';
import { runInContext } from '../otel/message-context.js';
import { annotateMessage, annotateOutcome } from '../otel/messaging-spans.js';
import { verificationResultOf, type ResetMetrics } from '../otel/reset-metrics.js';
import { recordFault } from '../otel/spans.js';
import { typeOfSubject, type Subjects } from '../../contract/subjects.js';
import { decodeInbound, type Inbound } from './decode-inbound.js';
import { dispositionOf, faultDisposition, type BackoffOptions, type Disposition } from './disposition.js';
import { inCommandScope, publishRejection, verifySubmission } from './inbound-handling.js';
import type { Delivery } from './jetstream-consume-loop.js';
import type { MessageUseCases } from './message-use-cases.js';
import { LogThrottle } from '../system/log-throttle.js';

export interface RouterOptions extends BackoffOptions {
  /** The durable consumer the messages come through (the span's consumer group). */
  readonly consumer: string;
  /** -1 when the consumer redelivers without limit. */
  readonly maxDeliver: number;
}

/**
 * Turns an inbox message into its use case's outcome and the outcome into a disposition: decodes
 * it, runs the use case, counts and notes what came of it. Never throws: a fault is a nak, so this
 * is the one place where outcomes and faults become ack or nak.
 */
export class InboxRouter {
  /**
   * An invalid message is a client's bug, said once a minute per type: its event, audit record and
   * metric count each one, and a publisher of invalid messages must not also fill the log.
   */
  private readonly invalidLines = new LogThrottle(60_000);

  constructor(
    private readonly subjects: Subjects,
    private readonly options: RouterOptions,
    private readonly useCases: MessageUseCases,
    private readonly log: Logger,
    private readonly metrics: ResetMetrics,
  ) {}

  /** Routes inside a CONSUMER span that continues the trace its producer sent along. */
  route(delivery: Delivery): Promise<Disposition> {
    const type = typeOfSubject(this.subjects, delivery.subject) ?? delivery.subject;
    const inbound = decodeInbound(type, delivery.data, String(delivery.seq));
    const message = {
      subject: delivery.subject,
      headers: delivery.headers,
      bodySize: delivery.data.byteLength,
      group: this.options.consumer,
      messageId: String(delivery.seq),
      deliveryAttempt: delivery.deliveryCount,
    };
    // Each message's outcomes are audited with what its own command said (IP, user agent, user).
    return inCommandScope(message, SpanKind.CONSUMER, auditFieldsOf(inbound), async (span, context) => {
      let disposition: Disposition;
      try {
        disposition = await this.handle(type, inbound, delivery, span, context);
      } catch (error) {
        recordFault(span, error);
        const redelivery = faultDisposition(error, delivery.deliveryCount, this.options);
        disposition = redelivery;
        runInContext(context, () =>
          this.log.warn({ err: error, subject: delivery.subject, seq: delivery.seq, delivery: delivery.deliveryCount, delayMs: redelivery.delayMs }, 'message will be redelivered'),
        );
      }
      // In the message's context, so the line carries the trace id of the command that caused it.
      if (this.log.isLevelEnabled('debug')) {
        runInContext(context, () => this.log.debug({ subject: delivery.subject, seq: delivery.seq, delivery: delivery.deliveryCount, disposition }, 'message handled'));
      }
      return disposition;
    });
  }

  private async handle(type: string, inbound: Inbound, msg: Delivery, span: Span, context: Context): Promise<Disposition> {
    // The domain's view of this delivery (its own Delivery type): who holds the reset, and whether it is the last.
    const domainDelivery = {
      messageId: `${this.subjects.inboxStream}:${msg.seq}`,
      final: this.options.maxDeliver > 0 && msg.deliveryCount >= this.options.maxDeliver,
    };
    switch (inbound.kind) {
      case 'invalid': {
        const { rejection } = inbound;
        annotateMessage(span, { messageId: rejection.data.eventId || undefined, resetId: rejection.data.resetId });
        const rejected = () => {
          const heldBack = this.invalidLines.pass(type);
          if (heldBack !== undefined) runInContext(context, () => this.log.info({ seq: msg.seq, detail: rejection.data, heldBack }, 'rejected an invalid message'));
        };
        if (type === 'reset.requested' && rejection.data.eventId) {
          // The refusal is the request's final outcome: a later body under this id gets it too.
          const outcome = await this.useCases.requestReset(context).refuseInvalid(rejection);
          if (outcome.kind === 'reported') this.requestAnswered(outcome, msg, span);
          rejected();
          return dispositionOf(outcome);
        }
        const { duplicate } = await publishRejection(this.useCases.publisher(context), rejection, span);
        // Outcomes are counted, not deliveries: a redelivery's rejection the broker already had was counted then.
        if (!duplicate && type === 'reset.requested') this.metrics.requestAnswered(rejection);
        else if (!duplicate && type === 'reset.code.submitted') this.metrics.verified('invalid_request');
        rejected();
        return { kind: 'ack' };
      }
      case 'requested': {
        annotateMessage(span, { messageId: inbound.request.resetId, resetId: inbound.request.resetId });
        const outcome = await this.useCases.requestReset(context).handle(inbound.request, domainDelivery);
        if (outcome.kind === 'reported') this.requestAnswered(outcome, msg, span);
        return dispositionOf(outcome);
      }
      case 'submitted': {
        annotateMessage(span, { messageId: inbound.submission.submissionId, resetId: inbound.submission.resetId });
        const outcome = await verifySubmission(this.useCases.verifyCode(context), inbound.submission, span);
        if (!outcome.repeated) this.metrics.verified(verificationResultOf(outcome));
        return { kind: 'ack' };
      }
      case 'passwordChanged': {
        annotateMessage(span, { messageId: inbound.change.noticeId, resetId: inbound.change.resetId ?? inbound.change.noticeId });
        const outcome = await this.useCases.notifyPasswordChanged(context).handle(inbound.change, domainDelivery);
        if (outcome.kind === 'reported') annotateOutcome(span, outcome.event);
        return dispositionOf(outcome);
      }
    }
  }

  private requestAnswered({ event, repeated }: { event: ResetEvent; repeated: boolean }, msg: Delivery, span: Span): void {
    annotateOutcome(span, event);
    // Outcomes are counted, not deliveries: one the broker already had was counted when first reported.
    if (repeated) return;
    this.metrics.requestAnswered(event);
    // From the moment the stream took the request, so time spent waiting in it counts too.
    if (event.name === 'reset.code.sent') this.metrics.mailedAfter((Date.now() - msg.storedAt.getTime()) / 1000);
  }
}
