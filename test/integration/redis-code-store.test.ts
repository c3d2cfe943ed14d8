import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCodeStore } from '../../src/adapters/redis/redis-code-store.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import type { ResetEvent } from '../../src/domain/events.js';
import { defaultPolicy } from '../../src/domain/policy.js';
import type { Attempt } from '../../src/domain/ports.js';
import { describeCodeStore } from '../support/contracts/code-store-contract.js';
import { openTestRedis, PinnedTime, scriptClockOf, type TestRedis } from '../support/redis.js';
import { CODE, codeSent, deliveryFailed, issueBuilder } from '../support/store-builders.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.UTC(2025, 0, 1, 12);
const SECRET = 'integration-test-secret-0123456789abcdef';
const WRONG_CODE = '000000';

/** What the service's CodeHasher does: HMAC-SHA-256 under a secret, bound to the reset. */
const digestOf = (resetId: string, code: string): string =>
  createHmac('sha256', SECRET).update(`${resetId}:${code}`).digest('base64url');

const anIssue = issueBuilder(digestOf);

const sent = (resetId = 'r-1'): ResetEvent => codeSent(NOW, resetId);

const failed = deliveryFailed;

/** A submission of `code` (a wrong one unless given) with its digest under `keyId`, as the service's hasher gives it. */
const anAttempt = (options: { resetId?: string; code?: string; keyId?: string; submissionId?: string } = {}): Attempt => {
  const resetId = options.resetId ?? 'r-1';
  return {
    resetId,
    ...(options.submissionId === undefined ? {} : { submissionId: options.submissionId }),
    digests: { [options.keyId ?? 'k-1']: digestOf(resetId, options.code ?? WRONG_CODE) },
  };
};

describeCodeStore('RedisCodeStore', async (clock) => {
  const redis = await openTestRedis();
  const time = scriptClockOf(clock);
  return {
    port: new RedisCodeStore(redis.client, redis.prefix, { clock: time }),
    another: () => new RedisCodeStore(redis.connect(), redis.prefix, { clock: time }),
    close: () => redis.close(),
  };
});

