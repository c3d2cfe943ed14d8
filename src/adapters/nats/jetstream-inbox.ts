import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { SpanKind, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { MailUnavailableError } from '../../domain/errors.js';
import type { ResetEvent } from '../../domain/events.js';
import type { EventPublisher } from '../../domain/ports.js';
import type { NotifyPasswordChanged } from '../../domain/notify-password-changed.js';
import type { RequestReset } from '../../domain/request-reset.js';
import type { VerifyCode } from '../../domain/verify-code.js';
import { noteAudit, withAuditScope } from '../audit/audit-context.js';
import { auditFieldsOf } from '../audit/inbound-audit.js';
import { annotateMessage, annotateOutcome, inProcessSpan } from '../otel/messaging-spans.js';
import { verificationResultOf, type ResetMetrics } from '../otel/reset-metrics.js';
import { recordFault } from '../otel/spans.js';
import { decodeInbound } from './decode-inbound.js';
import { dispositionOf, faultBackoff, type BackoffOptions, type Disposition } from './disposition.js';
import type { Subjects } from '../../contract/subjects.js';
import { typeOfSubject } from '../../contract/subjects.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface InboxOptions extends BackoffOptions {
  readonly consumer: string;
  readonly maxInFlight: number;
  /** -1 when the consumer redelivers without limit. */
  readonly maxDeliver: number;
  /** How often a message in progress is reported as such; well inside the consumer's ack wait. */
  readonly workingIntervalMs: number;
  /** How long one pull waits for messages before it is renewed. */
  readonly fetchExpiresMs: number;
}

/** Reports whether the inbox should hold off fetching (the mailer's breaker is open, say). */
export type FetchGate = () => boolean;

/**
 * Pulls commands from `<PREFIX>_INBOX` with a bounded number in flight, hands each to its use case,
 * and is the one place where outcomes and faults become ack or nak.
 */
export class JetStreamInbox {
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private slotFreed: (() => void) | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: Subjects,
    private readonly options: InboxOptions,
    private readonly requestReset: RequestReset,
    private readonly verifyCode: VerifyCode,
    private readonly notifyPasswordChanged: NotifyPasswordChanged,
    private readonly publisher: EventPublisher,
    private readonly fetchGate: FetchGate,
    private readonly log: Logger,
    private readonly metrics: ResetMetrics,
  ) {}

  get messagesInFlight(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.running ??= this.pullLoop();
  }

  /** Stops fetching and waits for every message in flight to be settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.slotFreed?.();
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  private async pullLoop(): Promise<void> {
    let consumer: Consumer | undefined;
    while (!this.stopping) {
      try {
        await this.waitForRoom();
        if (this.stopping) break;
        consumer ??= await this.js.consumers.get(this.subjects.inboxStream, this.options.consumer);
        const batch = await consumer.fetch({
          max_messages: this.options.maxInFlight - this.inFlight.size,
          expires: this.options.fetchExpiresMs,
        });
        // A pull open while the connection is lost may never end by itself (the client waits for
        // the server to answer again); end it, so the loop pulls afresh once NATS is back.
        const watchdog = setTimeout(() => batch.stop(new Error('the pull outlived its expiry')), this.options.fetchExpiresMs + FETCH_GRACE_MS);
        try {
          for await (const msg of batch) {
            // A pull still open while stopping may bring more: hand those straight back to the stream.
            if (this.stopping) msg.nak(STOPPING_REDELIVERY_MS);
            else this.track(this.settle(msg));
          }
        } finally {
          clearTimeout(watchdog);
        }
      } catch (error) {
        if (this.stopping) break;
        consumer = undefined;
        this.log.warn({ err: error }, 'pulling from the inbox failed; retrying');
        await sleep(1000);
      }
    }
  }

  /**
   * Waits until a quarter of the slots are free (and the gate is open): under load, one pull then
   * brings a batch instead of a message or two, and a pull still open takes new messages as they come.
   */
  private async waitForRoom(): Promise<void> {
    const batch = Math.max(1, Math.ceil(this.options.maxInFlight / 4));
    while (!this.stopping && (this.options.maxInFlight - this.inFlight.size < batch || this.fetchGate())) {
      await new Promise<void>((resolve) => {
        this.slotFreed = resolve;
        // The gate has no event of its own; look again shortly.
        setTimeout(resolve, 250).unref();
      });
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.slotFreed?.();
    });
  }

  /** Handles a message inside a CONSUMER span that continues the trace its producer sent along. */
  private settle(msg: JsMsg): Promise<void> {
    const message = {
      subject: msg.subject,
      headers: msg.headers,
      bodySize: msg.data.byteLength,
      group: this.options.consumer,
      messageId: String(msg.seq),
      deliveryAttempt: msg.info.deliveryCount,
    };
    return inProcessSpan(message, SpanKind.CONSUMER, (span) => this.settleIn(span, msg));
  }

  private async settleIn(span: Span, msg: JsMsg): Promise<void> {
    // While a message is being handled it is ours: tell the server, so it is not redelivered to
    // another instance mid-flight (a slow SMTP server must not cause a second mail).
    const heartbeat = setInterval(() => msg.working(), this.options.workingIntervalMs);
    let disposition: Disposition;
    try {
      // Each message's outcomes are audited with what its own command said (IP, user agent, user).
      disposition = await withAuditScope(() => this.handle(msg));
    } catch (error) {
      recordFault(span, error);
      // A mailer held back by its breaker knows when the next probe is due; else back off by delivery.
      const delayMs = (error instanceof MailUnavailableError ? error.retryAfterMs : undefined) ?? faultBackoff(msg.info.deliveryCount, this.options);
      this.log.warn({ err: error, subject: msg.subject, seq: msg.seq, delivery: msg.info.deliveryCount, delayMs }, 'message will be redelivered');
      disposition = { kind: 'nak', delayMs };
    } finally {
      clearInterval(heartbeat);
    }
    this.log.debug({ subject: msg.subject, seq: msg.seq, delivery: msg.info.deliveryCount, disposition }, 'message handled');
    if (disposition.kind === 'ack') msg.ack();
    else msg.nak(disposition.delayMs);
  }

  private async handle(msg: JsMsg): Promise<Disposition> {
    const type = typeOfSubject(this.subjects, msg.subject) ?? msg.subject;
    const inbound = decodeInbound(type, msg.data, String(msg.seq));
    noteAudit(auditFieldsOf(inbound));
    const delivery = {
      messageId: `${this.subjects.inboxStream}:${msg.seq}`,
      attempt: msg.info.deliveryCount,
      final: this.options.maxDeliver > 0 && msg.info.deliveryCount >= this.options.maxDeliver,
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
        const { duplicate } = await this.publisher.publish(rejection);
        annotateOutcome(rejection);
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
        const outcome = await this.verifyCode.handle(inbound.submission);
        annotateOutcome(outcome.event);
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

  private requestAnswered({ event, repeated }: { event: ResetEvent; repeated: boolean }, msg: JsMsg): void {
    annotateOutcome(event);
    // Outcomes are counted, not deliveries: one the broker already had was counted when first reported.
    if (repeated) return;
    this.metrics.requestAnswered(event);
    // From the moment the stream took the request, so time spent waiting in it counts too.
    if (event.name === 'reset.code.sent') this.metrics.mailedAfter((Date.now() - msg.time.getTime()) / 1000);
  }
}

const STOPPING_REDELIVERY_MS = 1_000;
const FETCH_GRACE_MS = 5_000;
