import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OwedEventsLoop } from '../../../src/adapters/system/owed-events-loop.js';
import type { ResetEvent } from '../../../src/domain/events.js';
import { PublishOwedEvents } from '../../../src/domain/owed-events.js';
import { InMemoryOwedEvents } from '../../support/fakes/in-memory-owed-events.js';
import { RecordingPublisher } from '../../support/fakes/recording-publisher.js';

const completed = (resetId: string): ResetEvent => ({
  name: 'reset.completed',
  sequence: '1',
  data: { resetId, userId: 'u-1', completedAt: '2025-01-01T12:00:00.000Z' },
});

/** A logger whose warn lines are kept, parsed. */
function recordingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

describe('OwedEventsLoop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('warns, once a minute at most, that the broker refuses an owed event, and publishes it in order once it is taken', async () => {
    const owed = new InMemoryOwedEvents();
    for (const resetId of ['r-1', 'r-2']) await owed.keep(completed(resetId));
    // The broker refuses for a minute and 5 s: 13 runs, every 5 s.
    const publisher = new RecordingPublisher().failNext(13);
    const { log, lines } = recordingLog();
    const loop = new OwedEventsLoop(new PublishOwedEvents({ owed, publisher }), log, 5_000);
    loop.start();

    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines).toMatchObject([{ msg: expect.stringContaining('JetStream refused the oldest owed event'), owedAtLeast: 2, heldBack: 0, err: { message: 'the broker cannot take the event now' } }]);
    await vi.advanceTimersByTimeAsync(55_000);
    expect(lines).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ owedAtLeast: 2, heldBack: 11 });
    expect(owed.events).toEqual([completed('r-1'), completed('r-2')]);

    await vi.advanceTimersByTimeAsync(5_000);
    await loop.stop();
    expect(lines[2]).toMatchObject({ published: 2 });
    expect(publisher.events).toEqual([completed('r-1'), completed('r-2')]);
    expect(owed.events).toEqual([]);
  });
});
