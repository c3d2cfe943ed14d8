/** One sliding-window limit shared by every instance. */
export interface RateRule {
  /** Stable name, used in keys and in the rejection's detail. */
  readonly name: string;
  readonly scope: 'user' | 'ip' | 'global';
  readonly limit: number;
  readonly windowMs: number;
}

/** The numbers that make up the reset policy: the contract's, each configurable, and two of resetd's own (`recordTtlMs`, `leaseMs`). */
export interface ResetPolicy {
  readonly codeLength: number;
  readonly codeLifetimeMs: number;
  readonly maxWrongTries: number;
  readonly cooldownMs: number;
  readonly rateRules: readonly RateRule[];
  /** How long transient SMTP failures are retried before the reset is given up. */
  readonly deliveryBudgetMs: number;
  /** How long a reset's record (and so its idempotency) outlives its request. */
  readonly recordTtlMs: number;
  /** How long one instance may hold a reset while it mails the code. */
  readonly leaseMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const defaultPolicy: ResetPolicy = {
  codeLength: 6,
  codeLifetimeMs: 10 * MINUTE,
  maxWrongTries: 5,
  cooldownMs: MINUTE,
  rateRules: [
    { name: 'user-hour', scope: 'user', limit: 5, windowMs: HOUR },
    { name: 'user-day', scope: 'user', limit: 10, windowMs: 24 * HOUR },
    { name: 'ip-hour', scope: 'ip', limit: 20, windowMs: HOUR },
    { name: 'global-hour', scope: 'global', limit: 50_000, windowMs: HOUR },
  ],
  deliveryBudgetMs: 5 * MINUTE,
  recordTtlMs: 24 * HOUR,
  leaseMs: 45_000,
};
