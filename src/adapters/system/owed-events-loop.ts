import type { Logger } from 'pino';
import type { PublishOwedEvents } from '../../domain/owed-events.js';
import { LogThrottle } from './log-throttle.js';

/** How often every instance looks for owed events: each costs one LRANGE of an empty list. */
const EVERY_MS = 5_000;
const FAILURE_LOG_EVERY_MS = 60_000;

/**
 * Publishes owed events (a verdict's event the broker did not take) every few seconds until
 * stopped; a run finds the broker or the store still away and tries again at the next.
 */
export class OwedEventsLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly failures = new LogThrottle(FAILURE_LOG_EVERY_MS);

  constructor(
    private readonly publishOwed: PublishOwedEvents,
    private readonly log: Logger,
    private readonly everyMs = EVERY_MS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.runOnce().finally(() => (this.running = undefined));
    }, this.everyMs).unref();
  }

  /** Stops looking; a run under way ends first. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async runOnce(): Promise<void> {
    try {
      const { published, refused } = await this.publishOwed.run();
      if (published > 0) this.log.warn({ published }, 'published events owed since JetStream did not take them');
      // A refusal that outlasts an outage (a missing permission, a stream not capturing the
      // subject) holds every owed event behind it: this line is how an operator learns of it.
      if (refused) {
        this.warn('refused', { err: refused.error, owedAtLeast: refused.owedAtLeast }, 'JetStream refused the oldest owed event; it and those behind it stay owed and are tried again');
      }
    } catch (error) {
      this.warn('unreadable', { err: error }, 'could not read the events owed to JetStream; trying again');
    }
  }

  /** At most one line of each kind a minute, with how many were held back since the last. */
  private warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const heldBack = this.failures.pass(kind);
    if (heldBack !== undefined) this.log.warn({ ...fields, heldBack }, message);
  }
}
