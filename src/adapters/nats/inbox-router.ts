import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ResetEvent } from '../../domain/events.js';
import type { NotifyPasswordChanged } from '../../domain/notify-password-changed.js';
import type { EventPublisher } from '../../domain/ports.js';
import type { RequestReset } from '../../domain/request-reset.js';
import type { VerifyCode } from '../../domain/verify-code.js';
import { auditFieldsOf } from '../audit/inbound-audit.js';
import { annotateMessage, annotateOutcome } from '../otel/messaging-spans.js';
import { verificationResultOf, type ResetMetrics } from '../otel/reset-metrics.js';
import { recordFault } from '../otel/spans.js';
import { typeOfSubject, type Subjects } from '../../contract/subjects.js';
import { decodeInbound, type Inbound } from './decode-inbound.js';
import { dispositionOf, faultDisposition, type BackoffOptions, type Disposition } from './disposition.js';
import { inCommandScope, publishRejection, verifySubmission } from './inbound-handling.js';
import type { Delivery } from './jetstream-consume-loop.js';

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
  constructor(
    private readonly subjects: Subjects,
    private readonly options: RouterOptions,
    private readonly requestReset: RequestReset,
    private readonly verifyCode: VerifyCode,
    private readonly notifyPasswordChanged: NotifyPasswordChanged,
    private readonly publisher: EventPublisher,
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
    return inCommandScope(message, SpanKind.CONSUMER, auditFieldsOf(inbound), async (span) => {
      let disposition: Disposition;
      try {
        disposition = await this.handle(type, inbound, delivery);
      } catch (error) {
        recordFault(span, error);
        disposition = faultDisposition(error, delivery.deliveryCount, this.options);
        this.log.warn({ err: error, subject: delivery.subject, seq: delivery.seq, delivery: delivery.deliveryCount, delayMs: disposition.delayMs }, 'message will be redelivered');
      }
      // Inside the span, so the line carries the trace id of the command that caused it.
      this.log.debug({ subject: delivery.subject, seq: delivery.seq, delivery: delivery.deliveryCount, disposition }, 'message handled');
      return disposition;
    });
  }

  private async handle(type: string, inbound: Inbound, msg: Delivery): Promise<Disposition> {
    const delivery = {
      messageId: `${this.subjects.inboxStream}:${msg.seq}`,
      attempt: msg.deliveryCount,
      final: this.options.maxDeliver > 0 && msg.deliveryCount >= this.options.maxDeliver,
    };
    switch (inbound.kind) {
      case 'invalid': {
        const { rejection } = inbound;
        annotateMessage({ messageId: rejection.data.eventId || undefined, resetId: rejection.data.resetId });
        if (type === 'reset.requested' && rejection.data.eventId) {
          // The refusal is the request's final outcome: a later body under this id gets it too.
          const outcome = await this.requestReset.refuseInvalid(rejection);
          if (outcome.kind === 'reported') this.requestAnswered(outcome, msg);
          this.log.info({ seq: msg.seq, detail: rejection.data }, 'rejected an invalid message');
          return dispositionOf(outcome);
        }
        const { duplicate } = await publishRejection(this.publisher, rejection);
        // Outcomes are counted, not deliveries: a redelivery's rejection the broker already had was counted then.
        if (!duplicate && type === 'reset.requested') this.metrics.requestAnswered(rejection);
        else if (!duplicate && type === 'reset.code.submitted') this.metrics.verified('invalid_request');
        this.log.info({ seq: msg.seq, detail: rejection.data }, 'rejected an invalid message');
        return { kind: 'ack' };
      }
      case 'requested': {
        annotateMessage({ messageId: inbound.request.resetId, resetId: inbound.request.resetId });
        const outcome = await this.requestReset.handle(inbound.request, delivery);
        if (outcome.kind === 'reported') this.requestAnswered(outcome, msg);
        return dispositionOf(outcome);
      }
      case 'submitted': {
        annotateMessage({ messageId: inbound.submission.submissionId, resetId: inbound.submission.resetId });
        const outcome = await verifySubmission(this.verifyCode, inbound.submission);
        if (!outcome.repeated) this.metrics.verified(verificationResultOf(outcome));
        return { kind: 'ack' };
      }
      case 'passwordChanged': {
        annotateMessage({ messageId: inbound.change.noticeId, resetId: inbound.change.resetId ?? inbound.change.noticeId });
        const outcome = await this.notifyPasswordChanged.handle(inbound.change, delivery);
        if (outcome.kind === 'reported') annotateOutcome(outcome.event);
        return dispositionOf(outcome);
      }
    }
  }

  private requestAnswered({ event, repeated }: { event: ResetEvent; repeated: boolean }, msg: Delivery): void {
    annotateOutcome(event);
    // Outcomes are counted, not deliveries: one the broker already had was counted when first reported.
    if (repeated) return;
    this.metrics.requestAnswered(event);
    // From the moment the stream took the request, so time spent waiting in it counts too.
    if (event.name === 'reset.code.sent') this.metrics.mailedAfter((Date.now() - msg.storedAt.getTime()) / 1000);
  }
}
