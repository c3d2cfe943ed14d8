import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { ResetEvent } from '../../domain/events.js';

/** The result of one verification: completed, a refusal's reason, or the request-reply's own two. */
export type VerificationResult = 'completed' | 'invalid_code' | 'expired' | 'locked' | 'unknown_reset' | 'superseded' | 'invalid_request' | 'unavailable';

/** What one SMTP send came to: accepted, refused for good (5xx), or failed for now. */
export type SmtpSendResult = 'accepted' | 'permanent' | 'transient';

/** Where the observed gauges read their values at each scrape. */
export interface GaugeSources {
  readonly messagesInFlight: () => number;
  /** 0 closed, 1 open, 2 half-open; undefined while there is no breaker (the outbox mailer). */
  readonly breakerState: () => number | undefined;
  /** Messages in the inbox not yet delivered to the consumer; undefined while unknown. */
  readonly consumerPending: () => Promise<number | undefined>;
}

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const SECONDS_SLOW = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * resetd's metrics, every name starting with `resetd_`. Labels take only closed sets of values
 * (outcomes and reasons from the contract), never an id, an address or a code.
 */
export class ResetMetrics {
  private readonly requests: Counter;
  private readonly verifications: Counter;
  private readonly requestToMail: Histogram;
  private readonly smtpSend: Histogram;
  private readonly smtpFailures: Counter;

  constructor(private readonly meter: Meter) {
    this.requests = meter.createCounter('resetd_requests', {
      description: 'Password reset requests by outcome (code_sent, rejected, delivery_failed) and reason',
    });
    this.verifications = meter.createCounter('resetd_verifications', {
      description: 'Code verifications (reset.code.submitted and reset.verify) by result',
    });
    this.requestToMail = meter.createHistogram('resetd_request_to_mail_seconds', {
      description: 'From a reset.requested reaching the inbox stream to its code mail accepted by the SMTP server',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_SLOW },
    });
    this.smtpSend = meter.createHistogram('resetd_smtp_send_seconds', {
      description: 'One SMTP send, by result (accepted, permanent, transient)',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_FAST },
    });
    this.smtpFailures = meter.createCounter('resetd_smtp_failures', {
      description: 'SMTP sends that failed, by kind: transient (retried later) or permanent (5xx, not retried)',
    });
  }

  /** Counts the outcome a `reset.requested` was answered with. */
  requestAnswered(outcome: ResetEvent): void {
    switch (outcome.name) {
      case 'reset.code.sent':
        return this.requests.add(1, { outcome: 'code_sent', reason: 'none' });
      case 'reset.rejected':
        return this.requests.add(1, { outcome: 'rejected', reason: outcome.data.reason });
      case 'reset.delivery.failed':
        return this.requests.add(1, { outcome: 'delivery_failed', reason: outcome.data.reason });
      default:
        // A verification event never answers a request.
        return undefined;
    }
  }

  verified(result: VerificationResult): void {
    this.verifications.add(1, { result });
  }

  /** A code mail accepted `seconds` after its request reached the stream. */
  mailedAfter(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.requestToMail.record(seconds);
  }

  smtpSent(result: SmtpSendResult, seconds: number): void {
    const attributes: Attributes = { result };
    this.smtpSend.record(seconds, attributes);
    if (result !== 'accepted') this.smtpFailures.add(1, { kind: result });
  }

  /** Registers the gauges read at each scrape. */
  observe(sources: GaugeSources): void {
    this.meter
      .createObservableGauge('resetd_messages_in_flight', { description: 'Inbox messages being handled now' })
      .addCallback((result) => result.observe(sources.messagesInFlight()));
    this.meter
      .createObservableGauge('resetd_breaker_state', { description: 'The SMTP circuit breaker: 0 closed, 1 open, 2 half-open' })
      .addCallback((result) => {
        const state = sources.breakerState();
        if (state !== undefined) result.observe(state);
      });
    this.meter
      .createObservableGauge('resetd_consumer_pending', { description: 'Inbox messages not yet delivered to the resetd consumer' })
      .addCallback(async (result) => {
        const pending = await sources.consumerPending();
        if (pending !== undefined) result.observe(pending);
      });
  }
}

/** The breaker's state as the gauge reports it. */
export function breakerStateValue(state: 'closed' | 'open' | 'half-open'): number {
  return state === 'closed' ? 0 : state === 'open' ? 1 : 2;
}