/** What is Redis's own: the key layout, the steps across slots, TTLs, what the hashes hold. */
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
    store = new RedisCodeStore(redis.client, redis.prefix, { clock: time });
  });

  afterEach(async () => {
    await redis.close();
  });

  describe('issue in three steps across two slots', () => {
    it("names the user's pending reset in the user's slot, even after 10 parallel issues on two instances", async () => {
      const other = new RedisCodeStore(redis.connect(), redis.prefix, { clock: time });
      const ids = Array.from({ length: 10 }, (_, i) => `r-${i}`);
      await Promise.all(ids.map((resetId, i) => (i % 2 === 0 ? store : other).issue(anIssue({ resetId }))));
      const current = await redis.client.get(`${redis.prefix}:user:{u-1}:current`);
      expect((await store.find(current ?? ''))?.state).toBe('issued');
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
    it("drops a displaced reset's field once it is older than a reset lives: the hash of a user who asks twice a day keeps a day's", async () => {
      for (let i = 0; i < 10; i += 1) await at(NOW + (i * DAY) / 2, () => store.issue(anIssue({ resetId: `r-${i}` })));
      const superseded = await redis.client.hgetall(`${redis.prefix}:user:{u-1}:superseded`);
      // r-8 displaced at the last issue, r-7 12 h before, r-6 a day before; the older ones dropped.
      expect(Object.keys(superseded).sort()).toEqual(['r-6', 'r-7', 'r-8']);
      expect(superseded['r-8']).toBe(`${NOW + (9 * DAY) / 2} r-9`);
      expect(await store.find('r-8')).toMatchObject({ state: 'superseded' });
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
  });

  it('keeps a settled refusal for its ttl', async () => {
    const invalid: ResetEvent = {
      name: 'reset.rejected',
      sequence: 'e:r-1',
      data: { resetId: 'r-1', eventId: 'r-1', reason: 'invalid_request', detail: 'The field data.email is invalid.' },
    };
    await store.settle({ resetId: 'r-1', outcome: invalid, ttlMs: DAY });
    expect(await redis.client.pttl(`${redis.prefix}:reset:{r-1}`)).toBeGreaterThan(DAY - MINUTE);
  });

  it('names the key of a code still in its lifetime made with a key the caller does not hold, and answers it expired', async () => {
    const notHeld: string[] = [];
    const told = new RedisCodeStore(redis.client, redis.prefix, { clock: time, onKeyNotHeld: (keyId) => void notHeld.push(keyId) });
    await at(NOW, () => told.issue(anIssue()));

    expect(await at(NOW + MINUTE, () => told.attempt(anAttempt({ code: CODE, keyId: 'k-2' })))).toEqual({ kind: 'refused', reason: 'expired', sequence: 'expired@0', userId: 'u-1', triesLeft: 5 });
    expect(notHeld).toEqual(['k-1']);
    // Past its lifetime it is expired whatever the key: nothing to tell.
    await at(NOW + 11 * MINUTE, () => told.attempt(anAttempt({ code: CODE, keyId: 'k-2' })));
    expect(notHeld).toEqual(['k-1']);
  });

  describe('storage ceilings', () => {
    it('remembers about its ceiling of refusals an hour (the one that passes it, then none): past it a refusal is answered, not stored, and one stored still holds', async () => {
      const ceiling = new RedisCodeStore(redis.client, redis.prefix, { clock: time, settledKeptAnHour: 3 });
      const invalid = (resetId: string, detail = 'The field data.email is invalid.'): ResetEvent => ({
        name: 'reset.rejected',
        sequence: `e:${resetId}`,
        data: { resetId, eventId: resetId, reason: 'invalid_request', detail },
      });
      for (const resetId of ['r-1', 'r-2', 'r-3', 'r-4', 'r-5']) {
        expect(await ceiling.settle({ resetId, outcome: invalid(resetId), ttlMs: DAY })).toEqual({ kind: 'settled', outcome: invalid(resetId) });
      }

      // Counted after the fact: the fourth is stored, passes the ceiling, and the fifth is not.
      const stored = await redis.client.keys(`${redis.prefix}:reset:*`);
      expect(stored.sort()).toEqual(['r-1', 'r-2', 'r-3', 'r-4'].map((id) => `${redis.prefix}:reset:{${id}}`));
      // A reset remembered before the ceiling keeps its first outcome after it, and answering it spends nothing.
      expect(await ceiling.settle({ resetId: 'r-1', outcome: invalid('r-1', 'another'), ttlMs: DAY })).toEqual({ kind: 'settled', outcome: invalid('r-1') });
      const count = `${redis.prefix}:remembered:{count}:settled`;
      expect(await redis.client.get(count)).toBe('4');
      // The count ends with its window, an hour.
      expect(await redis.client.pttl(count)).toBeGreaterThan(59 * MINUTE);
      expect(await redis.client.pttl(count)).toBeLessThanOrEqual(60 * MINUTE);
    });

    it('keeps a locked reset hammered with 5,000 codes under 4 KB, with no field per code', async () => {
      await store.issue(anIssue());
      await store.finish({ id: 'r-1', owner: 'owner-a', state: 'sent', outcome: sent() });
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
        limiter.admit({ request: { resetId, userId, clientIp: '203.0.113.7' }, rules: defaultPolicy.rateRules, cooldownMs: defaultPolicy.cooldownMs });
      for (const [i, code] of codes.entries()) {
        const resetId = `r-${i}`;
        const userId = `u-${i % 2}`;
        await admit(resetId, userId);
        await store.issue(anIssue({ resetId, userId, digest: digestOf(resetId, code) }));
        await store.attempt(anAttempt({ resetId, submissionId: `e-${i}` }));
      }
      await store.finish({ id: 'r-2', owner: 'owner-a', state: 'sent', outcome: sent('r-2') });
      await store.finish({ id: 'r-3', owner: 'owner-a', state: 'failed', outcome: failed('r-3') });
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
