import type { Status } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { NatsLink } from '../../../src/app/nats-link.js';

/** Statuses pushed by the test, read as a connection's `status()`; `end` ends it as a close does. */
class StatusFeed implements AsyncIterable<Status> {
  private readonly queued: Status[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(...statuses: Status[]): void {
    this.queued.push(...statuses);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Status> {
    for (;;) {
      const next = this.queued.shift();
      if (next) yield next;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** Lets the link read what was pushed. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const server = 'nats://127.0.0.1:4222';

/** A link on a fresh feed, and the changes it told, as [connected, status type]. */
function aLink() {
  const feed = new StatusFeed();
  const link = new NatsLink(feed);
  const changes: Array<[boolean, string]> = [];
  link.onChange((connected, status) => changes.push([connected, status.type]));
  return { feed, link, changes };
}

describe('NatsLink', () => {
  it('is connected from the start, down at a disconnect and up again at the reconnect', async () => {
    const { feed, link, changes } = aLink();
    expect(link.connected).toBe(true);

    feed.push({ type: 'disconnect', server }, { type: 'reconnecting' });
    await settled();
    expect(link.connected).toBe(false);

    feed.push({ type: 'reconnect', server });
    await settled();
    expect(link.connected).toBe(true);
    expect(changes).toEqual([
      [false, 'disconnect'],
      [true, 'reconnect'],
    ]);
  });

  it('counts a stale connection as down at once, and its disconnect after as no second change', async () => {
    const { feed, link, changes } = aLink();

    feed.push({ type: 'staleConnection' });
    await settled();
    expect(link.connected).toBe(false);

    feed.push({ type: 'disconnect', server }, { type: 'reconnect', server });
    await settled();
    expect(link.connected).toBe(true);
    expect(changes).toEqual([
      [false, 'staleConnection'],
      [true, 'reconnect'],
    ]);
  });

  it('ignores the statuses that say nothing of the connection, and tells every listener', async () => {
    const { feed, link, changes } = aLink();
    const another: boolean[] = [];
    link.onChange((connected) => another.push(connected));

    feed.push({ type: 'ping', pendingPings: 1 }, { type: 'update', added: ['b:4222'] }, { type: 'error', error: new Error('permissions violation') });
    await settled();
    expect(link.connected).toBe(true);
    expect(changes).toEqual([]);

    feed.push({ type: 'disconnect', server });
    feed.end();
    await settled();
    expect(link.connected).toBe(false);
    expect(another).toEqual([false]);
  });
});
