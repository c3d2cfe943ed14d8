import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveredMessage, readableHeaders } from '../../contract/message-headers.js';
import type { Disposition } from './disposition.js';

export interface ConsumeLoopOptions {
  readonly stream: string;
  readonly consumer: string;
  readonly maxInFlight: number;
  /** How often a message in progress is reported as such; well inside the consumer's ack wait. */
  readonly workingIntervalMs: number;
  /** How long one pull waits for messages before it is renewed. */
  readonly fetchExpiresMs: number;
}

/** What a handler is told about a message: everything but the means to settle it, which the loop keeps. */
export interface Delivery {
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  readonly data: Uint8Array;
  /** The stream sequence. */
  readonly seq: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** When the stream took the message. */
  readonly storedAt: Date;
}

/**
 * Decides what becomes of a message. It should not throw: one that does leaves the message
 * unsettled, and the server redelivers it after the consumer's ack wait.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<Disposition>;

/** Reports whether the loop should hold off fetching (the mailer's breaker is open, say). */
export type FetchGate = () => boolean;

/**
 * Pulls from a durable JetStream consumer with at most `maxInFlight` messages in hand, keeps each
 * one claimed while its handler runs, and settles it as the handler's disposition says. The only
 * code that touches a `JsMsg`: what a message means is the handler's business.
 */
export class JetStreamConsumeLoop {
  private readonly inFlight = new Set<Promise<void>>();
  /** The messages being handled, which the heartbeat keeps claimed. */
  private readonly inHand = new Set<JsMsg>();
  private heartbeat: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private slotFreed: (() => void) | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: ConsumeLoopOptions,
    private readonly handler: DeliveryHandler,
    private readonly fetchGate: FetchGate,
    private readonly log: Logger,
  ) {}

  get messagesInFlight(): number {
    return this.inFlight.size;
  }

  start(): void {
    // While a message is being handled it is ours: tell the server, so it is not redelivered to
    // another instance mid-flight (a slow SMTP server must not cause a second mail). One timer for
    // every message in hand, not one each: each is told at least once an interval all the same.
    this.heartbeat ??= setInterval(() => {
      for (const msg of this.inHand) msg.working();
    }, this.options.workingIntervalMs).unref();
    this.running ??= this.pullLoop();
  }

  /** Stops fetching and waits for every message in flight to be settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.slotFreed?.();
    await this.running;
    await Promise.allSettled([...this.inFlight]);
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async pullLoop(): Promise<void> {
    let consumer: Consumer | undefined;
    while (!this.stopping) {
      try {
        await this.waitForRoom();
        if (this.stopping) break;
        consumer ??= await this.js.consumers.get(this.options.stream, this.options.consumer);
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

  private async settle(msg: JsMsg): Promise<void> {
    const delivery: Delivery = {
      subject: msg.subject,
      // Never throws: a throw here would reject this promise, which nothing awaits, and end the process.
      headers: readableHeaders(deliveredMessage(msg)),
      data: msg.data,
      seq: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      storedAt: msg.time,
    };
    this.inHand.add(msg);
    let disposition: Disposition;
    try {
      disposition = await this.handler(delivery);
    } catch (error) {
      this.log.error({ err: error, subject: msg.subject, seq: msg.seq }, 'the handler failed; the message is redelivered after the ack wait');
      return;
    } finally {
      this.inHand.delete(msg);
    }
    if (disposition.kind === 'ack') msg.ack();
    else msg.nak(disposition.delayMs);
  }
}

const STOPPING_REDELIVERY_MS = 1_000;
const FETCH_GRACE_MS = 5_000;
