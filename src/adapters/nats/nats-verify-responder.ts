import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import type { EventPublisher, Random } from '../../domain/ports.js';
import type { VerifyCode } from '../../domain/verify-code.js';
import { TOKENS } from '../../app/tokens.js';
import { decodeVerifyRequest } from './decode-inbound.js';
import type { VerifyReply } from './schemas.js';
import type { Subjects } from './subjects.js';

export const VERIFY_QUEUE_GROUP = 'resetd';

/**
 * Serves `reset.verify` (core NATS request-reply) in the queue group, so exactly one instance
 * answers each request. A fault answers `unavailable`: nothing was checked, no try was spent.
 */
@injectable()
export class NatsVerifyResponder {
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @inject(TOKENS.Nats) private readonly nc: NatsConnection,
    @inject(TOKENS.Subjects) private readonly subjects: Subjects,
    @inject(TOKENS.VerifyCode) private readonly verifyCode: VerifyCode,
    @inject(TOKENS.EventPublisher) private readonly publisher: EventPublisher,
    @inject(TOKENS.Random) private readonly random: Random,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  start(): void {
    this.subscription = this.nc.subscribe(this.subjects.verify, {
      queue: VERIFY_QUEUE_GROUP,
      callback: (error, msg) => {
        if (error) {
          this.log.warn({ err: error }, 'verify subscription error');
          return;
        }
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

  private async answer(msg: Msg): Promise<void> {
    let reply: VerifyReply;
    try {
      reply = await this.verify(msg.data);
    } catch (error) {
      this.log.warn({ err: error }, 'verify answered unavailable');
      reply = { status: 'unavailable', attemptsRemaining: 0 };
    }
    msg.respond(JSON.stringify(reply));
  }

  private async verify(body: Uint8Array): Promise<VerifyReply> {
    const inbound = decodeVerifyRequest(body, `v:${this.random.token()}`);
    if (inbound.kind === 'invalid') {
      await this.publisher.publish(inbound.rejection);
      return { status: 'invalid_request', attemptsRemaining: 0 };
    }
    const outcome = await this.verifyCode.handle(inbound.submission);
    return outcome.kind === 'completed'
      ? { status: 'completed', attemptsRemaining: 0 }
      : { status: outcome.reason, attemptsRemaining: outcome.attemptsRemaining };
  }
}
