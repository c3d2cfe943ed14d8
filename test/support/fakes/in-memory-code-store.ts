import type { ResetEvent } from '../../../src/domain/events.js';
import type { Attempt, AttemptResult, Clock, CodeStore, FinishDelivery, IssueCode, IssueResult, SettleReset, SettleResult } from '../../../src/domain/ports.js';
import { isPending, type ResetRecord, type ResetState } from '../../../src/domain/reset-record.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry {
  record: Mutable<ResetRecord>;
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
const refusalFor: Record<Exclude<ResetState, 'issued' | 'sent'>, Refusal> = {
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
    const entry = this.live(resetId);
    return entry && { ...entry.record };
  }

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
    if (existing && (existing.record.outcome || !isPending(existing.record.state))) {
      return { kind: 'finished', record: { ...existing.record } };
    }
    if (existing && existing.owner !== code.owner && existing.leaseUntil > now) {
      return { kind: 'busy', retryAfterMs: existing.leaseUntil - now };
    }
    const issuedAt = existing?.record.issuedAt ?? now;
    const expiresAt = now + code.lifetimeMs;
    const mailAttempts = (existing?.record.mailAttempts ?? 0) + 1;
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
    const entry = this.live(id);
    if (!entry) return outcome; // the record is gone: nothing holds but what the caller knows
    if (entry.record.outcome) return entry.record.outcome;
    entry.record.outcome = outcome;
    // Someone who took the reset over holds its lease; the outcome reported first holds all the same.
    if (entry.owner !== owner) return outcome;
    // A reset superseded while its mail went out stays superseded: its code must not work.
    if (entry.record.state === 'issued') entry.record.state = state;
    if (state === 'failed') this.releasePending(entry.record.userId, id);
    entry.owner = undefined;
    entry.leaseUntil = 0;
    return outcome;
  }

  async settle({ resetId, userId, outcome, ttlMs }: SettleReset): Promise<SettleResult> {
    const now = this.clock.now();
    const entry = this.live(resetId);
    if (entry?.record.outcome) return { kind: 'settled', outcome: entry.record.outcome };
    if (entry?.record.state === 'issued') return { kind: 'busy', retryAfterMs: Math.max(entry.leaseUntil - now, 1_000) };
    if (entry) return { kind: 'finished', record: { ...entry.record } };
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
    const refusal = this.refusalOf(entry, attempt);
    // A refusal changes nothing, so it is neither counted nor remembered: a flood costs nothing.
    if (refusal) return { kind: 'refused', sequence: `${refusal.reason}@${entry.submissions}`, userId: entry.record.userId, ...refusal };
    entry.submissions += 1;
    const result = this.apply(entry, attempt, String(entry.submissions));
    if (attempt.submissionId !== undefined) entry.answers.set(attempt.submissionId, result);
    return result;
  }

  private refusalOf(entry: Entry, attempt: Attempt): { reason: Refusal; triesLeft: number } | undefined {
    const record = entry.record;
    if (!isPending(record.state)) return { reason: refusalFor[record.state as keyof typeof refusalFor], triesLeft: 0 };
    // The code's digest under the key its reset's code was made with; none if that key is gone.
    const submitted = record.keyId === undefined ? undefined : attempt.digests[record.keyId];
    // An expired code spends no try: the user can do nothing about it but ask again.
    const expired = record.expiresAt === undefined || this.clock.now() >= record.expiresAt || !record.digest || submitted === undefined;
    return expired ? { reason: 'expired', triesLeft: record.triesLeft ?? 0 } : undefined;
  }

  private apply(entry: Entry, attempt: Attempt, sequence: string): AttemptResult {
    const record = entry.record;
    const userId = record.userId;
    const triesLeft = record.triesLeft ?? 0;
    const submitted = record.keyId === undefined ? undefined : attempt.digests[record.keyId];
    if (submitted === record.digest && triesLeft > 0) {
      record.state = 'completed';
      delete record.digest; // single use: the code is forgotten
      this.releasePending(userId, record.resetId);
      return { kind: 'completed', sequence, userId, completedAt: this.clock.now() };
    }
    record.triesLeft = Math.max(0, triesLeft - 1);
    if (record.triesLeft === 0) {
      record.state = 'locked';
      delete record.digest;
      this.releasePending(userId, record.resetId);
    }
    return { kind: 'wrong', sequence, userId, triesLeft: record.triesLeft };
  }

  private supersedeOthers(userId: string, resetId: string): void {
    const previous = this.pendingOf.get(userId);
    if (previous !== undefined && previous !== resetId) {
      const entry = this.live(previous);
      if (entry && isPending(entry.record.state)) {
        entry.record.state = 'superseded';
        delete entry.record.digest; // its code stops working
      }
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
