import type { ResetEvent } from '../../../src/domain/events.js';
import type { AbandonDelivery, Attempt, AttemptResult, Clock, CodeStore, FinishDelivery, IssueCode, IssueResult, SettleReset, SettleResult } from '../../../src/domain/ports.js';
import { isPending, type ClosedReset, type PendingReset, type ResetRecord, type ResetState } from '../../../src/domain/reset-record.js';

interface Entry {
  /** Replaced, never changed in place: a snapshot handed out stays as it was. */
  record: ResetRecord;
  /** Who may mail the code, and until when no one else may take the reset over. */
  owner?: string;
  leaseUntil: number;
  /** When the record is gone, as a Redis key with a TTL would be. */
  dropAt: number;
  /** Submissions counted so far (a try spent or the reset completed): the `sequence` of the next one is this plus one. */
  submissions: number;
  /** First answer per counted submission id, replayed to a redelivery. */
  answers: Map<string, AttemptResult>;
}

type Refusal = Extract<AttemptResult, { kind: 'refused' }>['reason'];

/** What a submission to a reset that is no longer pending is told. */
const refusalFor: Record<Exclude<ResetState, PendingReset['state']>, Refusal> = {
  completed: 'unknown_reset', // single use: a used code is as good as no code
  locked: 'locked',
  superseded: 'superseded',
  rejected: 'unknown_reset', // no code was ever made
  failed: 'unknown_reset', // no code reached the user
};

/**
 * The CodeStore state machine in memory, one synchronous step per call, so each call is atomic
 * just as one Redis script is. The given clock plays Redis's: every expiry and lease is judged by
 * it, and records vanish `ttlMs` after they were made.
 */
export class InMemoryCodeStore implements CodeStore {
  private readonly entries = new Map<string, Entry>();
  /** userId → the reset whose code is the user's only pending one. */
  private readonly pendingOf = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  /** A snapshot for assertions, without the internals. */
  peek(resetId: string): ResetRecord | undefined {
    return this.live(resetId)?.record;
  }

  /** The next `finish` fails as an unreachable Redis would, recording nothing: an instance that died after its mail went out. */
  failFinishNext(): this {
    this.finishFaults += 1;
    return this;
  }

  private finishFaults = 0;

  /** Simulates a lost Redis (no AOF): every record is gone. */
  forgetEverything(): void {
    this.entries.clear();
    this.pendingOf.clear();
  }

  async find(resetId: string): Promise<ResetRecord | undefined> {
    return this.peek(resetId);
  }

  async issue(code: IssueCode): Promise<IssueResult> {
    const now = this.clock.now();
    const existing = this.live(code.resetId);
    if (existing && (existing.record.outcome || !isPending(existing.record))) {
      return { kind: 'finished', record: existing.record };
    }
    if (existing && existing.owner !== code.owner && existing.leaseUntil > now) {
      return { kind: 'busy', retryAfterMs: existing.leaseUntil - now };
    }
    const previous = existing && isPending(existing.record) ? existing.record : undefined;
    const issuedAt = previous?.issuedAt ?? now;
    const expiresAt = now + code.lifetimeMs;
    const mailAttempts = (previous?.mailAttempts ?? 0) + 1;
    this.entries.set(code.resetId, {
      record: {
        resetId: code.resetId,
        userId: code.userId,
        state: 'issued',
        digest: code.digest,
        keyId: code.keyId,
        expiresAt,
        triesLeft: code.maxTries,
        issuedAt,
        mailAttempts,
        ...(previous?.unmailed && { unmailed: true }),
      },
      owner: code.owner,
      leaseUntil: now + code.leaseMs,
      dropAt: existing?.dropAt ?? now + code.ttlMs,
      submissions: existing?.submissions ?? 0,
      answers: existing?.answers ?? new Map(),
    });
    this.supersedeOthers(code.userId, code.resetId);
    return { kind: 'issued', expiresAt, sinceFirstIssueMs: now - issuedAt, mailAttempts };
  }

  async finish({ id, owner, state, outcome }: FinishDelivery): Promise<ResetEvent> {
    if (this.finishFaults > 0) {
      this.finishFaults -= 1;
      throw new Error('the store is unreachable');
    }
    const entry = this.live(id);
    if (!entry) return outcome; // the record is gone: nothing holds but what the caller knows
    if (entry.record.outcome) return entry.record.outcome;
    entry.record = { ...entry.record, outcome };
    // Someone who took the reset over holds its lease; the outcome reported first holds all the same.
    if (entry.owner !== owner) return outcome;
    // A reset superseded while its mail went out stays superseded: its code must not work.
    if (entry.record.state === 'issued') entry.record = state === 'sent' ? { ...entry.record, state: 'sent' } : { ...entry.record, state: 'failed' };
    if (state === 'failed') this.releasePending(entry.record.userId, id);
    entry.owner = undefined;
    entry.leaseUntil = 0;
    return outcome;
  }

