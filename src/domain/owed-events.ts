import type { EventPublisher, OwedEvents } from './ports.js';

/** Owed events published in one go at most; the rest wait for the next. */
const BATCH = 100;

/**
 * Publishes the events owed to the broker, oldest first, forgetting each once it is taken; stops
 * at the first the broker refuses (it is still down), leaving it and the rest for next time. A
 * repeat is harmless: an event published twice is dropped by the broker as a duplicate, so every
 * instance may run this at once.
 */
export class PublishOwedEvents {
  constructor(private readonly deps: { readonly owed: OwedEvents; readonly publisher: EventPublisher }) {}

  /** How many owed events were published now. */
  async run(): Promise<number> {
    const { owed, publisher } = this.deps;
    const events = await owed.oldest(BATCH);
    for (const [index, event] of events.entries()) {
      try {
        await publisher.publish(event);
      } catch {
        return index;
      }
      await owed.forget(event);
    }
    return events.length;
  }
}
