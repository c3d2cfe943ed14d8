import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCodeStore } from '../../src/adapters/redis/redis-code-store.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { RedisNoticeLedger } from '../../src/adapters/redis/redis-notice-ledger.js';
import { describeNoticeLedger } from '../support/contracts/notice-ledger-contract.js';
import { openTestRedis, PinnedTime, scriptClockOf, type TestRedis } from '../support/redis.js';
import { aNoticeClaim, noticeSent } from '../support/store-builders.js';

const DAY = 24 * 60 * 60_000;
const NOW = Date.UTC(2025, 0, 1, 12);

const aClaim = aNoticeClaim;

const sent = noticeSent;

describeNoticeLedger('RedisNoticeLedger', async (clock) => {
  const redis = await openTestRedis();
  const time = scriptClockOf(clock);
  return {
    port: new RedisNoticeLedger(redis.client, redis.prefix, time),
    another: () => new RedisNoticeLedger(redis.connect(), redis.prefix, time),
    close: () => redis.close(),
  };
});

/** What is Redis's own: one hash per notice, its hash tag and TTL, scripts shared with the code store. */
describe('RedisNoticeLedger', () => {
  let redis: TestRedis;
  let ledger: RedisNoticeLedger;
  /** The scripts' clock, pinned so that a test moves time in steps. */
  let time: PinnedTime;

  beforeEach(async () => {
    redis = await openTestRedis();
    time = new PinnedTime(NOW);
    ledger = new RedisNoticeLedger(redis.client, redis.prefix, time);
  });

  afterEach(async () => {
    await redis.close();
  });

  const record = () => redis.client.hgetall(new RedisKeys(redis.prefix).notice('n-1'));

  it('claims a new notice, in one hash under the prefix with a hash tag and a TTL of at least a day', async () => {
    await expect(ledger.claim(aClaim())).resolves.toEqual({ kind: 'claimed', claimedAt: NOW, sinceFirstClaimMs: 0, mailAttempts: 1 });

    const key = `${redis.prefix}:notice:{n-1}`;
    expect(await redis.keys()).toEqual([key]);
    expect(await redis.client.pttl(key)).toBeGreaterThan(DAY - 5_000);
    expect(await record()).toMatchObject({ noticeId: 'n-1', userId: 'u-1', state: 'issued', owner: 'owner-a' });
  });

  it('ends the lease in the hash with the outcome', async () => {
    await ledger.claim(aClaim());

    await ledger.finish({ id: 'n-1', owner: 'owner-a', state: 'sent', outcome: sent });
    const fields = await record();
    expect(fields).toMatchObject({ state: 'sent' });
    expect(fields.owner).toBeUndefined();
  });

  it('does not make again a record that expired before its outcome was recorded', async () => {
    await ledger.claim(aClaim());
    await redis.client.del(`${redis.prefix}:notice:{n-1}`);

    await expect(ledger.finish({ id: 'n-1', owner: 'owner-a', state: 'sent', outcome: sent })).resolves.toEqual(sent);

    expect(await redis.keys()).toEqual([]);
  });

  it('shares the Redis client with the code store: each registers its scripts without disturbing the other', async () => {
    const store = new RedisCodeStore(redis.client, redis.prefix);
    await ledger.claim(aClaim());

    await expect(ledger.finish({ id: 'n-1', owner: 'owner-a', state: 'sent', outcome: sent })).resolves.toEqual(sent);
    await expect(store.find('r-1')).resolves.toBeUndefined();
  });

  it('keeps a notice id with braces or percent signs inside its own hash tag', async () => {
    await ledger.claim(aClaim({ noticeId: 'a}b{%' }));

    expect(await redis.keys()).toEqual([`${redis.prefix}:notice:{a%7Db%7B%25}`]);
  });
});
