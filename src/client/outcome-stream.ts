import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { deliveredMessage, readableHeaders } from '../contract/message-headers.js';
import { outboundData, receivedOutboundEvent, type ReceivedOutboundEvent } from '../contract/schemas.js';
import type { Subjects } from '../contract/subjects.js';
import { ResetClientError, ServiceUnavailableError } from './errors.js';
import { misplacement } from './event-origin.js';
import { warnUnverified, type SignatureGate, type UnverifiedMessage } from './signature-gate.js';

export interface OutcomeOptions {
  /**
   * The name of a durable consumer on `<PREFIX>_EVENTS`, created if missing: the server remembers
   * what was acknowledged, so a restarted reader goes on where it stopped. Without it, an ordered
   * consumer that lives as long as the loop.
   */
  readonly durable?: string;
  /**
   * Where a new consumer starts: `new` takes the events published after `ready`, `all` replays the
   * stream (7 days: a new durable would hand out every reset completed that week again). A durable
   * that exists already goes on where it was. `new` unless set.
   */
  readonly deliver?: 'all' | 'new';
  /** How long an event may stay unacknowledged before it comes again (durable only); 30 s unless set. */
  readonly ackWaitMs?: number;
  /**
   * Durable only. `auto` (unless set): an event is acknowledged when the loop asks for the next one.
   * One the loop ends on (`break`, `return`, or an exception: a loop cannot tell those apart) is not,
   * and comes again after the ack wait, so an event whose handling threw is not lost; call its
   * `ack()` before a `break` that follows its handling. `manual`: only `ack()` acknowledges.
   */
  readonly ack?: 'auto' | 'manual';
  /**
   * Told of a message that is not a known outcome event (from a newer resetd, say); it is skipped.
   * Unset: a process warning (RESETD_SKIPPED) for a type this client knows but cannot read, and
   * nothing for a type it does not know.
   */
  readonly onSkipped?: (skipped: { readonly subject: string; readonly seq: number; readonly reason: string }) => void;
  /**
   * Told of a message dropped because its signature did not verify against the client's
   * `verifyKeys` (a forgery, or a key the client does not hold yet), or because it is not this
   * deployment's event on its own subject (`resetdprefix`, the subject); it is never yielded. On a
   * durable consumer, one signed with a key the client does not hold comes again every 30 s, for a
   * client that is given the key later (at most 100 held at once); every other one is acknowledged.
   * Unset: the client's `onUnverified`, else a process warning.
   */
  readonly onUnverified?: (message: UnverifiedMessage) => void;
}

const DEFAULT_ACK_WAIT_MS = 30_000;
const FETCHED_AHEAD = 10;
/** How long a durable consumer holds back an event signed with a key the client does not hold. */
const UNKNOWN_KEY_RETRY_MS = 30_000;
/**
 * How many such events a durable consumer holds back at once. Each one held stays unacknowledged,
 * and the server hands out nothing more once a consumer has 1,000 of them (its max ack pending):
 * anyone who may publish on the events' subjects could otherwise stop the loop with a thousand
 * messages naming a made-up key. Past this many, one is dropped and reported like a forgery.
 */
const MAX_HELD_UNKNOWN_KEY = 100;

/** The event parsed and trusted; or dropped for good; or, on a durable, signed by a key not held: to come again. */
type Verdict = { readonly kind: 'trusted'; readonly event: OutboundEvent } | { readonly kind: 'dropped' } | { readonly kind: 'unknownKey' };

/** An outcome event: `resetdprefix` names its deployment, and a `reason` a newer resetd added comes as text. */
export type OutboundEvent = ReceivedOutboundEvent;

/** Settles an outcome event with the server. */
export interface Acknowledgeable {
  /**
   * Acknowledges the event to a durable consumer, which then never delivers it again; a second call
   * does nothing, and so does every call without `durable` (an ordered consumer keeps no state).
   */
  ack(): void;
}

/** An outcome event as the loop receives it: the event, typed by `type`, and its `ack()`. */
export type ReceivedOutcome = OutboundEvent & Acknowledgeable;

/**
 * The outcome events as an async iterable, each parsed with the schema the service publishes with,
 * and, when the client holds resetd's public keys, only those whose signature verifies.
 * With a durable consumer, see `OutcomeOptions.ack` for when an event counts as handled.
 */
