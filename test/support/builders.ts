import type { CodeSubmission, Delivery, PasswordChange, ResetRequest } from '../../src/domain/commands.js';
import { defaultPolicy, type RateRule, type ResetPolicy } from '../../src/domain/policy.js';
import { NotifyPasswordChanged, type NoticeOutcome } from '../../src/domain/notify-password-changed.js';
import { RequestReset, type RequestOutcome } from '../../src/domain/request-reset.js';
import { VerifyCode, type VerifyOutcome } from '../../src/domain/verify-code.js';
import { FakeCodeHasher } from './fakes/fake-code-hasher.js';
import { FixedClock, START } from './fakes/fixed-clock.js';
import { InMemoryCodeStore } from './fakes/in-memory-code-store.js';
import { InMemoryNoticeLedger } from './fakes/in-memory-notice-ledger.js';
import { InMemoryOwedEvents } from './fakes/in-memory-owed-events.js';
import { InMemoryRateLimiter } from './fakes/in-memory-rate-limiter.js';
import { RecordingMailer } from './fakes/recording-mailer.js';
import { RecordingPublisher } from './fakes/recording-publisher.js';
import { SeededRandom } from './fakes/seeded-random.js';

export const aResetRequest = (overrides: Partial<ResetRequest> = {}): ResetRequest => ({
  resetId: 'r-1',
  userId: 'u-1',
  email: 'user@example.com',
  locale: 'en',
  displayName: 'Ada Lovelace',
  clientIp: '192.0.2.10',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
  ...overrides,
});

/** A code typed for r-1; without `submissionId` it is a `reset.verify` request. */
export const aSubmission = (overrides: Partial<CodeSubmission> = {}): CodeSubmission => ({
  resetId: 'r-1',
  code: '000000',
  clientIp: '192.0.2.10',
  ...overrides,
});

export const aDelivery = (overrides: Partial<Delivery> = {}): Delivery => ({ messageId: 'm-1', final: false, ...overrides });

/** The default policy with some rate rules changed by name, e.g. `{ 'global-hour': { limit: 3 } }`. */
export const policyWithRules = (changes: Record<string, Partial<RateRule>>): ResetPolicy => ({
  ...defaultPolicy,
  rateRules: defaultPolicy.rateRules.map((rule) => ({ ...rule, ...changes[rule.name] })),
});

export interface ResetWorldOptions {
  readonly policy?: Partial<ResetPolicy>;
  readonly start?: number;
  readonly seed?: number;
  /** Codes `digits` hands out first, in order. */
  readonly codes?: readonly string[];
  readonly keys?: ReadonlyArray<readonly [keyId: string, secret: string]>;
}

/** RequestReset and VerifyCode wired with stateful fakes, the default policy, and a clock at START. */
export function makeResetWorld(options: ResetWorldOptions = {}) {
  const policy: ResetPolicy = { ...defaultPolicy, ...options.policy };
  const clock = new FixedClock(options.start ?? START);
  const random = new SeededRandom({ seed: options.seed ?? 42, codes: options.codes ?? [] });
  const hasher = new FakeCodeHasher(options.keys);
  const store = new InMemoryCodeStore(clock);
  const limiter = new InMemoryRateLimiter(clock);
  const mailer = new RecordingMailer();
  const publisher = new RecordingPublisher();
  const requestReset = new RequestReset({ store, limiter, mailer, publisher, hasher, clock, random, policy });
  const owed = new InMemoryOwedEvents();
  const verifyCode = new VerifyCode({ store, publisher, owed, hasher, policy });
  return {
    policy,
    clock,
    random,
    hasher,
    store,
    limiter,
    mailer,
    publisher,
    owed,
    requestReset,
    verifyCode,
    /** Handles `aResetRequest(overrides)` as delivered by `aDelivery(delivery)`. */
    request: (overrides: Partial<ResetRequest> = {}, delivery: Partial<Delivery> = {}): Promise<RequestOutcome> =>
      requestReset.handle(aResetRequest(overrides), aDelivery(delivery)),
    submit: (overrides: Partial<CodeSubmission> = {}): Promise<VerifyOutcome> => verifyCode.handle(aSubmission(overrides)),
  };
}

export type ResetWorld = ReturnType<typeof makeResetWorld>;

/** A code of the same length that is surely not `code`: every digit moved by one. */
export const wrongCodeFor = (code: string): string =>
  [...code].map((digit) => String((Number(digit) + 1) % 10)).join('');

/** `reset.password.changed` n-1 for the reset r-1, changed a minute before START, in English. */
export const aPasswordChange = (overrides: Partial<PasswordChange> = {}): PasswordChange => ({
  noticeId: 'n-1',
  resetId: 'r-1',
  userId: 'u-1',
  email: 'user@example.com',
  locale: 'en',
  displayName: 'Ada Lovelace',
  changedAt: START - 60_000,
  clientIp: '192.0.2.10',
  ...overrides,
});

/** NotifyPasswordChanged wired with stateful fakes, the default policy, and a clock at START. */
export function makeNoticeWorld(options: { policy?: Partial<ResetPolicy>; start?: number } = {}) {
  const policy: ResetPolicy = { ...defaultPolicy, ...options.policy };
  const clock = new FixedClock(options.start ?? START);
  const ledger = new InMemoryNoticeLedger(clock);
  const mailer = new RecordingMailer();
  const publisher = new RecordingPublisher();
  const notify = new NotifyPasswordChanged({ ledger, mailer, publisher, clock, policy });
  return {
    policy,
    clock,
    ledger,
    mailer,
    publisher,
    notify,
    /** Handles `aPasswordChange(overrides)` as delivered by `aDelivery(delivery)`. */
    changed: (overrides: Partial<PasswordChange> = {}, delivery: Partial<Delivery> = {}): Promise<NoticeOutcome> =>
      notify.handle(aPasswordChange(overrides), aDelivery(delivery)),
  };
}
