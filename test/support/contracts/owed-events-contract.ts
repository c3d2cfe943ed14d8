import { describe, expect, it } from 'vitest';
import type { ResetEvent } from '../../../src/domain/events.js';
import type { OwedEvents } from '../../../src/domain/ports.js';
import { usePort, type MakePort } from './port-under-test.js';

const completed = (resetId: string): ResetEvent => ({
  name: 'reset.completed',
  sequence: '1',
  data: { resetId, userId: 'u-1', completedAt: '2025-01-01T12:00:00.000Z' },
});

/** The OwedEvents rules for every implementation: the in-memory fake (test/unit) and Redis (test/integration). */
export function describeOwedEvents(name: string, make: MakePort<OwedEvents>): void {
  describe(`${name}: the OwedEvents contract`, () => {
    const subject = usePort(make);

    it('gives the events kept back oldest first, at most the count asked for', async () => {
      for (const resetId of ['r-1', 'r-2', 'r-3']) await subject.port.keep(completed(resetId));
      expect(await subject.port.oldest(2)).toEqual([completed('r-1'), completed('r-2')]);
      expect(await subject.another().oldest(10)).toEqual([completed('r-1'), completed('r-2'), completed('r-3')]);
    });

    it('forgets an event once, on any instance, and leaves the others', async () => {
      for (const resetId of ['r-1', 'r-2']) await subject.port.keep(completed(resetId));
      await subject.another().forget(completed('r-1'));
      await subject.port.forget(completed('r-1'));
      expect(await subject.port.oldest(10)).toEqual([completed('r-2')]);
    });

    it('keeps an event once, however often it is kept', async () => {
      await subject.port.keep(completed('r-1'));
      await subject.another().keep(completed('r-1'));
      await subject.port.keep(completed('r-2'));
      expect(await subject.port.oldest(10)).toHaveLength(2);
    });

    it('owes nothing at first', async () => {
      expect(await subject.port.oldest(10)).toEqual([]);
    });
  });
}