export class OutcomeStream implements AsyncIterable<ReceivedOutcome> {
  /** Resolves once the consumer exists on the server; rejects as the iteration would. */
  readonly ready: Promise<void>;
  private readonly opened: Promise<{ consumer: Consumer; messages: ConsumerMessages }>;
  private iterated = false;
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly subjects: Subjects,
    private readonly options: OutcomeOptions,
    private readonly gate: SignatureGate,
  ) {
    this.opened = this.open();
    this.ready = this.opened.then(() => undefined);
    // The same failure reaches whoever iterates; a caller who never awaits `ready` is not faulted for it.
    this.ready.catch(() => undefined);
  }

  /** Ends the iteration; events not yet acknowledged come again to a durable consumer. */
  stop(): void {
    this.stopped = true;
    void this.opened
      .then(async ({ consumer, messages }) => {
        messages.stop();
        // An iteration deletes its ordered consumer as it ends; one never iterated would linger on the server.
        if (!this.iterated && this.options.durable === undefined) await consumer.delete();
      })
      .catch(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedOutcome> {
    if (this.iterated) throw new ResetClientError('an outcome stream can be iterated once; call outcomes() again');
    this.iterated = true;
    const { consumer, messages } = await this.opened;
    const durable = this.options.durable !== undefined;
    const autoAck = durable && this.options.ack !== 'manual';
    // While the caller handles an event, the server is told so, a third of the ack wait apart: a
    // handler slower than the ack wait does not get the same event delivered again meanwhile.
    const progressMs = (this.options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS) / 3;
    // The stream sequences held back for a key not held, with when each came last: they come
    // again every UNKNOWN_KEY_RETRY_MS while held; one that stops coming (acknowledged by another
    // reader of this durable, or aged out of the stream) frees its place.
    const held = new Map<number, number>();
    try {
      for await (const msg of messages) {
        let acked = !durable;
        let inProgress: NodeJS.Timeout | undefined;
        const ack = () => {
          clearInterval(inProgress);
          if (!acked) msg.ack();
          acked = true;
        };
        const now = Date.now();
        for (const [seq, seen] of held) if (now - seen > 2.5 * UNKNOWN_KEY_RETRY_MS) held.delete(seq);
        const verdict = this.judge(msg, durable, held.has(msg.seq) || held.size < MAX_HELD_UNKNOWN_KEY);
        // Acknowledged, it would be lost to this durable for good, also once the client holds the
        // key (resetd's new one, after a rotation the client has not caught up with yet).
        if (verdict.kind === 'unknownKey') {
          held.set(msg.seq, now);
          msg.nak(UNKNOWN_KEY_RETRY_MS);
          continue;
        }
        // A dropped message is never handed out, so nothing else could acknowledge it; a forgery
        // delivered again would be dropped again.
        if (verdict.kind === 'dropped') {
          ack();
          continue;
        }
        const { event } = verdict;
        if (durable) {
          inProgress = setInterval(() => {
            if (!acked) msg.working();
          }, progressMs).unref();
        }
        try {
          // Not enumerable: the event prints, compares and serialises as the CloudEvent it is.
          yield Object.defineProperty(event, 'ack', { value: ack, enumerable: false }) as ReceivedOutcome;
        } finally {
          clearInterval(inProgress);
        }
        // Only a loop that asks for the next event gets here: one that ended on this event (a
        // break, an exception) did not, and the event comes again after the ack wait.
        if (autoAck) ack();
      }
      await this.throwUnlessEndedByUs();
    } finally {
      messages.stop();
      // An ordered consumer would linger on the server until its inactivity limit.
      if (!durable) await consumer.delete().catch(() => undefined);
    }
  }

  /**
   * nats.js ends the messages quietly when the connection closes for good (a login refused after a
   * credential rotation, reconnects exhausted): a loop that did not stop, over a connection that
   * closed with an error, ends with that error rather than as if there were nothing more to read.
   */
  private async throwUnlessEndedByUs(): Promise<void> {
    if (this.stopped || !this.nc.isClosed()) return;
    const why = await this.nc.closed();
    if (why instanceof Error) throw new ServiceUnavailableError(`the NATS connection closed for good, so no more outcome events can be read: ${why.message}`, { cause: why });
  }

  /**
   * Signed by resetd (with keys), this deployment's on its own subject, and readable: or not. One
   * signed with a key not held comes again on a durable with `roomToHold`.
   */
  private judge(msg: JsMsg, durable: boolean, roomToHold: boolean): Verdict {
    const refusal = this.gate.refusal(msg.data, readableHeaders(deliveredMessage(msg)));
    if (refusal !== undefined) {
      if (refusal.unknownKey && durable && roomToHold) {
        this.unverified(msg, `${refusal.reason}; it comes again in ${UNKNOWN_KEY_RETRY_MS / 1000} s`);
        return { kind: 'unknownKey' };
      }
      const full = refusal.unknownKey && durable;
      this.unverified(msg, full ? `${refusal.reason}; dropped, as ${MAX_HELD_UNKNOWN_KEY} others signed with keys this client does not hold are held already` : refusal.reason);
      return { kind: 'dropped' };
    }
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      return this.skip(msg, 'the body is not JSON', false);
    }
    const misplaced = misplacement(body, msg.subject, this.subjects);
    if (misplaced !== undefined) {
      this.unverified(msg, misplaced);
      return { kind: 'dropped' };
    }
    const parsed = receivedOutboundEvent.safeParse(body);
    if (parsed.success) return { kind: 'trusted', event: parsed.data };
    const type = (body as { type?: unknown } | null)?.type;
    const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    return this.skip(msg, reason, typeof type === 'string' && Object.hasOwn(outboundData, type));
  }

  private unverified(msg: JsMsg, reason: string): void {
    (this.options.onUnverified ?? warnUnverified)({ subject: msg.subject, seq: msg.seq, reason });
  }

  private skip(msg: JsMsg, reason: string, known: boolean): Verdict {
    const skipped = { subject: msg.subject, seq: msg.seq, reason };
    if (this.options.onSkipped) this.options.onSkipped(skipped);
    // A type this client does not know is a newer resetd's, skipped as the contract asks; one it
    // knows that does not read (version skew, a bug) would otherwise be acknowledged without a word.
    else if (known) process.emitWarning(`resetd client skipped message ${skipped.seq} on ${skipped.subject}, which it cannot read: ${reason}`, { code: 'RESETD_SKIPPED' });
    return { kind: 'dropped' };
  }

  private async open(): Promise<{ consumer: Consumer; messages: ConsumerMessages }> {
    try {
      const consumer = this.options.durable !== undefined ? await this.durable(this.options.durable) : await this.ordered();
      // A durable deleted under the loop (or its stream, with JetStream's storage lost) ends the loop
      // with an error: else nats.js waits for it to come back, and the loop for ever, silently.
      // An ordered consumer makes itself anew.
      const abortOnMissing = this.options.durable !== undefined;
      // A few at a time: the events fetched wait their turn under the ack wait, and only the one in
      // hand is kept in progress (a hundred behind a slow handler came again, handled twice).
      return { consumer, messages: await consumer.consume({ max_messages: FETCHED_AHEAD, ...(abortOnMissing ? { abort_on_missing_resource: true } : {}) }) };
    } catch (error) {
      if (isNamed(error, 'StreamNotFoundError')) {
        throw new ServiceUnavailableError(`no stream ${this.subjects.eventsStream}: start resetd first (it creates its streams), or check the subject prefix`, { cause: error });
      }
      throw error;
    }
  }

  private async durable(name: string): Promise<Consumer> {
    try {
      return await this.js.consumers.get(this.subjects.eventsStream, name);
    } catch (error) {
      if (!isNamed(error, 'ConsumerNotFoundError')) throw error;
    }
    await this.jsm.consumers.add(this.subjects.eventsStream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: this.options.deliver === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
      ack_wait: nanos(this.options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    });
    return this.js.consumers.get(this.subjects.eventsStream, name);
  }

  private async ordered(): Promise<Consumer> {
    // A start sequence, not DeliverPolicy.New: an ordered consumer re-created after a reconnect
    // resumes from its cursor, and `new` would leave that cursor at the stream's start.
    const start = this.options.deliver === 'all' ? 1 : (await this.jsm.streams.info(this.subjects.eventsStream)).state.last_seq + 1;
    return this.js.consumers.get(this.subjects.eventsStream, { opt_start_seq: start });
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
