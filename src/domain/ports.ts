import type { ResetEvent } from './events.js';
import type { MailResult, OutboundMail } from './mail.js';
import type { RateRule } from './policy.js';
import type { ResetRecord } from './reset-record.js';

/**
 * Milliseconds since the epoch, by this process's clock: for what the domain itself stamps (an
 * event's time, how long a delivery has been retried). Verdicts that several instances must agree
 * on (expiry, limit windows, cooldowns, leases) are the store's, judged by Redis's one clock.
 */
export interface Clock {
  now(): number;
}

/** Cryptographically strong randomness. */
export interface Random {
  /** `length` decimal digits, each uniform. */
  digits(length: number): string;
}

/**
 * Keyed one-way digests of codes (HMAC under a server secret), bound to the reset they belong to.
 * Several keys may be known at once while they rotate; new digests use the newest.
 */
export interface CodeHasher {
  readonly currentKeyId: string;
  digest(resetId: string, code: string): string;
  /** The code's digest under every key still known, by key id: a stored digest is compared with the one under its own key. */
  digests(resetId: string, code: string): Readonly<Record<string, string>>;
}

export interface IssueCode {
  readonly resetId: string;
  readonly userId: string;
  readonly digest: string;
  readonly keyId: string;
  /** How long the code is valid from now, by the store's clock. */
  readonly lifetimeMs: number;
  readonly maxTries: number;
  /** Who is mailing this code; the lease keeps another instance from mailing the same reset. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly ttlMs: number;
}

export type IssueResult =
  /**
   * This caller holds the reset and must mail the code, which expires at `expiresAt` (store's clock).
   * `sinceFirstIssueMs`: how long ago the reset's first code was made, for the delivery budget.
   */
  | { readonly kind: 'issued'; readonly expiresAt: number; readonly sinceFirstIssueMs: number; readonly mailAttempts: number }
  /** Another caller holds the lease. */
  | { readonly kind: 'busy'; readonly retryAfterMs: number }
  /** The reset already has its outcome. */
  | { readonly kind: 'finished'; readonly record: ResetRecord };

export interface Attempt {
  readonly resetId: string;
  readonly submissionId?: string;
  /** The submitted code's digest under every key still known (`CodeHasher.digests`). */
  readonly digests: Readonly<Record<string, string>>;
}

/**
 * `sequence` names the answer's event: a submission that counts gets the next number; a refusal
 * that changes nothing (the reset is over, or its code expired) gets one name per reason and count,
 * so a flood of them is one event, not one each.
 */
export type AttemptResult =
  /** No such reset, or it has expired from the store. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'completed'; readonly sequence: string; readonly userId: string; readonly completedAt: number }
  | { readonly kind: 'wrong'; readonly sequence: string; readonly userId: string; readonly triesLeft: number }
  | {
      readonly kind: 'refused';
      readonly sequence: string;
      readonly userId?: string;
      readonly reason: 'expired' | 'locked' | 'superseded' | 'unknown_reset';
      readonly triesLeft: number;
    };

/** The end of a delivery: of a reset's code (`CodeStore.finish`) or of a notice (`NoticeLedger.finish`). */
export interface FinishDelivery {
  /** The reset's id, or the notice's. */
  readonly id: string;
  readonly owner: string;
  readonly state: 'sent' | 'failed';
  readonly outcome: ResetEvent;
}

export interface AbandonDelivery {
  readonly resetId: string;
  readonly owner: string;
}

export interface SettleReset {
  readonly resetId: string;
  readonly userId?: string;
  readonly outcome: ResetEvent;
  /** How long the outcome is remembered. */
  readonly ttlMs: number;
}

export type SettleResult =
  /** The outcome that holds for the reset: the one given, or the one it had already. */
  | { readonly kind: 'settled'; readonly outcome: ResetEvent }
  /** A code of this reset is being mailed; look again later. */
  | { readonly kind: 'busy'; readonly retryAfterMs: number }
  /** A code was made for the reset (the record says which); its outcome is that. */
  | { readonly kind: 'finished'; readonly record: ResetRecord };

/**
 * Where resets live. Every method is one atomic step across all instances, and throws only on a
 * fault (the store unreachable), never for an expected outcome. Every time it judges (expiry,
 * leases) and every instant it returns is by the store's own clock, the same for all instances.
 */
export interface CodeStore {
  find(resetId: string): Promise<ResetRecord | undefined>;
  /**
   * Creates the reset's code, or replaces it while the reset is still being mailed by this caller
   * or by a caller whose lease has run out; makes it the user's only pending reset, superseding
   * the one before.
   */
  issue(code: IssueCode): Promise<IssueResult>;
  /**
   * Records the request's outcome unless the reset has one already (the first wins), and returns
   * the outcome that holds. Only while `owner` still holds the reset does its state change and its
   * lease end; a superseded reset stays superseded. A reset gone from the store is not made again.
   */
  finish(finish: FinishDelivery): Promise<ResetEvent>;
  /**
   * Ends `owner`'s hold on a reset whose mail the SMTP server did not take (the send failed with a
   * fault, left to a redelivery), unless the reset has an outcome: the redelivery takes it over at
   * once, and a reset superseded before any later mail of it is accepted is known (`unmailed`)
   * never to have reached the user.
   */
  abandon(abandon: AbandonDelivery): Promise<void>;
  /**
   * Makes `outcome` (a refusal before any code was made) the final outcome of a reset the store
   * does not know yet, remembered for `ttlMs`, so a later request under the same id is answered
   * with it. A reset the store knows keeps what it has.
   */
  settle(settle: SettleReset): Promise<SettleResult>;
  /**
   * Judges a submission and applies the verdict in one step: a reset that is no longer pending
   * refuses it; a code past its expiry, or whose key is no longer known, is expired and spends no
   * try; a code whose digest under the reset's key equals the stored one completes the reset;
   * any other spends a try, locking the reset at the last. A submission id seen before answers as
   * it did the first time and spends nothing. Only submissions that spend a try or complete are
   * remembered by id (at most `maxTries` + 1 per reset), so a flood costs no storage.
   */
  attempt(attempt: Attempt): Promise<AttemptResult>;
}

export interface RateRequest {
  readonly resetId: string;
  readonly userId: string;
  /** As the request gave it; the per-IP limits count the address it names, not its spelling. */
  readonly clientIp?: string;
}

export interface AdmissionRequest {
  readonly request: RateRequest;
  readonly rules: readonly RateRule[];
  /** How long after an admitted request the user's next one is refused; 0 for none. */
  readonly cooldownMs: number;
  /** At least how long a refusal is remembered; a day unless given. */
  readonly rememberRefusalsMs?: number;
}

export type Admitted = { readonly kind: 'admitted' };

export type Admission = Admitted | { readonly kind: 'refused'; readonly reason: 'cooldown' | 'rate_limited'; readonly rule: string; readonly retryAfterMs: number };

/**
 * Cooldown and sliding-window limits shared by all instances, judged by the store's one clock.
 * Each limit is checked and counted atomically, so none is ever exceeded; a refused request counts
 * against nothing once `admit` has returned (for a moment before, another request may see its
 * count and be refused too early), and admitting the same reset again is free. A refusal is
 * remembered, as one small record, for at least `rememberRefusalsMs` (a day unless given): asking
 * again for a refused reset refuses it again and never admits it, so a repeated request never gets
 * a code after its refusal was reported (within the store's ceilings on what it remembers).
 */
export interface RateLimiter {
  admit(admission: AdmissionRequest): Promise<Admission>;
  /**
   * Undoes what this admission (as `admit` returned it) counted, for one that will not be served:
   * the reset's place in each window, the cooldown it started. A limit that had counted the reset
   * before keeps it, so releasing a repeat's admission costs the first nothing; `everywhere`
   * releases those too, for a reset that was never admitted (refused as invalid), whose every
   * count is a mistake. Idempotent; leaves other resets' counts alone.
   */
  release(admitted: Admitted, options?: { readonly everywhere?: boolean }): Promise<void>;
}

/**
 * Mails a message. Returns `accepted` or a permanent refusal; throws `MailUnavailableError` when the
 * server cannot take it now.
 */
export interface Mailer {
  send(mail: OutboundMail): Promise<MailResult>;
}

/** What the broker said to a publish. */
export interface PublishReceipt {
  /** The id the event was published under, derived from its reset, name and sequence. */
  readonly id: string;
  /** True when the broker already had this event and dropped the repeat. */
  readonly duplicate: boolean;
}

/**
 * Publishes facts durably. Publishing the same event (same reset, name and sequence) twice is
 * harmless: the broker drops the repeat and says so. Throws when the broker cannot take it.
 */
export interface EventPublisher {
  publish(event: ResetEvent): Promise<PublishReceipt>;
}

/**
 * Events owed to the broker: a verdict the store applied whose event it did not take. Kept where
 * every instance finds them, so one is published however the instance that owed it ends.
 */
export interface OwedEvents {
  /** Keeps `event` once, however often it is kept (a redelivered submission owes the same event again). */
  keep(event: ResetEvent): Promise<void>;
  /** At most `count` of the events owed, oldest first. */
  oldest(count: number): Promise<readonly ResetEvent[]>;
  /** Forgets an event that has now been published. */
  forget(event: ResetEvent): Promise<void>;
}

export interface NoticeClaim {
  readonly noticeId: string;
  readonly userId: string;
  /** Who is mailing the notice; the lease keeps another delivery from mailing it at the same time. */
  readonly owner: string;
  readonly leaseMs: number;
  /** How long the notice's record, and so its idempotency, lasts after the last claim. */
  readonly ttlMs: number;
}

export type NoticeClaimResult =
  /**
   * This caller holds the notice and must mail it; `claimedAt` is the first claim's time (ledger's
   * clock) and `sinceFirstClaimMs` how long ago that was, for the delivery budget.
   */
  | { readonly kind: 'claimed'; readonly claimedAt: number; readonly sinceFirstClaimMs: number; readonly mailAttempts: number }
  /** Another caller holds the lease. */
  | { readonly kind: 'busy'; readonly retryAfterMs: number }
  /** The notice already has its outcome. */
  | { readonly kind: 'finished'; readonly outcome: ResetEvent };

/**
 * Remembers the password-changed notices, one record per change event id, so a repeat of the event
 * mails nothing twice. Each method is one atomic step across all instances, leases judged by the
 * ledger's one clock, and throws only on a fault (the store unreachable).
 */
export interface NoticeLedger {
  /**
   * Takes the notice for `owner` unless it has an outcome or another owner's lease still runs.
   * The same owner (a redelivery of the same message) may take it again at once.
   */
  claim(claim: NoticeClaim): Promise<NoticeClaimResult>;
  /** Records the outcome (the first one recorded wins) and ends the lease; returns the outcome that holds. */
  finish(finish: FinishDelivery): Promise<ResetEvent>;
}
