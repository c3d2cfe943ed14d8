import { SpanKind, type Span } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { ResetEvent } from '../../domain/events.js';
import { contextFromHeaders, injectIntoHeaders } from './nats-trace-context.js';
import {
  ATTR_DELIVERY_ATTEMPT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_RESET_ID,
  ATTR_RESET_OUTCOME,
  ATTR_RESET_REASON,
  MESSAGING_SYSTEM_NATS,
} from './semconv.js';
import { inSpan } from './spans.js';

export interface InboundMessage {
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  readonly bodySize: number;
  /** The durable consumer or the queue group the message was taken by. */
  readonly group: string;
  /** Until the CloudEvent id is read (see `annotateMessage`): the stream sequence, if any. */
  readonly messageId?: string;
  readonly deliveryAttempt?: number;
}

/**
 * Handles an inbound message inside a span `process <subject>` that continues the producer's
 * trace from the message's headers (OpenTelemetry messaging conventions, `messaging.system` nats).
 * CONSUMER for a JetStream message; SERVER for a request that is answered.
 */
export function inProcessSpan<T>(message: InboundMessage, kind: SpanKind.CONSUMER | SpanKind.SERVER, work: (span: Span) => Promise<T>): Promise<T> {
  const attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_NATS,
    [ATTR_MESSAGING_DESTINATION_NAME]: message.subject,
    [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: message.group,
    [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: message.bodySize,
    ...(message.messageId !== undefined ? { [ATTR_MESSAGING_MESSAGE_ID]: message.messageId } : {}),
    ...(message.deliveryAttempt !== undefined ? { [ATTR_DELIVERY_ATTEMPT]: message.deliveryAttempt } : {}),
  };
  return inSpan(`process ${message.subject}`, { kind, attributes, parent: contextFromHeaders(message.headers) }, work);
}

/** Publishes inside a PRODUCER span `send <subject>` whose context travels in `headers`. */
export function inSendSpan<T>(subject: string, messageId: string, headers: MsgHdrs, work: () => Promise<T>): Promise<T> {
  const attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_NATS,
    [ATTR_MESSAGING_DESTINATION_NAME]: subject,
    [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
    [ATTR_MESSAGING_OPERATION_NAME]: 'send',
    [ATTR_MESSAGING_MESSAGE_ID]: messageId,
  };
  return inSpan(`send ${subject}`, { kind: SpanKind.PRODUCER, attributes }, () => {
    injectIntoHeaders(headers);
    return work();
  });
}

/** Adds what was read from the message to the span handling it: its event id and its reset. */
export function annotateMessage(span: Span, read: { messageId?: string; resetId?: string }): void {
  if (read.messageId) span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, read.messageId);
  if (read.resetId) span.setAttribute(ATTR_RESET_ID, read.resetId);
}

/** Adds the outcome reported for the message to the span handling it (names and reasons only). */
export function annotateOutcome(span: Span, event: ResetEvent): void {
  span.setAttribute(ATTR_RESET_OUTCOME, event.name);
  if ('reason' in event.data) span.setAttribute(ATTR_RESET_REASON, event.data.reason);
  if (event.data.resetId) span.setAttribute(ATTR_RESET_ID, event.data.resetId);
}
