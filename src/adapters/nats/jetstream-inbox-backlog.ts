import type { JetStreamManager } from '@nats-io/jetstream';
import type { InboxBacklog } from '../otel/reset-metrics.js';

export interface InboxBacklogOptions {
  /** How long a read serves: scrapes within it cost no JetStream API call. */
  readonly maxAgeMs?: number;
  /** Told why a read failed: without it the gauges vanish, and the backlog alerts with them, without a word. */
  readonly onUnreadable?: (error: unknown) => void;
}

/**
 * The inbox's backlog: how many messages wait for the consumer, and how long the oldest message
 * still in the stream has waited. The inbox is a work queue, so a message leaves it when it is
 * acknowledged and the stream's first message is the oldest not yet done. Read at most once per
 * `maxAgeMs` (5 s unless told), so that frequent scrapes do not each cost JetStream API calls.
 */
export class JetStreamInboxBacklog {
  private last: { readonly value: InboxBacklog | undefined; readonly at: number } | undefined;
  private reading: Promise<InboxBacklog | undefined> | undefined;
  private manager: JetStreamManager | undefined;
  private readonly maxAgeMs: number;
  private readonly onUnreadable: (error: unknown) => void;

  constructor(
    private readonly jsm: () => Promise<JetStreamManager>,
    private readonly stream: string,
    private readonly consumer: string,
    { maxAgeMs = 5_000, onUnreadable = () => undefined }: InboxBacklogOptions = {},
  ) {
    this.maxAgeMs = maxAgeMs;
    this.onUnreadable = onUnreadable;
  }

  /** The backlog, or undefined while NATS cannot tell (disconnected, consumer not made yet). */
  read(): Promise<InboxBacklog | undefined> {
    // Ages on the monotonic clock: a wall clock stepped back would keep a stale figure for as long.
    if (this.last && performance.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.value);
    this.reading ??= this.fetch().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async fetch(): Promise<InboxBacklog | undefined> {
    let value: InboxBacklog | undefined;
    try {
      this.manager ??= await this.jsm();
      const [consumer, stream] = await Promise.all([this.manager.consumers.info(this.stream, this.consumer), this.manager.streams.info(this.stream)]);
      // An empty stream reports the zero time as its first message's; its clock is the server's,
      // so a skew with this host is clamped rather than shown as a negative age.
      const oldestAgeSeconds = stream.state.messages === 0 ? 0 : Math.max(0, (Date.now() - Date.parse(stream.state.first_ts)) / 1000);
      value = { pending: consumer.num_pending, oldestAgeSeconds };
    } catch (error) {
      value = undefined;
      this.onUnreadable(error);
    }
    this.last = { value, at: performance.now() };
    return value;
  }
}
