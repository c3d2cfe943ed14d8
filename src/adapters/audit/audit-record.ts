import type { ResetEvent } from '../../domain/events.js';
import type { VerifyReply } from '../../contract/schemas.js';
import type { AuditContext } from './audit-context.js';

/**
 * One line of the audit trail. Every field is always there (`null` when unknown), so a log store
 * sees one schema. It never holds a code, and the address only masked.
 */
export interface AuditRecord {
  /** Tells an audit line apart from the debug log when both go to stdout. */
  readonly audit: true;
  readonly time: string;
  /** The outcome event resetd published, or `reset.verify` for an answer to a request-reply. */
  readonly event: string;
  /** The published CloudEvent's id; null for a `reset.verify` answer. */
  readonly eventId: string | null;
  readonly resetId: string | null;
  readonly userId: string | null;
  readonly email: string | null;
  /** As the request gave it. */
  readonly clientIp: string | null;
  /** What the per-IP limits counted it as (its IPv4 address, or its IPv6 network); null when nothing counted it. */
  readonly clientIpKey: string | null;
  readonly userAgent: string | null;
  readonly outcome: AuditOutcome;
  /** The event's `reason`, or the `reset.verify` status that is not `completed`. */
  readonly reason: string | null;
  readonly attemptsRemaining: number | null;
  /** The trace the outcome was reached in (W3C trace id), when tracing is on. */
  readonly trace_id: string | null;
}

/** `success`: mailed or completed; `failure`: not, for a reason; `rejected`: refused unchecked; `error`: a fault. */
export type AuditOutcome = 'success' | 'failure' | 'rejected' | 'error';

export interface RecordSource {
  readonly time: string;
  readonly context: Readonly<AuditContext>;
  readonly traceId: string | undefined;
}

const OUTCOME_OF_EVENT: Readonly<Record<ResetEvent['name'], AuditOutcome>> = {
  'reset.code.sent': 'success',
  'reset.completed': 'success',
  'reset.notice.sent': 'success',
  'reset.rejected': 'rejected',
  'reset.delivery.failed': 'failure',
  'reset.verification.failed': 'failure',
};

export function eventRecord(event: ResetEvent, eventId: string, source: RecordSource): AuditRecord {
  const data = event.data as ResetEvent['data'] & { userId?: string; reason?: string; attemptsRemaining?: number };
  return record(source, {
    event: event.name,
    eventId,
    resetId: data.resetId || source.context.resetId,
    userId: data.userId ?? source.context.userId,
    outcome: OUTCOME_OF_EVENT[event.name],
    reason: data.reason,
    attemptsRemaining: data.attemptsRemaining,
  });
}

export function verifyAnswerRecord(reply: VerifyReply, source: RecordSource): AuditRecord {
  const outcome: AuditOutcome =
    reply.status === 'completed'
      ? 'success'
      : reply.status === 'invalid_request'
        ? 'rejected'
        : reply.status === 'unavailable'
          ? 'error'
          : 'failure';
  return record(source, {
    event: 'reset.verify',
    resetId: source.context.resetId,
    userId: source.context.userId,
    outcome,
    reason: reply.status === 'completed' ? undefined : reply.status,
    attemptsRemaining: reply.attemptsRemaining,
  });
}

interface Fields {
  event: string;
  eventId?: string;
  resetId?: string;
  userId?: string;
  outcome: AuditOutcome;
  reason?: string;
  attemptsRemaining?: number;
}

function record(source: RecordSource, fields: Fields): AuditRecord {
  const { context } = source;
  return {
    audit: true,
    time: source.time,
    event: fields.event,
    eventId: fields.eventId ?? null,
    resetId: fields.resetId || null,
    userId: fields.userId || null,
    email: context.email ?? null,
    clientIp: context.clientIp ?? null,
    clientIpKey: context.clientIpKey ?? null,
    userAgent: context.userAgent ?? null,
    outcome: fields.outcome,
    reason: fields.reason ?? null,
    attemptsRemaining: fields.attemptsRemaining ?? null,
    trace_id: source.traceId ?? null,
  };
}
