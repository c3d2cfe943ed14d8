import type { ResetEvent } from '../../../src/domain/events.js';
import type { OwedEvents } from '../../../src/domain/ports.js';

/** Owed events in memory, oldest first; `failNext` makes `keep` fail as an unreachable Redis would. */
export class InMemoryOwedEvents implements OwedEvents {
  readonly events: ResetEvent[] = [];
  private keepFaults = 0;

  failKeepNext(): this {
    this.keepFaults += 1;
    return this;
  }

  async keep(event: ResetEvent): Promise<void> {
    if (this.keepFaults > 0) {
      this.keepFaults -= 1;
      throw new Error('the store is unreachable');
    }
    if (!this.events.some((owed) => JSON.stringify(owed) === JSON.stringify(event))) this.events.push(event);
  }

  async oldest(count: number): Promise<readonly ResetEvent[]> {
    return this.events.slice(0, count);
  }

  async forget(event: ResetEvent): Promise<void> {
    const index = this.events.findIndex((owed) => JSON.stringify(owed) === JSON.stringify(event));
    if (index >= 0) this.events.splice(index, 1);
  }
}
