import type { EventPublisher, OwedEvents } from './ports.js';

/** Owed events published in one go at most; the rest wait for the next. */
const BATCH = 100;

/** What one run did: the events it published and, when the broker refused one, why it stopped there. */
export interface OwedEventsRun {
  readonly published: number;
  /**
   * The broker refused the oldest event left: it stays at the head, with those behind it, for the
   * next run. `owedAtLeast` counts those this run read and left; more may wait past its batch.
   */
  readonly refused?: { readonly error: unknown; readonly owedAtLeast: number };
}

/**
 * Publishes the events owed to the broker, oldest first, forgetting each once it is taken; stops
 * at the first the broker refuses (it is down, or will not take it), leaving it and the rest for
 * next time. A repeat is harmless: an event published twice is dropped by the broker as a
 * duplicate, so every instance may run this at once. A fault of the store is thrown.
 */
export class PublishOwedEvents {
  constructor(private readonly deps: { readonly owed: OwedEvents; readonly publisher: EventPublisher }) {}

  async run(): Promise<OwedEventsRun> {
    const { owed, publisher } = this.deps;
    const events = await owed.oldest(BATCH);
    for (const [index, event] of events.entries()) {
      try {
        await publisher.publish(event);
      } catch (error) {
        return { published: index, refused: { error, owedAtLeast: events.length - index } };
      }
      await owed.forget(event);
    }
    return { published: events.length };
  }
}
