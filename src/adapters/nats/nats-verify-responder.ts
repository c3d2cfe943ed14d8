import { SpanKind, type Context, type Span } from '@opentelemetry/api';
import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/audit-trail.js';
import { auditFieldsOf } from './inbound-audit.js';
import { runInContext } from '../otel/message-context.js';
import { annotateMessage } from '../otel/messaging-spans.js';
import { injectIntoHeaders } from '../otel/nats-trace-context.js';
import type { ResetMetrics } from '../otel/reset-metrics.js';
import { recordFault } from '../otel/spans.js';
import { decodeVerifyRequest, verifyReplyAddress, type VerifyRequest } from './decode-inbound.js';
import { inCommandScope, publishRejection, verifySubmission } from './inbound-handling.js';
import type { MessageUseCases } from './message-use-cases.js';
import { SIGNATURE_HEADER, type MessageSigner } from '../../contract/message-signature.js';
import type { VerifyReply } from '../../contract/schemas.js';
import { readableHeaders } from '../../contract/message-headers.js';
import type { Subjects } from '../../contract/subjects.js';
import { LogThrottle } from '../system/log-throttle.js';
import { UnpublishedVerdictError, type VerifyOutcome } from '../../domain/verify-code.js';

export const VERIFY_QUEUE_GROUP = 'resetd';

export interface VerifyOptions {
  /** Verifies one instance holds at once; past it, a request is answered `unavailable` unread. */
  readonly maxInFlight: number;
}

/**
 * Serves `reset.verify` (core NATS request-reply) in the queue group, so exactly one instance
 * answers each request. A fault answers `unavailable`: nothing was checked, no try was spent
 * (except after the verdict was applied: then the verdict, see `UnpublishedVerdictError`).
 * So does a request past `maxInFlight`, at once: each verify held costs heap until Redis and
 * JetStream answer it, and a burst of them held together would exhaust the heap.
 * Each reply names its reset, echoes the request's `nonce` and body digest, and is signed, so a requester can tell
 * resetd's answer from another member of the queue group's, one reset's `completed` from another's,
 * and the answer to its own request from one captured for another (of a deployment sharing the key).
 */
