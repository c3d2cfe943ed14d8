import { isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import type { ResetEvent } from '../../domain/events.js';
import type { Clock } from '../../domain/ports.js';
import type { VerifyReply } from '../../contract/schemas.js';
import { auditContextOf, noteAudit } from './audit-context.js';
import { eventRecord, verifyAnswerRecord, type AuditRecord, type RecordSource } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';

/**
 * Writes the audit trail: one record per outcome event resetd publishes and per `reset.verify`
 * answer, with what the message's audit scope (in its `context`) knows about the request.
 */
export class AuditTrail {
  constructor(
    private readonly sink: AuditSink,
    private readonly clock: Clock,
  ) {}

  /** An outcome event the broker took (not a repeat it dropped); `eventId` is the id it was published under. */
  eventPublished(event: ResetEvent, eventId: string, context: Context): void {
    this.write(eventRecord(event, eventId, this.source(context)));
    this.learnFrom(event, context);
  }

  /** A repeat the broker dropped: not audited again, but what it says about the request is noted. */
  eventRepeated(event: ResetEvent, context: Context): void {
    this.learnFrom(event, context);
  }

  /** The answer a `reset.verify` request got. */
  verifyAnswered(reply: VerifyReply, context: Context): void {
    this.write(verifyAnswerRecord(reply, this.source(context)));
  }

  /** A verify answer names the user its outcome event named. */
  private learnFrom(event: ResetEvent, context: Context): void {
    const data = event.data as { resetId: string; userId?: string };
    noteAudit({ resetId: data.resetId, userId: data.userId }, context);
  }

  private source(context: Context): RecordSource {
    const span = trace.getSpanContext(context);
    return {
      time: new Date(this.clock.now()).toISOString(),
      context: auditContextOf(context),
      traceId: span && isSpanContextValid(span) ? span.traceId : undefined,
    };
  }

  private write(record: AuditRecord): void {
    this.sink.write(`${JSON.stringify(record)}\n`);
  }
}
