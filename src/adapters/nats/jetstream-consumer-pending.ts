import type { JetStreamManager } from '@nats-io/jetstream';

/**
 * How many inbox messages wait for the consumer, read from the consumer's info at most once per
 * `maxAgeMs`, so that frequent scrapes do not each cost a JetStream API call.
 */
export class JetStreamConsumerPending {
  private last: { readonly value: number | undefined; readonly at: number } | undefined;
  private reading: Promise<number | undefined> | undefined;
  private manager: JetStreamManager | undefined;

  constructor(
    private readonly jsm: () => Promise<JetStreamManager>,
    private readonly stream: string,
    private readonly consumer: string,
    private readonly maxAgeMs = 5_000,
  ) {}

  /** The pending count, or undefined while NATS cannot tell (disconnected, consumer not made yet). */
  read(): Promise<number | undefined> {
    if (this.last && Date.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.value);
    this.reading ??= this.fetch().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async fetch(): Promise<number | undefined> {
    let value: number | undefined;
    try {
      this.manager ??= await this.jsm();
      value = (await this.manager.consumers.info(this.stream, this.consumer)).num_pending;
    } catch {
      value = undefined;
    }
    this.last = { value, at: Date.now() };
    return value;
  }
}
