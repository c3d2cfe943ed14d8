import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoundTripProbe } from '../../../src/app/round-trip-probe.js';

/** A server under test's control: each round trip waits until it is answered or failed. */
function server() {
  const out: { answer(): void; fail(error: Error): void }[] = [];
  let sent = 0;
  const roundTrip = () =>
    new Promise<void>((resolve, reject) => {
      sent += 1;
      out.push({ answer: resolve, fail: reject });
    });
  const next = () => {
    const trip = out.shift();
    if (!trip) throw new Error('no round trip is out');
    return trip;
  };
  return {
    roundTrip,
    get sent() {
      return sent;
    },
    get outstanding() {
      return out.length;
    },
    answer: () => next().answer(),
    fail: () => next().fail(new Error('connection disconnected')),
  };
}

// Fake timers fake Date.now: the probe's clock moves with them.
const now = () => Date.now();

describe('RoundTripProbe', () => {
  let probe: RoundTripProbe | undefined;

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    probe?.stop();
    vi.useRealTimers();
  });

  it('answers while the server answers, every 500 ms, never two round trips at once', async () => {
    const redis = server();
    probe = new RoundTripProbe(redis.roundTrip, now);
    expect(redis.sent).toBe(1);
    for (let tick = 0; tick < 10; tick += 1) {
      await vi.advanceTimersByTimeAsync(100);
      redis.answer();
      await vi.advanceTimersByTimeAsync(400);
      expect(probe.answering()).toBe(true);
    }
    expect(redis.sent).toBe(11);

    // One slow answer (800 ms): the ticks in between send nothing more.
    await vi.advanceTimersByTimeAsync(800);
    expect(redis.outstanding).toBe(1);
    expect(redis.sent).toBe(11);
    expect(probe.answering()).toBe(true);
  });

  it('stops answering once a round trip has been out over 1 s, and answers again with the next answer', async () => {
    const nats = server();
    probe = new RoundTripProbe(nats.roundTrip, now);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probe.answering()).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe.answering()).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probe.answering()).toBe(false);
    expect(nats.sent).toBe(1);

    nats.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(probe.answering()).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(nats.sent).toBe(2);
  });

  it('a failed round trip (a closed connection, a timeout) is no answer, handled and not thrown, until one is answered', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const redis = server();
      probe = new RoundTripProbe(redis.roundTrip, now);
      redis.fail();
      await vi.advanceTimersByTimeAsync(0);
      expect(probe.answering()).toBe(false);
      await vi.advanceTimersByTimeAsync(500);
      redis.fail();
      await vi.advanceTimersByTimeAsync(500);
      expect(probe.answering()).toBe(false);
      redis.answer();
      await vi.advanceTimersByTimeAsync(0);
      expect(probe.answering()).toBe(true);

      // A round trip that throws rather than rejects is caught the same way.
      const throwing = new RoundTripProbe(() => {
        throw new Error('Connection is closed.');
      }, now);
      await vi.advanceTimersByTimeAsync(0);
      expect(throwing.answering()).toBe(false);
      throwing.stop();
      // Unhandled rejections are reported on a macrotask after the microtasks run.
      vi.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('sends nothing more once stopped, and holds no timer', async () => {
    const redis = server();
    probe = new RoundTripProbe(redis.roundTrip, now);
    redis.answer();
    await vi.advanceTimersByTimeAsync(0);
    probe.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(redis.sent).toBe(1);
  });
});