export class NatsVerifyResponder {
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** What a flood meets at every request (Redis down, a reply subject not an inbox): one line of each a minute. */
  private readonly faultLines = new LogThrottle(60_000);

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly useCases: MessageUseCases,
    private readonly log: Logger,
    private readonly metrics: ResetMetrics,
    private readonly audit: AuditTrail,
    private readonly signer: MessageSigner,
    private readonly options: VerifyOptions,
  ) {}

  start(): void {
    this.subscription = this.nc.subscribe(this.subjects.verify, {
      queue: VERIFY_QUEUE_GROUP,
      callback: (error, msg) => {
        if (error) {
          this.log.warn({ err: error }, 'verify subscription error');
          return;
        }
        if (!answerableReply(msg.reply, this.subjects)) return this.dropForItsReplySubject(msg);
        if (this.inFlight.size >= this.options.maxInFlight) return this.shed(msg);
        const work = this.answer(msg);
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
    });
  }

  /** Stops taking requests and waits for the answers under way. */
  async stop(): Promise<void> {
    await this.subscription?.drain();
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Turns a request away at once: only its resetId is read (the reply must name it), no span, no
   * audit record, nothing published, so that shedding a flood costs next to nothing.
   */
  private shed(msg: Msg): void {
    this.metrics.verifyShedOne();
    this.respond(msg, { ...verifyReplyAddress(msg.data), status: 'unavailable' });
  }

  /** Neither checked nor answered: no try is spent for an answer that would go elsewhere. */
  private dropForItsReplySubject(msg: Msg): void {
    const heldBack = this.faultLines.pass('reply subject');
    if (heldBack !== undefined) {
      this.log.warn({ reply: msg.reply?.slice(0, 200), heldBack }, 'reset.verify request dropped unanswered: its reply subject is not an inbox (a JetStream API or this deployment\'s own subject)');
    }
  }

  /** Answers inside a SERVER span that continues the requester's trace; the reply carries it back. */
  private answer(msg: Msg): Promise<void> {
    const message = { subject: msg.subject, headers: readableHeaders(msg), bodySize: msg.data.byteLength, group: VERIFY_QUEUE_GROUP };
    const inbound = decodeVerifyRequest(msg.data);
    // A request that cannot be read tells the audit trail nothing it could trust.
    const audit = inbound.kind === 'unreadable' ? {} : auditFieldsOf(inbound);
    return inCommandScope(message, SpanKind.SERVER, audit, (span, context) => this.answerIn(span, context, msg, inbound));
  }

  private async answerIn(span: Span, context: Context, msg: Msg, inbound: VerifyRequest): Promise<void> {
    const resetId = inbound.kind === 'unreadable' ? inbound.resetId : inbound.kind === 'invalid' ? inbound.rejection.data.resetId : inbound.submission.resetId;
    annotateMessage(span, { resetId });
    const { nonce, requestDigest } = inbound;
    const echo = { ...(nonce === undefined ? {} : { nonce }), ...(requestDigest === undefined ? {} : { requestDigest }) };
    let reply: VerifyReply;
    try {
      reply = { resetId, ...(await this.verify(inbound, span, context)), ...echo };
    } catch (error) {
      recordFault(span, error);
      reply = { resetId, ...this.faultAnswer(error, context), ...echo };
    }
    this.metrics.verified(reply.status);
    this.audit.verifyAnswered(reply, context);
    if (this.log.isLevelEnabled('debug')) runInContext(context, () => this.log.debug({ status: reply.status }, 'verify answered'));
    this.respond(msg, reply, (headers) => injectIntoHeaders(headers, context));
  }

  private respond(msg: Msg, reply: VerifyReply, addHeaders?: (headers: MsgHdrs) => void): void {
    const body = ENCODER.encode(JSON.stringify(reply));
    const headers = natsHeaders();
    addHeaders?.(headers);
    headers.set(SIGNATURE_HEADER, this.signer.sign(body));
    msg.respond(body, { headers });
  }

  private async verify(inbound: VerifyRequest, span: Span, context: Context): Promise<Omit<VerifyReply, 'resetId'>> {
    // It names no reset a rejection could be about: the reply alone says what is wrong.
    if (inbound.kind === 'unreadable') return { status: 'invalid_request', detail: inbound.detail };
    if (inbound.kind === 'invalid') {
      await publishRejection(this.useCases.publisher(context), inbound.rejection, span);
      return { status: 'invalid_request', detail: inbound.rejection.data.detail };
    }
    return replyOf(await verifySubmission(this.useCases.verifyCode(context), inbound.submission, span));
  }

  /**
   * `unavailable` when nothing was changed; the verdict when the store applied one but its event
   * could not be published now (it is owed, and published once JetStream takes it).
   */
  private faultAnswer(error: unknown, context: Context): Omit<VerifyReply, 'resetId'> {
    if (error instanceof UnpublishedVerdictError) {
      // Not held back: each is an event the stream lacks for now (or for good, if it could not be
      // kept either), named so an operator can account for it.
      runInContext(context, () =>
        error.kept
          ? this.log.warn({ err: error }, 'verify answered; its event is owed until JetStream takes it')
          : this.log.error({ err: error }, 'verify answered, but its event could not be published nor kept'),
      );
      return replyOf(error.outcome);
    }
    const heldBack = this.faultLines.pass('unavailable');
    if (heldBack !== undefined) runInContext(context, () => this.log.warn({ err: error, heldBack }, 'verify answered unavailable'));
    return { status: 'unavailable' };
  }
}

/** What a requester is told of an outcome. */
function replyOf(outcome: VerifyOutcome): Omit<VerifyReply, 'resetId'> {
  switch (outcome.kind) {
    case 'completed':
      return { status: 'completed', attemptsRemaining: 0 };
    case 'verificationFailed':
      return { status: outcome.reason, attemptsRemaining: outcome.attemptsRemaining };
    case 'rejected':
      return { status: 'invalid_request', detail: outcome.detail };
  }
}

const ENCODER = new TextEncoder();

/**
 * Whether resetd may answer onto a request's reply subject. Not onto one under `$` (the JetStream
 * and system APIs) or under this deployment's prefix (its commands and outcome events): answering
 * would have resetd publish there, signed, for a requester whose own permissions forbid it. A
 * request without a reply subject is checked as before; its answer goes nowhere.
 */
export function answerableReply(reply: string | undefined, subjects: Subjects): boolean {
  return reply === undefined || (!reply.startsWith('$') && !reply.startsWith(`${subjects.prefix}.`));
}
