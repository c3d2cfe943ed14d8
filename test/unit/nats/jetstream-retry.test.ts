import { JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isLeaderChange, retryingLeaderChanges } from '../../../src/adapters/nats/jetstream-retry.js';
import { stepWallClock } from '../../support/wall-clock.js';

const unavailable = () => new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' });

describe('riding out a NATS cluster leader change', () => {
  it('knows the errors of a cluster between leaders from the others', () => {
    expect(isLeaderChange(new TimeoutError())).toBe(true);
    expect(isLeaderChange(unavailable())).toBe(true);
    // What the client throws for a publish no stream leader answers.
    const noResponders = Object.assign(new Error('jetstream is not enabled', { cause: new RequestError('no responders', { cause: new NoRespondersError('reset.x') }) }), { name: 'JetStreamNotEnabled' });
    expect(isLeaderChange(noResponders)).toBe(true);
    expect(isLeaderChange(new JetStreamApiError({ code: 400, err_code: 10058, description: 'stream name already in use' }))).toBe(false);
    expect(isLeaderChange(new Error('connection closed'))).toBe(false);
  });

  it('tries again, with the same request, until it succeeds', async () => {
    const failures = [new TimeoutError(), unavailable()];
    let tries = 0;
    const answer = await retryingLeaderChanges(async () => {
      tries += 1;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'stored';
    }, { tries: 5, deadlineMs: 10_000 });
    expect({ answer, tries }).toEqual({ answer: 'stored', tries: 3 });
  });

  it('gives up after its tries, and at once on any other error', async () => {
    let tries = 0;
    const timingOut = () => {
      tries += 1;
      return Promise.reject(new TimeoutError());
    };
    await expect(retryingLeaderChanges(timingOut, { tries: 2, deadlineMs: 10_000 })).rejects.toBeInstanceOf(TimeoutError);
    expect(tries).toBe(2);
    tries = 0;
    const refused = () => {
      tries += 1;
      return Promise.reject(new Error('permissions violation'));
    };
    await expect(retryingLeaderChanges(refused, { tries: 5, deadlineMs: 10_000 })).rejects.toThrow('permissions violation');
    expect(tries).toBe(1);
  });

  it('keeps trying though the wall clock steps an hour forward between tries', async () => {
    let tries = 0;
    let stepped: { restore(): void } | undefined;
    const steppingClock = async () => {
      tries += 1;
      if (tries === 1) stepped = stepWallClock(3_600_000);
      if (tries < 3) throw new TimeoutError();
      return 'stored';
    };
    try {
      await expect(retryingLeaderChanges(steppingClock, { tries: 5, deadlineMs: 10_000 })).resolves.toBe('stored');
    } finally {
      stepped?.restore();
    }
    expect(tries).toBe(3);
  });
});
