import type { ResetEvent } from '../../domain/events.js';
import type { OwedEvents } from '../../domain/ports.js';
import { inRedisSpan } from './redis-spans.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { storedOutcome } from './scripts/script-reply.js';

/**
 * The most events owed at once: a JetStream outage under a flood of verifies must not grow Redis
 * without end. 10,000 events are about 3 MB; past them the oldest are dropped.
 */
const MOST_OWED = 10_000;

/** The events stream's default age (RESET_EVENTS_MAX_AGE_HOURS); the service passes the one configured. */
const EVENTS_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Owed events as one Redis list of their JSON, newest first, shared by every instance. Instances
 * may publish the same event at once (the broker drops the repeat), and `forget` removes it by its
 * text, so two instances forgetting the same event lose no other.
 */
export class RedisOwedEvents implements OwedEvents {
  private readonly key: string;
  /**
   * The text each event read by `oldest` was stored as: `forget` removes that, not the event
   * written out again, which would differ for one stored by another version (a field this one's
   * schema drops) and then be published again and again.
   */
  private readonly stored = new WeakMap<ResetEvent, string>();

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    /** As long as the events stream keeps an event: one owed longer is of no use to anyone. */
    private readonly owedForMs = EVENTS_MAX_AGE_MS,
  ) {
    this.key = new RedisKeys(keyPrefix).owedEvents();
  }

  async keep(event: ResetEvent): Promise<void> {
    const text = JSON.stringify(event);
    // The same event kept again (a submission redelivered through an outage) is kept once, at the
    // front; LREM walks the list, which is short but during an outage.
    const replies = await inRedisSpan(this.redis, { command: 'LPUSH' }, () =>
      this.redis.multi().lrem(this.key, 0, text).lpush(this.key, text).ltrim(this.key, 0, MOST_OWED - 1).pexpire(this.key, this.owedForMs).exec(),
    );
    throwFirstFailure(replies);
  }

  async oldest(count: number): Promise<readonly ResetEvent[]> {
    const texts = await inRedisSpan(this.redis, { command: 'LRANGE' }, () => this.redis.lrange(this.key, -count, -1));
    const events: ResetEvent[] = [];
    for (const text of texts.reverse()) {
      const read = storedOutcome.safeParse(text);
      // Not written by resetd: it would stand in front of every owed event for ever.
      if (read.success) {
        this.stored.set(read.data, text);
        events.push(read.data);
      } else {
        await this.remove(text);
      }
    }
    return events;
  }

  forget(event: ResetEvent): Promise<void> {
    return this.remove(this.stored.get(event) ?? JSON.stringify(event));
  }

  private async remove(text: string): Promise<void> {
    await inRedisSpan(this.redis, { command: 'LREM' }, () => this.redis.lrem(this.key, 1, text));
  }
}

/**
 * EXEC resolves even when a command in it failed (WRONGTYPE on a key that is no list): each reply
 * is an error or a result, and one failed means the event was not kept. No reply at all is a
 * transaction the server aborted.
 */
function throwFirstFailure(replies: Array<[error: Error | null, result: unknown]> | null): void {
  if (replies === null) throw new Error('Redis aborted the transaction that keeps an owed event');
  const failed = replies.find(([error]) => error !== null);
  if (failed) throw failed[0];
}