  async abandon({ resetId, owner }: AbandonDelivery): Promise<void> {
    const entry = this.live(resetId);
    if (!entry || entry.owner !== owner || entry.record.outcome || entry.record.state === 'rejected') return;
    entry.record = { ...entry.record, unmailed: true };
    entry.leaseUntil = 0;
  }

  async settle({ resetId, userId, outcome, ttlMs }: SettleReset): Promise<SettleResult> {
    const now = this.clock.now();
    const entry = this.live(resetId);
    if (entry?.record.outcome) return { kind: 'settled', outcome: entry.record.outcome };
    if (entry?.record.state === 'issued') return { kind: 'busy', retryAfterMs: Math.max(entry.leaseUntil - now, 1_000) };
    if (entry) return { kind: 'finished', record: entry.record };
    this.entries.set(resetId, {
      record: { resetId, userId: userId ?? '', state: 'rejected', outcome },
      leaseUntil: 0,
      dropAt: now + ttlMs,
      submissions: 0,
      answers: new Map(),
    });
    return { kind: 'settled', outcome };
  }

  async attempt(attempt: Attempt): Promise<AttemptResult> {
    const entry = this.live(attempt.resetId);
    if (!entry) return { kind: 'missing' };
    const seen = attempt.submissionId === undefined ? undefined : entry.answers.get(attempt.submissionId);
    if (seen) return seen;
    const record = entry.record;
    // A refusal changes nothing, so it is neither counted nor remembered: a flood costs nothing.
    const refuse = (reason: Refusal, triesLeft: number): AttemptResult => ({
      kind: 'refused',
      sequence: `${reason}@${entry.submissions}`,
      userId: record.userId,
      reason,
      triesLeft,
    });
    if (!isPending(record)) return refuse(refusalFor[record.state], 0);
    // The code's digest under the key its reset's code was made with; none if that key is gone.
    // An expired code spends no try: the user can do nothing about it but ask again.
    if (this.clock.now() >= record.expiresAt || attempt.digests[record.keyId] === undefined) return refuse('expired', record.triesLeft);
    entry.submissions += 1;
    const result = this.apply(entry, record, attempt, String(entry.submissions));
    if (attempt.submissionId !== undefined) entry.answers.set(attempt.submissionId, result);
    return result;
  }

  private apply(entry: Entry, record: PendingReset, attempt: Attempt, sequence: string): AttemptResult {
    const userId = record.userId;
    if (attempt.digests[record.keyId] === record.digest && record.triesLeft > 0) {
      entry.record = closed(record, 'completed'); // single use: the code is forgotten
      this.releasePending(userId, record.resetId);
      return { kind: 'completed', sequence, userId, completedAt: this.clock.now() };
    }
    const triesLeft = Math.max(0, record.triesLeft - 1);
    entry.record = triesLeft === 0 ? closed({ ...record, triesLeft }, 'locked') : { ...record, triesLeft };
    if (triesLeft === 0) this.releasePending(userId, record.resetId);
    return { kind: 'wrong', sequence, userId, triesLeft };
  }

  private supersedeOthers(userId: string, resetId: string): void {
    const previous = this.pendingOf.get(userId);
    if (previous !== undefined && previous !== resetId) {
      const entry = this.live(previous);
      // Its code stops working.
      if (entry && isPending(entry.record)) entry.record = closed(entry.record, 'superseded');
    }
    this.pendingOf.set(userId, resetId);
  }

  private releasePending(userId: string, resetId: string): void {
    if (this.pendingOf.get(userId) === resetId) this.pendingOf.delete(userId);
  }

  private live(resetId: string): Entry | undefined {
    const entry = this.entries.get(resetId);
    if (entry && this.clock.now() >= entry.dropAt) {
      this.entries.delete(resetId);
      this.releasePending(entry.record.userId, resetId);
      return undefined;
    }
    return entry;
  }
}

/** A pending reset whose code can be used no more, its digest forgotten as the store forgets it. */
function closed({ digest: _forgotten, ...record }: PendingReset, state: ClosedReset['state']): ClosedReset {
  return { ...record, state };
}
