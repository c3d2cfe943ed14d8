import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../domain/ports.js';
import type { RequestReset } from '../../domain/request-reset.js';
import type { VerifyCode } from '../../domain/verify-code.js';
import { TOKENS } from '../../app/tokens.js';
import { decodeInbound } from './decode-inbound.js';
import { dispositionOf, faultBackoff, type BackoffOptions, type Disposition } from './disposition.js';
import type { Subjects } from './subjects.js';
import { typeOfSubject } from './subjects.js';

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
@injectable()
export class JetStreamInbox {
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private slotFreed: (() => void) | undefined;

  constructor(
    @inject(TOKENS.JetStream) private readonly js: JetStreamClient,
    @inject(TOKENS.Subjects) private readonly subjects: Subjects,
    @inject(TOKENS.InboxOptions) private readonly options: InboxOptions,
    @inject(TOKENS.RequestReset) private readonly requestReset: RequestReset,
    @inject(TOKENS.VerifyCode) private readonly verifyCode: VerifyCode,
    @inject(TOKENS.EventPublisher) private readonly publisher: EventPublisher,
    @inject(TOKENS.FetchGate) private readonly fetchGate: FetchGate,
    @inject(TOKENS.Logger) private readonly log: Logger,
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
        for await (const msg of batch) {
          // A pull still open while stopping may bring more: hand those straight back to the stream.
          if (this.stopping) msg.nak(STOPPING_REDELIVERY_MS);
          else this.track(this.settle(msg));
        }
      } catch (error) {
        if (this.stopping) break;
        consumer = undefined;
        this.log.warn({ err: error }, 'pulling from the inbox failed; retrying');
        await sleep(1000);
      }
    }
  }

  private async waitForRoom(): Promise<void> {
    while (!this.stopping && (this.inFlight.size >= this.options.maxInFlight || this.fetchGate())) {
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
    // While a message is being handled it is ours: tell the server, so it is not redelivered to
    // another instance mid-flight (a slow SMTP server must not cause a second mail).
    const heartbeat = setInterval(() => msg.working(), this.options.workingIntervalMs);
    let disposition: Disposition;
    try {
      disposition = await this.handle(msg);
    } catch (error) {
      const delayMs = faultBackoff(msg.info.deliveryCount, this.options);
      this.log.warn({ err: error, subject: msg.subject, seq: msg.seq, delivery: msg.info.deliveryCount, delayMs }, 'message will be redelivered');
      disposition = { kind: 'nak', delayMs };
    } finally {
      clearInterval(heartbeat);
    }
    if (disposition.kind === 'ack') msg.ack();
    else msg.nak(disposition.delayMs);
  }

  private async handle(msg: JsMsg): Promise<Disposition> {
    const type = typeOfSubject(this.subjects, msg.subject) ?? msg.subject;
    const inbound = decodeInbound(type, msg.data, String(msg.seq));
    const delivery = {
      messageId: `${this.subjects.inboxStream}:${msg.seq}`,
      attempt: msg.info.deliveryCount,
      final: this.options.maxDeliver > 0 && msg.info.deliveryCount >= this.options.maxDeliver,
    };
    switch (inbound.kind) {
      case 'invalid':
        await this.publisher.publish(inbound.rejection);
        this.log.info({ seq: msg.seq, detail: inbound.rejection.data }, 'rejected an invalid message');
        return { kind: 'ack' };
      case 'requested':
        return dispositionOf(await this.requestReset.handle(inbound.request, delivery));
      case 'submitted':
        await this.verifyCode.handle(inbound.submission);
        return { kind: 'ack' };
      case 'passwordChanged':
        // The notice is not served by this version; the command waits in the stream for one that does.
        return { kind: 'nak', delayMs: 5 * 60_000 };
    }
  }
}

const STOPPING_REDELIVERY_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
