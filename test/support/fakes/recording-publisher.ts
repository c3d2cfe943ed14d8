import type { ResetEvent, ResetEventName } from '../../../src/domain/events.js';
import type { EventPublisher, PublishReceipt } from '../../../src/domain/ports.js';
import { outboundData } from '../../../src/contract/schemas.js';

/**
 * Keeps published events. Like JetStream with `Nats-Msg-Id`, it drops a repeat of an event it has
 * (same name, reset and sequence), so `events` is what a consumer of the stream would see. Every
 * event is checked against the contract's schema, as a consumer would read it: the domain's tests
 * then fail on an event the wire contract does not allow.
 */
export class RecordingPublisher implements EventPublisher {
  readonly events: ResetEvent[] = [];
  private readonly ids = new Set<string>();
  private failures = 0;

  /** The next `publishes` publishes throw, as when the broker cannot take them. */
  failNext(publishes = 1): this {
    this.failures = publishes;
    return this;
  }

  named<Name extends ResetEventName>(name: Name): Array<Extract<ResetEvent, { name: Name }>> {
    return this.events.filter((event): event is Extract<ResetEvent, { name: Name }> => event.name === name);
  }

  forReset(resetId: string): ResetEvent[] {
    return this.events.filter((event) => event.data.resetId === resetId);
  }

  async publish(event: ResetEvent): Promise<PublishReceipt> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('the broker cannot take the event now');
    }
    outboundData[event.name].parse(event.data);
    const id = `${event.name}|${event.data.resetId}|${event.sequence}`;
    if (this.ids.has(id)) return { id, duplicate: true };
    this.ids.add(id);
    this.events.push(structuredClone(event));
    return { id, duplicate: false };
  }
}
