import { describe, expect, it } from 'vitest';
import type { ResetEvent } from '../../src/domain/events.js';
import { PublishOwedEvents } from '../../src/domain/owed-events.js';
import type { EventPublisher } from '../../src/domain/ports.js';
import { InMemoryOwedEvents } from '../support/fakes/in-memory-owed-events.js';
import { RecordingPublisher } from '../support/fakes/recording-publisher.js';

const completed = (resetId: string): ResetEvent => ({
  name: 'reset.completed',
  sequence: '1',
  data: { resetId, userId: 'u-1', completedAt: '2025-01-01T12:00:00.000Z' },
});

/** Owed events r-1, r-2, r-3 (oldest first), and a publisher that refuses the first `refusals` publishes. */
async function owing(refusals: number) {
  const owed = new InMemoryOwedEvents();
  for (const resetId of ['r-1', 'r-2', 'r-3']) await owed.keep(completed(resetId));
  const publisher = new RecordingPublisher().failNext(refusals);
  return { owed, publisher, publishOwed: new PublishOwedEvents({ owed, publisher }) };
}

describe('PublishOwedEvents', () => {
  it('says why it stopped when the broker refuses an event, and keeps that one and those behind it at the head', async () => {
    const { owed, publisher, publishOwed } = await owing(1);

    const run = await publishOwed.run();

    expect(run).toEqual({ published: 0, refused: { error: expect.objectContaining({ message: 'the broker cannot take the event now' }), owedAtLeast: 3 } });
    expect(owed.events).toEqual([completed('r-1'), completed('r-2'), completed('r-3')]);
    expect(await publishOwed.run()).toEqual({ published: 3 });
    expect(publisher.events).toEqual([completed('r-1'), completed('r-2'), completed('r-3')]);
    expect(owed.events).toEqual([]);
  });

  it('counts what it published before a refusal, and lets nothing overtake the refused event', async () => {
    const { owed, publisher } = await owing(0);
    // A broker that will not take one event (a stream not capturing its subject) and takes the rest.
    const refusingR2: EventPublisher = {
      publish: (event) => (event.data.resetId === 'r-2' ? Promise.reject(new Error('no stream matches subject')) : publisher.publish(event)),
    };
    const publishOwed = new PublishOwedEvents({ owed, publisher: refusingR2 });

    expect(await publishOwed.run()).toMatchObject({ published: 1, refused: { error: { message: 'no stream matches subject' }, owedAtLeast: 2 } });
    expect(await publishOwed.run()).toMatchObject({ published: 0, refused: { owedAtLeast: 2 } });
    expect(publisher.events).toEqual([completed('r-1')]);
    expect(owed.events).toEqual([completed('r-2'), completed('r-3')]);
  });
});
