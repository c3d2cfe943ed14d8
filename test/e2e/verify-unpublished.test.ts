import { describe, expect, it, vi } from 'vitest';
import { mailedReset, useRunningService } from '../support/running-service.js';

describe('reset.verify while its events cannot be stored', () => {
  const world = useRunningService('vunpub');

  it('answers the verdict it applied, and unavailable only where nothing changed', async () => {
    const right = await mailedReset(world, 'unpub-right');
    const wrong = await mailedReset(world, 'unpub-wrong');
    const { jsm, subjects } = world.client;
    // A sealed stream refuses every publish at once: JetStream is up, the events cannot be stored.
    const { config } = await jsm.streams.info(subjects.eventsStream);
    // nats.js's update type does not name the server's `sealed`.
    const sealed = { ...config, sealed: true };
    await jsm.streams.update(subjects.eventsStream, sealed);

    const guess = wrong.code === '202971' ? '202972' : '202971';
    // The try was spent and the reset completed: "unavailable" would tell the user neither happened.
    expect(await world.client.verify({ resetId: wrong.resetId, code: guess })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    expect(await world.client.verify({ resetId: right.resetId, code: right.code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    // Nothing was changed for a reset the store does not know: the client may retry.
    expect(await world.client.verify({ resetId: 'unpub-unknown', code: '123456' })).toEqual({ status: 'unavailable' });
    // Each event the stream lacks is named in the log, for an operator to account for.
    for (const { resetId } of [wrong, right]) {
      expect(await world.service.waitForLog(new RegExp(`${resetId} could not be published; kept to publish later.*verify answered; its event is owed`), 5_000)).toBeTruthy();
    }
  });
});

describe('reset.verify while its events stream is gone for a moment', () => {
  const world = useRunningService('vowed');

  it('answers the verdict within seconds, not after a leader election, and publishes the event it owed once the stream is back', async () => {
    const right = await mailedReset(world, 'owed-right');
    const { jsm, subjects } = world.client;
    const { config } = await jsm.streams.info(subjects.eventsStream);
    await jsm.streams.delete(subjects.eventsStream);

    const asked = Date.now();
    expect(await world.client.verify({ resetId: right.resetId, code: right.code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    const answeredInMs = Date.now() - asked;
    await world.service.waitForLog(new RegExp(`${right.resetId} could not be published; kept to publish later`), 5_000);
    await jsm.streams.add(config);

    const completed = await vi.waitFor(
      async () => {
        const stored = await jsm.streams.getMessage(subjects.eventsStream, { last_by_subj: subjects.event('reset.completed') });
        if (!stored) throw new Error('no reset.completed in the stream yet');
        return stored.json<{ type: string; data: { resetId: string } }>();
      },
      { timeout: 15_000, interval: 250 },
    );
    expect(completed).toMatchObject({ type: 'reset.completed', data: { resetId: right.resetId } });
    await world.service.waitForLog(/published events owed since JetStream did not take them/, 5_000);
    console.info(`verify answered in ${answeredInMs} ms with the events stream gone; its reset.completed published once the stream was back`);
    expect(answeredInMs).toBeLessThan(8_000);
  });
});
