import type { ResetEvent } from '../../../src/domain/events.js';
import type { Clock, FinishDelivery, NoticeClaim, NoticeClaimResult, NoticeLedger } from '../../../src/domain/ports.js';

interface Entry {
  userId: string;
  owner?: string;
  leaseUntil: number;
  claimedAt: number;
  mailAttempts: number;
  state: 'issued' | 'sent' | 'failed';
  outcome?: ResetEvent;
  /** When the record is gone, as a Redis key with a TTL would be. */
  dropAt: number;
}

/**
 * The NoticeLedger in memory, one synchronous step per call, so each call is atomic as one Redis
 * script is. The given clock plays Redis's: leases are judged by it, and records vanish `ttlMs`
 * after their last claim.
 */
export class InMemoryNoticeLedger implements NoticeLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  /** A snapshot for assertions. */
  peek(noticeId: string): Readonly<Entry> | undefined {
    const entry = this.live(noticeId);
    return entry && { ...entry };
  }

  async claim(claim: NoticeClaim): Promise<NoticeClaimResult> {
    const now = this.clock.now();
    const existing = this.live(claim.noticeId);
    if (existing?.outcome) return { kind: 'finished', outcome: structuredClone(existing.outcome) };
    if (existing && existing.owner !== claim.owner && existing.leaseUntil > now) {
      return { kind: 'busy', retryAfterMs: existing.leaseUntil - now };
    }
    const entry: Entry = {
      userId: claim.userId,
      owner: claim.owner,
      leaseUntil: now + claim.leaseMs,
      claimedAt: existing?.claimedAt ?? now,
      mailAttempts: (existing?.mailAttempts ?? 0) + 1,
      state: 'issued',
      dropAt: now + claim.ttlMs,
    };
    this.entries.set(claim.noticeId, entry);
    return { kind: 'claimed', claimedAt: entry.claimedAt, sinceFirstClaimMs: now - entry.claimedAt, mailAttempts: entry.mailAttempts };
  }

  async finish({ id, owner, state, outcome }: FinishDelivery): Promise<ResetEvent> {
    const entry = this.live(id);
    if (!entry) return outcome; // expired: not made again, as it would have no TTL
    if (entry.outcome) return structuredClone(entry.outcome);
    if (entry.owner === owner) {
      entry.state = state;
      entry.owner = undefined;
      entry.leaseUntil = 0;
    }
    entry.outcome = structuredClone(outcome);
    return outcome;
  }

  private live(noticeId: string): Entry | undefined {
    const entry = this.entries.get(noticeId);
    if (entry && this.clock.now() >= entry.dropAt) {
      this.entries.delete(noticeId);
      return undefined;
    }
    return entry;
  }
}
