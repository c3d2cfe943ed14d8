import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCodeStore } from '../../src/adapters/redis/redis-code-store.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import type { ResetEvent } from '../../src/domain/events.js';
import { defaultPolicy } from '../../src/domain/policy.js';
import type { Attempt, IssueCode } from '../../src/domain/ports.js';
import { openTestRedis, PinnedTime, type TestRedis } from '../support/redis.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.UTC(2025, 0, 1, 12);
const SECRET = 'integration-test-secret-0123456789abcdef';
const CODE = '482913';
const WRONG_CODE = '000000';

/** What the service's CodeHasher does: HMAC-SHA-256 under a secret, bound to the reset. */
const digestOf = (resetId: string, code: string): string =>
  createHmac('sha256', SECRET).update(`${resetId}:${code}`).digest('base64url');

const anIssue = (overrides: Partial<IssueCode> = {}): IssueCode => {
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

const sent = (resetId = 'r-1'): ResetEvent => ({
  name: 'reset.code.sent',
  sequence: '0',
  data: { resetId, userId: 'u-1', expiresAt: new Date(NOW + 10 * MINUTE).toISOString() },
});

const failed = (resetId = 'r-1'): ResetEvent => ({
  name: 'reset.delivery.failed',
  sequence: '0',
  data: { resetId, userId: 'u-1', reason: 'smtp_permanent', attempts: 1 },
});

/** A submission of `code` (a wrong one unless given) with its digest under `keyId`, as the service's hasher gives it. */
const anAttempt = (options: { resetId?: string; code?: string; keyId?: string; submissionId?: string } = {}): Attempt => {
  const resetId = options.resetId ?? 'r-1';
  return {
    resetId,
    ...(options.submissionId === undefined ? {} : { submissionId: options.submissionId }),
    digests: { [options.keyId ?? 'k-1']: digestOf(resetId, options.code ?? WRONG_CODE) },
  };
};

describe('RedisCodeStore', () => {
  let redis: TestRedis;
  let store: RedisCodeStore;
  /** The scripts' clock, pinned so that a test moves time in steps; `one-clock.test.ts` runs on Redis's own. */
  let time: PinnedTime;
  /** Runs `step` at `instant` by the scripts' clock. */
  const at = <T>(instant: number, step: () => Promise<T>): Promise<T> => {
    time.now = instant;
    return step();
  };

  beforeEach(async () => {
    redis = await openTestRedis();
    time = new PinnedTime(NOW);
    store = new RedisCodeStore(redis.client, redis.prefix, time);
  });

  afterEach(async () => {
    await redis.close();
  });

  describe('find and issue', () => {
    it('finds nothing for an unknown reset', async () => {
      expect(await store.find('r-unknown')).toBeUndefined();
    });

    it('issues a code and reads the record back', async () => {
      expect(await store.issue(anIssue())).toEqual({ kind: 'issued', expiresAt: NOW + 10 * MINUTE, sinceFirstIssueMs: 0, mailAttempts: 1 });
      expect(await store.find('r-1')).toEqual({
        resetId: 'r-1',
        userId: 'u-1',
        state: 'issued',
        digest: digestOf('r-1', CODE),
        keyId: 'k-1',
        expiresAt: NOW + 10 * MINUTE,
        triesLeft: 5,
        issuedAt: NOW,
        mailAttempts: 1,
      });
    });

    it('lets the same owner issue again: a new code and full tries, the first issuedAt kept', async () => {
      await store.issue(anIssue());
      await store.attempt(anAttempt());
      const again = await at(NOW + 5_000, () => store.issue(anIssue({ digest: digestOf('r-1', '771204'), lifetimeMs: 11 * MINUTE - 5_000 })));
      expect(again).toEqual({ kind: 'issued', expiresAt: NOW + 11 * MINUTE, sinceFirstIssueMs: 5_000, mailAttempts: 2 });
      expect(await store.find('r-1')).toMatchObject({ digest: digestOf('r-1', '771204'), triesLeft: 5, expiresAt: NOW + 11 * MINUTE });
    });

    it('answers busy while another owner holds the lease, and hands over once it has run out', async () => {
      await store.issue(anIssue());
      expect(await at(NOW + 10_000, () => store.issue(anIssue({ owner: 'owner-b' })))).toEqual({ kind: 'busy', retryAfterMs: 35_000 });
      expect(await at(NOW + 45_000, () => store.issue(anIssue({ owner: 'owner-b' })))).toEqual({
        kind: 'issued',
        expiresAt: NOW + 45_000 + 10 * MINUTE,
        sinceFirstIssueMs: 45_000,
        mailAttempts: 2,
      });
      expect(await at(NOW + 46_000, () => store.issue(anIssue()))).toMatchObject({ kind: 'busy', retryAfterMs: 44_000 });
    });

    it('answers finished, with the record, once the reset has its outcome', async () => {
      await store.issue(anIssue());
      await store.finish('r-1', 'owner-a', 'sent', sent());
      const again = await at(NOW + DAY / 2, () => store.issue(anIssue({ owner: 'owner-b' })));
      expect(again).toMatchObject({ kind: 'finished', record: { resetId: 'r-1', state: 'sent', outcome: sent(), mailAttempts: 1 } });
    });

    it("supersedes the user's pending reset: its code stops working", async () => {
      await store.issue(anIssue());
      await store.finish('r-1', 'owner-a', 'sent', sent());
      await at(NOW + MINUTE, () => store.issue(anIssue({ resetId: 'r-2' })));

      const previous = await store.find('r-1');
      expect(previous).toMatchObject({ state: 'superseded', outcome: sent() });
      expect(previous?.digest).toBeUndefined();
      expect(await store.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'superseded' });
      expect(await store.find('r-2')).toMatchObject({ state: 'issued' });
    });

    it('answers finished for a superseded reset whose outcome was never recorded', async () => {
      await store.issue(anIssue());
      await store.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }));
      const again = await at(NOW + MINUTE, () => store.issue(anIssue()));
      expect(again).toMatchObject({ kind: 'finished', record: { state: 'superseded' } });
    });

    it('leaves exactly one pending reset after 10 parallel issues for one user on two instances', async () => {
      const other = new RedisCodeStore(redis.connect(), redis.prefix, time);
      const ids = Array.from({ length: 10 }, (_, i) => `r-${i}`);
      await Promise.all(ids.map((resetId, i) => (i % 2 === 0 ? store : other).issue(anIssue({ resetId }))));
      const states = await Promise.all(ids.map(async (resetId) => (await store.find(resetId))?.state));
      expect(states.filter((state) => state === 'issued')).toHaveLength(1);
      expect(states.filter((state) => state === 'superseded')).toHaveLength(9);
      const current = await redis.client.get(`${redis.prefix}:user:{u-1}:current`);
      expect(states[ids.indexOf(current ?? '')]).toBe('issued');
    });

    it('never makes a displaced reset pending again: issued again while a newer one displaces it, it ends superseded', async () => {
      await store.issue(anIssue());
      // A newer reset of the user has taken the user's slot (step 2) but not yet marked r-1 (step 3).
      await store.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }));
      await redis.client.hset(`${redis.prefix}:reset:{r-1}`, 'state', 'issued');
      const again = await at(NOW + 1_000, () => store.issue(anIssue()));
      expect(again).toMatchObject({ kind: 'finished', record: { resetId: 'r-1', state: 'superseded' } });
      expect(await redis.client.get(`${redis.prefix}:user:{u-1}:current`)).toBe('r-2');
      expect(await store.find('r-2')).toMatchObject({ state: 'issued' });
    });

    it('marks the displaced reset superseded when the redelivery repeats an issue cut off before that step', async () => {
      await store.issue(anIssue());
      // What step 2 of r-2 leaves behind when the process dies before step 3.
      await redis.client.set(`${redis.prefix}:user:{u-1}:current`, 'r-2');
      await redis.client.hset(`${redis.prefix}:user:{u-1}:superseded`, 'r-1', 'r-2');
      expect(await store.find('r-1')).toMatchObject({ state: 'issued' });
      expect(await store.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }))).toMatchObject({ kind: 'issued' });
      expect(await store.find('r-1')).toMatchObject({ state: 'superseded' });
      expect(await store.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'superseded' });
    });

    it('leaves a finished previous reset as it is', async () => {
      await store.issue(anIssue());
      await store.attempt(anAttempt({ code: CODE }));
      await store.issue(anIssue({ resetId: 'r-2' }));
      expect(await store.find('r-1')).toMatchObject({ state: 'completed' });
    });
  });

  describe('finish and reject: the first outcome wins', () => {
    it('records the outcome once and returns it ever after', async () => {
      await store.issue(anIssue());
      expect(await store.finish('r-1', 'owner-a', 'sent', sent())).toEqual(sent());
      expect(await store.finish('r-1', 'owner-a', 'failed', failed())).toEqual(sent());
      expect(await store.find('r-1')).toMatchObject({ state: 'sent', outcome: sent() });
    });

    it('stores the outcome of an owner who lost the lease when none is stored yet', async () => {
      await store.issue(anIssue());
      await at(NOW + 45_000, () => store.issue(anIssue({ owner: 'owner-b' })));
      expect(await store.finish('r-1', 'owner-a', 'sent', sent())).toEqual(sent());
      expect(await store.finish('r-1', 'owner-b', 'failed', failed())).toEqual(sent());
      expect(await store.find('r-1')).toMatchObject({ outcome: sent() });
    });

    it('keeps a reset superseded while it was mailed superseded, but stores its outcome', async () => {
      await store.issue(anIssue());
      await store.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }));
      expect(await store.finish('r-1', 'owner-a', 'sent', sent())).toEqual(sent());
      expect(await store.find('r-1')).toMatchObject({ state: 'superseded', outcome: sent() });
    });
  });

  describe('attempt', () => {
    it('answers missing for an unknown reset', async () => {
      expect(await store.attempt(anAttempt({ code: CODE }))).toEqual({ kind: 'missing' });
    });

    it('completes the reset on a match, once; later submissions answer unknown_reset', async () => {
      await store.issue(anIssue());
      expect(await store.attempt(anAttempt({ code: CODE }))).toEqual({ kind: 'completed', sequence: '1', userId: 'u-1', completedAt: NOW });
      expect(await store.attempt(anAttempt({ code: CODE }))).toEqual({
        kind: 'refused',
        reason: 'unknown_reset',
        sequence: 'unknown_reset@1',
        userId: 'u-1',
        triesLeft: 0,
      });
      const record = await store.find('r-1');
      expect(record?.state).toBe('completed');
      expect(record?.digest).toBeUndefined();
    });

    it('spends a try per wrong code; the fifth answers wrong with 0 tries and locks', async () => {
      await store.issue(anIssue());
      const answers = [];
      for (let i = 0; i < 6; i += 1) answers.push(await store.attempt(anAttempt()));
      expect(answers).toEqual([
        { kind: 'wrong', sequence: '1', userId: 'u-1', triesLeft: 4 },
        { kind: 'wrong', sequence: '2', userId: 'u-1', triesLeft: 3 },
        { kind: 'wrong', sequence: '3', userId: 'u-1', triesLeft: 2 },
        { kind: 'wrong', sequence: '4', userId: 'u-1', triesLeft: 1 },
        { kind: 'wrong', sequence: '5', userId: 'u-1', triesLeft: 0 },
        { kind: 'refused', reason: 'locked', sequence: 'locked@5', userId: 'u-1', triesLeft: 0 },
      ]);
      expect(await store.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'locked' });
      expect((await store.find('r-1'))?.digest).toBeUndefined();
    });

    it('no longer matches the code that a new code replaced', async () => {
      await store.issue(anIssue());
      await store.issue(anIssue({ digest: digestOf('r-1', '771204') }));
      expect(await store.attempt(anAttempt({ code: CODE }))).toEqual({ kind: 'wrong', sequence: '1', userId: 'u-1', triesLeft: 4 });
    });

    it('spends no try on a code at or past its expiry, right or wrong', async () => {
      await store.issue(anIssue());
      const expired = { kind: 'refused', reason: 'expired', userId: 'u-1', triesLeft: 5 };
      // Neither counted nor remembered: every such answer is the same, and is one event.
      expect(await at(NOW + 10 * MINUTE, () => store.attempt(anAttempt({ code: CODE })))).toEqual({ ...expired, sequence: 'expired@0' });
      expect(await at(NOW + 11 * MINUTE, () => store.attempt(anAttempt({ submissionId: 'e-1' })))).toEqual({ ...expired, sequence: 'expired@0' });
      expect(await store.find('r-1')).toMatchObject({ triesLeft: 5, state: 'issued' });
      expect(await at(NOW + 10 * MINUTE - 1, () => store.attempt(anAttempt({ code: CODE })))).toMatchObject({ kind: 'completed', completedAt: NOW + 10 * MINUTE - 1 });
    });

    it('treats a code whose key is no longer known as expired, spending no try', async () => {
      await store.issue(anIssue());
      expect(await store.attempt(anAttempt({ code: CODE, keyId: 'k-2' }))).toEqual({
        kind: 'refused',
        reason: 'expired',
        sequence: 'expired@0',
        userId: 'u-1',
        triesLeft: 5,
      });
      expect(await store.attempt({ resetId: 'r-1', digests: { 'k-2': 'x', 'k-1': digestOf('r-1', CODE) } })).toMatchObject({
        kind: 'completed',
      });
    });

    it('answers a submission seen before as it did the first time, spending nothing', async () => {
      await store.issue(anIssue());
      const first = await store.attempt(anAttempt({ submissionId: 'e-1' }));
      expect(await store.attempt(anAttempt({ submissionId: 'e-1' }))).toEqual(first);
      expect(first).toEqual({ kind: 'wrong', sequence: '1', userId: 'u-1', triesLeft: 4 });
      expect(await store.attempt(anAttempt({ submissionId: 'e-2', code: CODE }))).toEqual({
        kind: 'completed',
        sequence: '2',
        userId: 'u-1',
        completedAt: NOW,
      });
      expect(await store.attempt(anAttempt({ submissionId: 'e-2', code: CODE }))).toEqual({
        kind: 'completed',
        sequence: '2',
        userId: 'u-1',
        completedAt: NOW,
      });
    });

    it('gives 20 parallel wrong codes on two instances exactly the 5 tries, then locked', async () => {
      await store.issue(anIssue());
      const other = new RedisCodeStore(redis.connect(), redis.prefix, time);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).attempt(anAttempt({ submissionId: `e-${i}` }))),
      );
      const wrong = answers.flatMap((answer) => (answer.kind === 'wrong' ? [answer.triesLeft] : []));
      expect(wrong.sort()).toEqual([0, 1, 2, 3, 4]);
      const locked = answers.filter((answer) => answer.kind === 'refused' && answer.reason === 'locked');
      expect(locked).toHaveLength(15);
      // Each try its own event; the refusals after it are one answer, so one event.
      expect(new Set(answers.map((answer) => (answer.kind === 'missing' ? '' : answer.sequence)))).toEqual(new Set(['1', '2', '3', '4', '5', 'locked@5']));
    });

    it('completes the reset once for 10 parallel right codes on two instances', async () => {
      await store.issue(anIssue());
      const other = new RedisCodeStore(redis.connect(), redis.prefix, time);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? store : other).attempt(anAttempt({ submissionId: `e-${i}`, code: CODE })),
        ),
      );
      expect(answers.filter((answer) => answer.kind === 'completed')).toHaveLength(1);
      expect(answers.filter((answer) => answer.kind === 'refused' && answer.reason === 'unknown_reset')).toHaveLength(9);
    });
  });

  describe('settle: a refusal before any code', () => {
    const invalid: ResetEvent = {
      name: 'reset.rejected',
      sequence: 'e:r-1',
      data: { resetId: 'r-1', eventId: 'r-1', reason: 'invalid_request', detail: 'The field data.email is invalid.' },
    };

    it('makes the refusal the outcome of a reset not known yet: an issue after it is finished, a code for it unknown', async () => {
      expect(await store.settle('r-1', undefined, invalid, DAY)).toEqual({ kind: 'settled', outcome: invalid });
      expect(await store.issue(anIssue())).toMatchObject({ kind: 'finished', record: { state: 'rejected', outcome: invalid } });
      expect(await store.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'unknown_reset' });
      expect(await redis.client.pttl(`${redis.prefix}:reset:{r-1}`)).toBeGreaterThan(DAY - MINUTE);
    });

    it('keeps the outcome a reset has, and waits for one whose code is being mailed', async () => {
      await store.issue(anIssue());
      expect(await at(NOW + 5_000, () => store.settle('r-1', 'u-1', invalid, DAY))).toEqual({ kind: 'busy', retryAfterMs: 40_000 });
      await store.finish('r-1', 'owner-a', 'sent', sent());
      expect(await store.settle('r-1', 'u-1', invalid, DAY)).toEqual({ kind: 'settled', outcome: sent() });
    });
  });

  describe('storage ceilings', () => {
    it('keeps a locked reset hammered with 5,000 codes under 4 KB, with no field per code', async () => {
      await store.issue(anIssue());
      await store.finish('r-1', 'owner-a', 'sent', sent());
      for (let i = 0; i < 5; i += 1) await store.attempt(anAttempt({ submissionId: `e-${i}` }));
      const key = `${redis.prefix}:reset:{r-1}`;
      const lockedBytes = Number(await redis.client.memory('USAGE', key));

      for (let batch = 0; batch < 50; batch += 1) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => store.attempt(anAttempt({ submissionId: `flood-${batch}-${i}` }))));
      }

      const floodedBytes = Number(await redis.client.memory('USAGE', key));
      console.info(`a locked reset: ${lockedBytes} bytes, after 5,000 more codes ${floodedBytes} bytes`);
      expect(floodedBytes).toBe(lockedBytes);
      expect(floodedBytes).toBeLessThan(4_096);
      expect(await redis.client.hlen(key)).toBeLessThan(25);
    });
  });

  describe('what Redis holds', () => {
    const codes = ['482913', '771204', '093358', '610027'];

    /** A bit of everything the service does, for two users. */
    async function runAFewResets(): Promise<void> {
      const limiter = new RedisRateLimiter(redis.client, redis.prefix, 64, time);
      const admit = (resetId: string, userId: string) =>
        limiter.admit({ resetId, userId, clientIp: '203.0.113.7' }, defaultPolicy.rateRules, defaultPolicy.cooldownMs);
      for (const [i, code] of codes.entries()) {
        const resetId = `r-${i}`;
        const userId = `u-${i % 2}`;
        await admit(resetId, userId);
        await store.issue(anIssue({ resetId, userId, digest: digestOf(resetId, code) }));
        await store.attempt(anAttempt({ resetId, submissionId: `e-${i}` }));
      }
      await store.finish('r-2', 'owner-a', 'sent', sent('r-2'));
      await store.finish('r-3', 'owner-a', 'failed', failed('r-3'));
      await store.attempt(anAttempt({ resetId: 'r-2', code: codes[2] as string }));
      // The refusal is remembered by the limiter, in the user's refusals hash.
      expect(await admit('r-9', 'u-0')).toMatchObject({ kind: 'refused', reason: 'cooldown' });
    }

    it('gives every key a TTL', async () => {
      await runAFewResets();
      const keys = await redis.keys();
      expect(keys.length).toBeGreaterThan(8);
      for (const key of keys) {
        expect(await redis.client.pttl(key), key).toBeGreaterThan(0);
      }
    });

    it('holds no plain code anywhere', async () => {
      await runAFewResets();
      const values: string[] = [];
      for (const key of await redis.keys()) {
        const type = await redis.client.type(key);
        if (type === 'hash') values.push(...Object.entries(await redis.client.hgetall(key)).flat());
        else if (type === 'zset') values.push(...(await redis.client.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'string') values.push((await redis.client.get(key)) ?? '');
        else throw new Error(`unexpected ${type} at ${key}`);
      }
      expect(values.length).toBeGreaterThan(20);
      for (const code of codes) expect(values.filter((value) => value.includes(code))).toEqual([]);
    });
  });
});
