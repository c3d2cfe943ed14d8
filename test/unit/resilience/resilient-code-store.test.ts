import { ReplyError } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResilientCodeStore } from '../../../src/adapters/resilience/resilient-code-store.js';
import { isTransientRedisFault } from '../../../src/adapters/redis/redis-faults.js';
import { ScriptReplyError } from '../../../src/adapters/redis/scripts/script-reply.js';
import type { ResetEvent } from '../../../src/domain/events.js';
import type { CodeStore } from '../../../src/domain/ports.js';
import { FixedClock } from '../../support/fakes/fixed-clock.js';
import { InMemoryCodeStore } from '../../support/fakes/in-memory-code-store.js';

/** An in-memory store whose every call fails while `down` is set, as Redis does while restarting. */
class FlakyStore {
  down = false;
  /** What each call fails with while `down`. */
  failure: Error = new Error('Connection is closed.');
  /** Calls refused while `down`. */
  refused = 0;
  readonly store: CodeStore;

  constructor(inner: CodeStore) {
    this.store = new Proxy(inner, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (this.down) {
            this.refused += 1;
            return Promise.reject(this.failure);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
}

const sent: ResetEvent = { name: 'reset.code.sent', sequence: '0', data: { resetId: 'r-1', userId: 'u-1', expiresAt: '2030-01-07T09:10:00.000Z' } };

describe('ResilientCodeStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function issuedWorld() {
    const clock = new FixedClock();
    const flaky = new FlakyStore(new InMemoryCodeStore(clock));
    const store = new ResilientCodeStore(flaky.store, pino({ level: 'silent' }), isTransientRedisFault);
    await store.issue({
      resetId: 'r-1', userId: 'u-1', digest: 'd', keyId: 'k', lifetimeMs: 600_000, maxTries: 5,
      owner: 'm-1', leaseMs: 45_000, ttlMs: 86_400_000,
    });
    return { flaky, store };
  }

  it('records an outcome written while the store is briefly down, once it is back', async () => {
    const { flaky, store } = await issuedWorld();
    flaky.down = true;

    const finished = store.finish({ id: 'r-1', owner: 'm-1', state: 'sent', outcome: sent });
    await vi.advanceTimersByTimeAsync(2_000);
    flaky.down = false;
    await vi.advanceTimersByTimeAsync(3_000);

    await expect(finished).resolves.toEqual(sent);
    expect((await store.find('r-1'))?.outcome).toEqual(sent);
  });

  it('gives up after about half a minute, so the message is redelivered', async () => {
    const { flaky, store } = await issuedWorld();
    flaky.down = true;

    const finished = store.finish({ id: 'r-1', owner: 'm-1', state: 'sent', outcome: sent }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(await finished).toBeInstanceOf(Error);
  });

  it.each([
    ['a key of the wrong type', new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a script error', new ReplyError('ERR user_script:12: Script attempted to access nonexistent global variable')],
    ['a reply its decoder does not describe', new ScriptReplyError('resetdFinish', 'a number')],
  ])('reports %s at once: trying again cannot help, and would hold the message for half a minute', async (_, failure) => {
    const { flaky, store } = await issuedWorld();
    flaky.down = true;
    flaky.failure = failure;

    await expect(store.finish({ id: 'r-1', owner: 'm-1', state: 'sent', outcome: sent })).rejects.toBe(failure);
    expect(flaky.refused).toBe(1);
  });

  it('fails the other calls at once, leaving the wait to redelivery', async () => {
    const { flaky, store } = await issuedWorld();
    flaky.down = true;

    await expect(store.find('r-1')).rejects.toThrow(/closed/);
  });
});
