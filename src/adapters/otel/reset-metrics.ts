import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { outboundData, verifyStatus } from '../../contract/schemas.js';
import type { ResetEvent } from '../../domain/events.js';
import type { VerifyOutcome } from '../../domain/verify-code.js';

/** The result of one verification: completed, a refusal's reason, or the request-reply's own two. */
export type VerificationResult = (typeof verifyStatus.options)[number];

/** What one SMTP send came to: accepted, refused for good (5xx), or failed for now. */
export type SmtpSendResult = 'accepted' | 'permanent' | 'transient';

/** Where the observed gauges read their values at each scrape. */
export interface GaugeSources {
  readonly messagesInFlight: () => number;
  /** 0 closed, 1 open, 2 half-open; undefined while there is no breaker (the outbox mailer). */
  readonly breakerState: () => number | undefined;
  /** The inbox as JetStream last reported it; undefined while unknown. */
  readonly inboxBacklog: () => Promise<InboxBacklog | undefined>;
  /** Each part `/readyz` checks, and whether it passes now. */
  readonly readiness: () => readonly ReadinessResult[];
}

export interface InboxBacklog {
  /** Messages not yet delivered to the consumer. */
  readonly pending: number;
  /** How long the oldest message still in the inbox (not yet acknowledged) has waited; 0 when empty. */
  readonly oldestAgeSeconds: number;
}

export interface ReadinessResult {
  readonly name: string;
  readonly ready: boolean;
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
  private readonly verifyShed: Counter;

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
    // Incremented by reset.verify's bound on the verifies an instance holds at once.
    this.verifyShed = meter.createCounter('resetd_verify_shed', {
      description: 'reset.verify requests answered unavailable at once because the instance held its maximum',
    });
    this.exportZeros();
  }

  /**
   * Every series a counter can have, at 0 from the start: a series that first appears at 1 loses
   * that first increase to rate(), and an alert on a ratio needs both sides present.
   */
  private exportZeros(): void {
    this.requests.add(0, { outcome: 'code_sent', reason: 'none' });
    for (const reason of outboundData['reset.rejected'].shape.reason.options) this.requests.add(0, { outcome: 'rejected', reason });
    for (const reason of outboundData['reset.delivery.failed'].shape.reason.options) this.requests.add(0, { outcome: 'delivery_failed', reason });
    for (const result of verifyStatus.options) this.verifications.add(0, { result });
    for (const kind of ['transient', 'permanent'] satisfies SmtpSendResult[]) this.smtpFailures.add(0, { kind });
    this.verifyShed.add(0);
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

  /** A `reset.verify` turned away unread: the instance held as many as it may. Counted as `unavailable` too. */
  verifyShedOne(): void {
    this.verifyShed.add(1);
    this.verified('unavailable');
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
    const pending = this.meter.createObservableGauge('resetd_consumer_pending', { description: 'Inbox messages not yet delivered to the resetd consumer' });
    const oldest = this.meter.createObservableGauge('resetd_inbox_oldest_message_age_seconds', {
      description: 'Age of the oldest message still in the inbox stream (pending, in flight or waiting for a retry); 0 when it is empty',
      unit: 's',
    });
    // One JetStream read answers both gauges.
    this.meter.addBatchObservableCallback(
      async (result) => {
        const backlog = await sources.inboxBacklog();
        if (backlog === undefined) return;
        result.observe(pending, backlog.pending);
        result.observe(oldest, backlog.oldestAgeSeconds);
      },
      [pending, oldest],
    );
    this.meter
      .createObservableGauge('resetd_readiness_check', { description: 'Each part /readyz checks (nats, redis, smtp, service): 1 passing, 0 failing' })
      .addCallback((result) => {
        for (const check of sources.readiness()) result.observe(check.ready ? 1 : 0, { check: check.name });
      });
  }
}

/** The result a submitted code's outcome counts as. */
export function verificationResultOf(outcome: VerifyOutcome): VerificationResult {
  switch (outcome.kind) {
    case 'completed':
      return 'completed';
    case 'verificationFailed':
      return outcome.reason;
    case 'rejected':
      return 'invalid_request';
  }
}

/** The breaker's state as the gauge reports it. */
export function breakerStateValue(state: 'closed' | 'open' | 'half-open'): number {
  return state === 'closed' ? 0 : state === 'open' ? 1 : 2;
}
