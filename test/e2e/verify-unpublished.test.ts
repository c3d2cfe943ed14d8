import { describe, expect, it } from 'vitest';
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
      expect(await world.service.waitForLog(new RegExp(`${resetId} could not be published.*verify answered, but its event could not be published`), 5_000)).toBeTruthy();
    }
  });
});
