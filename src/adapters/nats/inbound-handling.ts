import type { Context, Span, SpanKind } from '@opentelemetry/api';
import type { RejectedEvent } from '../../domain/events.js';
import type { EventPublisher, PublishReceipt } from '../../domain/ports.js';
import type { CodeSubmission } from '../../domain/commands.js';
import type { VerifyCode, VerifyOutcome } from '../../domain/verify-code.js';
import { withAuditScope, type AuditContext } from '../audit/audit-context.js';
import { activeContext, runInContext } from '../otel/message-context.js';
import { annotateOutcome, inProcessSpan, type InboundMessage } from '../otel/messaging-spans.js';

/*
 * The steps the inbox router and the verify responder share; each keeps only its transport (a
 * disposition for JetStream, a reply for request-reply) and what it counts.
 */

/**
 * Handles a decoded command inside its span, continuing the producer's trace, and inside an audit
 * scope of its own that starts from what the command said (`auditFieldsOf`). `work` gets the
 * message's context, both in one: the use case it runs is made for it (`MessageUseCases`).
 *
 * Why a scope and not a parameter: the audit records are written behind the domain's ports (the
 * `AuditingPublisher` behind `EventPublisher`; the per-IP key is learned by the `RateLimiter`), and
 * the domain must not carry audit fields. So this call is the one visible seam where a message's
 * audit fields go in; `AuditTrail` reads them back out when an outcome is published.
 */
export function inCommandScope<T>(
  message: InboundMessage,
  kind: SpanKind.CONSUMER | SpanKind.SERVER,
  audit: AuditContext,
  work: (span: Span, context: Context) => Promise<T>,
): Promise<T> {
  return inProcessSpan(message, kind, (span) => {
    const context = withAuditScope(activeContext(), audit);
    return runInContext(context, work, span, context);
  });
}

/** Publishes the rejection of a message that broke the contract, and notes it on the message's span. */
export async function publishRejection(publisher: EventPublisher, rejection: RejectedEvent, span: Span): Promise<PublishReceipt> {
  const receipt = await publisher.publish(rejection);
  annotateOutcome(span, rejection);
  return receipt;
}

/** Checks a submitted code, and notes the outcome on the message's span. */
export async function verifySubmission(verifyCode: VerifyCode, submission: CodeSubmission, span: Span): Promise<VerifyOutcome> {
  const outcome = await verifyCode.handle(submission);
  annotateOutcome(span, outcome.event);
  return outcome;
}
