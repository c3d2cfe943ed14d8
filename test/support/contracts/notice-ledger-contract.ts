import { describe, expect, it } from 'vitest';
import type { ResetEvent } from '../../../src/domain/events.js';
import type { NoticeClaim, NoticeLedger } from '../../../src/domain/ports.js';
import { START } from '../fakes/fixed-clock.js';
import { aNoticeClaim, noticeSent } from '../store-builders.js';
import { usePort, type MakePort } from './port-under-test.js';


const aClaim = aNoticeClaim;

const sent = noticeSent;
const failed: ResetEvent = {
  name: 'reset.delivery.failed',
  sequence: 'notice:n-1',
  data: { resetId: 'r-1', userId: 'u-1', reason: 'smtp_permanent', attempts: 1 },
};

/** The NoticeLedger's rules (claims, leases, the first outcome), in terms of the port only, for the fake and for Redis. */
export function describeNoticeLedger(name: string, make: MakePort<NoticeLedger>): void {
  describe(`${name}: the NoticeLedger contract`, () => {
    const subject = usePort(make);
    const claimAt = (offsetMs: number, claim: NoticeClaim) => {
      subject.clock.set(START + offsetMs);
      return subject.port.claim(claim);
    };
    const finish = (owner: string, state: 'sent' | 'failed', outcome: ResetEvent) => subject.port.finish({ id: 'n-1', owner, state, outcome });

    it('claims a new notice', async () => {
      expect(await claimAt(0, aClaim())).toEqual({ kind: 'claimed', claimedAt: START, sinceFirstClaimMs: 0, mailAttempts: 1 });
    });

    it('answers busy to another owner while the lease runs, and lets it take over after', async () => {
      await claimAt(0, aClaim());
      expect(await claimAt(15_000, aClaim({ owner: 'owner-b' }))).toEqual({ kind: 'busy', retryAfterMs: 30_000 });
      expect(await claimAt(45_000, aClaim({ owner: 'owner-b' }))).toEqual({ kind: 'claimed', claimedAt: START, sinceFirstClaimMs: 45_000, mailAttempts: 2 });
      expect(await claimAt(46_000, aClaim())).toEqual({ kind: 'busy', retryAfterMs: 44_000 });
    });

    it('lets the same owner claim again at once, keeping the first claim time', async () => {
      await claimAt(0, aClaim());
      expect(await claimAt(1_000, aClaim())).toEqual({ kind: 'claimed', claimedAt: START, sinceFirstClaimMs: 1_000, mailAttempts: 2 });
    });

    it('keeps one lease per notice', async () => {
      await claimAt(0, aClaim());
      expect(await claimAt(0, aClaim({ noticeId: 'n-2', owner: 'owner-b' }))).toMatchObject({ kind: 'claimed', mailAttempts: 1 });
    });

    it('records the first outcome and answers every later claim with it', async () => {
      await claimAt(0, aClaim());
      expect(await finish('owner-a', 'sent', sent)).toEqual(sent);
      expect(await finish('owner-b', 'failed', failed)).toEqual(sent);
      expect(await claimAt(1_000, aClaim({ owner: 'owner-c' }))).toEqual({ kind: 'finished', outcome: sent });
    });

    it('records the outcome of an owner who lost the lease when none is recorded yet', async () => {
      await claimAt(0, aClaim());
      await claimAt(45_000, aClaim({ owner: 'owner-b' }));
      expect(await finish('owner-a', 'failed', failed)).toEqual(failed);
      expect(await finish('owner-b', 'sent', sent)).toEqual(failed);
      expect(await claimAt(46_000, aClaim({ owner: 'owner-b' }))).toEqual({ kind: 'finished', outcome: failed });
    });

    it('returns the outcome given for a notice it does not know, and keeps none', async () => {
      expect(await finish('owner-a', 'sent', sent)).toEqual(sent);
      expect(await claimAt(0, aClaim())).toMatchObject({ kind: 'claimed', mailAttempts: 1 });
    });
  });
}
