import type { ResetEvent } from '../../src/domain/events.js';
import type { IssueCode, NoticeClaim } from '../../src/domain/ports.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The code every issued reset of these builders carries, unless a test gives its own digest. */
export const CODE = '482913';

/**
 * Issue commands whose digest comes from `digestOf`: the contract suites compare stand-in digests,
 * the Redis tests real HMACs (to show no plain code is stored).
 */
export const issueBuilder =
  (digestOf: (resetId: string, code: string) => string) =>
  (overrides: Partial<IssueCode> = {}): IssueCode => {
    const resetId = overrides.resetId ?? 'r-1';
    return {
      resetId,
      userId: 'u-1',
      digest: digestOf(resetId, CODE),
      keyId: 'k-1',
      lifetimeMs: 10 * MINUTE,
      maxTries: 5,
      owner: 'owner-a',
      leaseMs: 45_000,
      ttlMs: DAY,
      ...overrides,
    };
  };

/** The `reset.code.sent` of a code issued at `issuedAt` with the builders' 10 minutes of life. */
export const codeSent = (issuedAt: number, resetId = 'r-1'): ResetEvent => ({
  name: 'reset.code.sent',
  sequence: '0',
  data: { resetId, userId: 'u-1', expiresAt: new Date(issuedAt + 10 * MINUTE).toISOString() },
});

export const deliveryFailed = (resetId = 'r-1'): ResetEvent => ({
  name: 'reset.delivery.failed',
  sequence: '0',
  data: { resetId, userId: 'u-1', reason: 'smtp_permanent', attempts: 1 },
});

export const aNoticeClaim = (overrides: Partial<NoticeClaim> = {}): NoticeClaim => ({
  noticeId: 'n-1',
  userId: 'u-1',
  owner: 'owner-a',
  leaseMs: 45_000,
  ttlMs: DAY,
  ...overrides,
});

export const noticeSent: ResetEvent = { name: 'reset.notice.sent', sequence: 'notice:n-1', data: { resetId: 'r-1', userId: 'u-1' } };
