import type { RedisClient } from './redis-client.js';
import { runCount } from './scripts/count-script.js';

/** The window a budget counts in: an hour, so a flood that spends it stops remembering for the rest of the hour only. */
const WINDOW_MS = 3_600_000;

/** How long an instance remembers nothing once the budget is spent, before it counts again. */
const FORGETTING_MS = 60_000;

/**
 * A deployment-wide ceiling on one kind of refusal that Redis remembers (the store's invalid
 * requests, the limits' refusals): each is a record or a field kept for a day or two, and one
 * publisher with new ids could otherwise grow Redis by the rate the service refuses at. What was
 * stored is counted after the fact, in a key of its own slot; once the window's count passes the
 * ceiling, this instance stores none for a minute, then counts again. Past it a refusal is still
 * answered, only not remembered: a repeat of it is judged afresh.
 */
export class RememberedBudget {
  private forgettingUntil = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly counter: string,
    /** At most this many a window (an hour). */
    private readonly perWindow: number,
  ) {}

  /** Whether what is refused now may be remembered. */
  get open(): boolean {
    return performance.now() >= this.forgettingUntil;
  }

  /** Counts `stored` refusals just remembered. */
  async spend(stored: number): Promise<void> {
    if (stored === 0) return;
    const count = await runCount(this.redis, this.counter, stored, WINDOW_MS);
    if (count > this.perWindow) this.forgettingUntil = performance.now() + FORGETTING_MS;
  }
}
