import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisCodeStore } from '../../src/adapters/redis/redis-code-store.js';
import { RedisOwedEvents } from '../../src/adapters/redis/redis-owed-events.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { defaultPolicy, type ResetPolicy } from '../../src/domain/policy.js';
import { RequestReset } from '../../src/domain/request-reset.js';
import { VerifyCode } from '../../src/domain/verify-code.js';
import { aDelivery, aResetRequest } from '../support/builders.js';
import { FakeCodeHasher } from '../support/fakes/fake-code-hasher.js';
import { FixedClock } from '../support/fakes/fixed-clock.js';
import { RecordingMailer } from '../support/fakes/recording-mailer.js';
import { RecordingPublisher } from '../support/fakes/recording-publisher.js';
import { SeededRandom } from '../support/fakes/seeded-random.js';
import { openTestRedis, type TestRedis } from '../support/redis.js';

const SECOND = 1_000;
const SKEW = 30 * SECOND;
/** Shorter than the skew: by the clock running ahead, every code would be expired when made. */
const policy: ResetPolicy = {
  ...defaultPolicy,
  codeLifetimeMs: 20 * SECOND,
  rateRules: [{ name: 'user-hour', scope: 'user', limit: 1, windowMs: 3_600 * SECOND }],
};

/**
 * Two instances on one Redis whose own clocks are 30 s apart (test clocks; the scripts read
 * Redis's): every verdict is Redis's, so they agree on expiry, cooldown and windows.
 */
describe('one clock: two instances whose clocks differ by 30 s', () => {
  let redis: TestRedis;
  const hasher = new FakeCodeHasher();
  const mailer = new RecordingMailer();

  function instance(offsetMs: number, instancePolicy = policy) {
    const clock = new FixedClock(Date.now() + offsetMs);
    const client = redis.connect();
    const store = new RedisCodeStore(client, redis.prefix);
    const publisher = new RecordingPublisher();
    const deps = { store, publisher, hasher, clock };
    return {
      publisher,
      requestReset: new RequestReset({ ...deps, limiter: new RedisRateLimiter(client, redis.prefix, 64), mailer, random: new SeededRandom(), policy: instancePolicy }),
      verifyCode: new VerifyCode({ ...deps, owed: new RedisOwedEvents(client, redis.prefix), policy: instancePolicy }),
    };
  }

  beforeEach(async () => {
    redis = await openTestRedis();
  });

  afterEach(async () => {
    await redis.close();
  });

  it('agree on a code’s expiry, the cooldown and the window, as Redis’s clock has them', async () => {
    const behind = instance(0);
    const ahead = instance(SKEW);
    const [seconds, micros] = await redis.client.time();
    const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);

    const sent = await ahead.requestReset.handle(aResetRequest({ resetId: 'r-1' }), aDelivery());
    // The other instance, a moment later, for the same user.
    const refused = await behind.requestReset.handle(aResetRequest({ resetId: 'r-2' }), aDelivery({ messageId: 'm-2' }));
    const code = mailer.codeFor('r-1');
    // By the clock running ahead the code is past its expiry; by Redis's it has 20 s to go.
    const completed = await ahead.verifyCode.handle({ resetId: 'r-1', code });

    expect(sent).toMatchObject({ kind: 'reported', event: { name: 'reset.code.sent' } });
    const expiresAt = Date.parse(sent.kind === 'reported' && sent.event.name === 'reset.code.sent' ? sent.event.data.expiresAt : '');
    expect(expiresAt - (redisNow + policy.codeLifetimeMs)).toBeGreaterThanOrEqual(0);
    expect(expiresAt - (redisNow + policy.codeLifetimeMs)).toBeLessThan(2 * SECOND);
    // 60 s of cooldown as Redis counts it, not 30 or 90.
    expect(refused).toMatchObject({ kind: 'reported', event: { data: { reason: 'cooldown', retryAfterSeconds: 60 } } });
    expect(completed).toMatchObject({ kind: 'completed' });
  });

  it('agree on when the window frees a place', async () => {
    const noCooldown = { ...policy, cooldownMs: 0 };
    const behind = instance(0, noCooldown);
    const ahead = instance(SKEW, noCooldown);
    const request = (which: typeof behind, resetId: string) => which.requestReset.handle(aResetRequest({ resetId }), aDelivery({ messageId: resetId }));

    await request(behind, 'r-1');
    const byAhead = await request(ahead, 'r-2');
    const byBehind = await request(behind, 'r-3');

    // An hour from the admission, as Redis counted it, whichever instance asks.
    for (const refused of [byAhead, byBehind]) {
      expect(refused).toMatchObject({ kind: 'reported', event: { data: { reason: 'rate_limited', retryAfterSeconds: 3_600 } } });
    }
  });
});
