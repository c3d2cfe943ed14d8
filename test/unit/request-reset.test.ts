import { describe, expect, it, vi } from 'vitest';
import { MailUnavailableError } from '../../src/domain/errors.js';
import type { RejectedEvent, RejectionReason, ResetEvent } from '../../src/domain/events.js';
import type { RequestOutcome } from '../../src/domain/request-reset.js';
import { aDelivery, aResetRequest, makeResetWorld, policyWithRules } from '../support/builders.js';
import { START } from '../support/fakes/fixed-clock.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const iso = (instant: number): string => new Date(instant).toISOString();

/** The event an outcome reported; fails the test when there is none. */
const eventOf = (outcome: RequestOutcome): ResetEvent => {
  if (outcome.kind !== 'reported') throw new Error(`expected a reported outcome, got ${outcome.kind}`);
  return outcome.event;
};

const codeSent = { kind: 'reported', event: { name: 'reset.code.sent' } } as const;

const rejected = (reason: RejectionReason, retryAfterSeconds: number) =>
  ({ kind: 'reported', event: { name: 'reset.rejected', data: { reason, retryAfterSeconds } } }) as const;

describe('RequestReset', () => {
  describe('a request that is admitted', () => {
    it('mails the 6-digit code it made and reports reset.code.sent, expiring 10 minutes on', async () => {
      const world = makeResetWorld();

      const outcome = await world.request();

      expect(world.random.lastDigits).toMatch(/^\d{6}$/);
      expect(world.mailer.sent).toEqual([
        {
          kind: 'code',
          resetId: 'r-1',
          to: 'user@example.com',
          locale: 'en',
          displayName: 'Ada Lovelace',
          code: world.random.lastDigits,
          expiresAt: START + 10 * MINUTE,
          lifetimeMinutes: 10,
        },
      ]);
      const event = {
        name: 'reset.code.sent',
        sequence: '0',
        data: { resetId: 'r-1', userId: 'u-1', expiresAt: iso(START + 10 * MINUTE) },
      };
      expect(outcome).toEqual({ kind: 'reported', event, repeated: false });
      expect(world.publisher.events).toEqual([event]);
    });

    it('keeps only a keyed digest of the code, never the code', async () => {
      const world = makeResetWorld();

      await world.request();

      const code = world.mailer.codeFor('r-1');
      const record = world.store.peek('r-1');
      expect(record).toMatchObject({ state: 'sent', keyId: 'k1', triesLeft: 5, expiresAt: START + 10 * MINUTE });
      expect(record).toMatchObject({ digest: world.hasher.digest('r-1', code) });
      expect(JSON.stringify(record)).not.toContain(code);
      expect(JSON.stringify(world.publisher.events)).not.toContain(code);
    });
  });

  describe('cooldown', () => {
    it('rejects a second request for the user within 60 s, saying when to retry, and admits one after', async () => {
      const world = makeResetWorld();
      await world.request({ resetId: 'r-1' });

      world.clock.advance(15 * SECOND);
      const early = await world.request({ resetId: 'r-2' });
      world.clock.advance(45 * SECOND - 1);
      const justBefore = await world.request({ resetId: 'r-3' });
      world.clock.advance(1);
      const after = await world.request({ resetId: 'r-4' });

      expect(early).toMatchObject(rejected('cooldown', 45));
      expect(early).toEqual({
        kind: 'reported',
        repeated: false,
        event: {
          name: 'reset.rejected',
          sequence: '0',
          data: {
            resetId: 'r-2',
            eventId: 'r-2',
            userId: 'u-1',
            reason: 'cooldown',
            retryAfterSeconds: 45,
            detail: expect.stringContaining('45 s'),
          },
        },
      });
      expect(justBefore).toMatchObject(rejected('cooldown', 1));
      expect(after).toMatchObject(codeSent);
      expect(world.mailer.sent.map((mail) => mail.resetId)).toEqual(['r-1', 'r-4']);
    });

    it('applies per user: another user is admitted at once', async () => {
      const world = makeResetWorld();
      await world.request({ resetId: 'r-1', userId: 'u-1' });

      world.clock.advance(SECOND);

      expect(await world.request({ resetId: 'r-2', userId: 'u-2', email: 'other@example.com' })).toMatchObject(codeSent);
    });
  });

  describe('sliding-window limits', () => {
    it('allows a user 5 codes an hour, then rejects until the oldest slides out', async () => {
      const world = makeResetWorld();
      for (let n = 1; n <= 5; n += 1) {
        expect(await world.request({ resetId: `r-${n}` })).toMatchObject(codeSent);
        world.clock.advance(MINUTE); // past the cooldown
      }

      // At 5 min the window holds codes from 0..4 min: the place of the one at 0 frees at 60 min.
      const sixth = await world.request({ resetId: 'r-6' });
      world.clock.set(START + HOUR - 1);
      const stillFull = await world.request({ resetId: 'r-7' });
      world.clock.set(START + HOUR);
      const recovered = await world.request({ resetId: 'r-8' });
      world.clock.advance(MINUTE);
      // Had the two refusals counted, the window (1 min, 61 min] would now hold 6.
      const refusalsCountedNothing = await world.request({ resetId: 'r-9' });

      expect(sixth).toMatchObject(rejected('rate_limited', 55 * 60));
      expect(sixth).toMatchObject({ event: { data: { detail: expect.stringContaining('user-hour') } } });
      expect(stillFull).toMatchObject(rejected('rate_limited', 1));
      expect(recovered).toMatchObject(codeSent);
      expect(refusalsCountedNothing).toMatchObject(codeSent);
    });

    it('allows a user 10 codes a day, then rejects until the oldest slides out', async () => {
      const world = makeResetWorld();
      for (let n = 1; n <= 10; n += 1) {
        expect(await world.request({ resetId: `r-${n}` })).toMatchObject(codeSent);
        world.clock.advance(2 * HOUR); // never near the hourly limit
      }

      // At 20 h the day holds codes from 0..18 h: the place of the one at 0 frees at 24 h.
      const eleventh = await world.request({ resetId: 'r-11' });
      world.clock.set(START + 24 * HOUR);
      const recovered = await world.request({ resetId: 'r-12' });

      expect(eleventh).toMatchObject(rejected('rate_limited', 4 * 60 * 60));
      expect(eleventh).toMatchObject({ event: { data: { detail: expect.stringContaining('user-day') } } });
      expect(recovered).toMatchObject(codeSent);
    });

    it('allows one client IP 20 codes an hour across users, then rejects that IP until its window moves on', async () => {
      const world = makeResetWorld();
      const fromIp = (n: number, clientIp = '203.0.113.5') =>
        world.request({ resetId: `r-${n}`, userId: `u-${n}`, email: `user${n}@example.com`, clientIp });
      for (let n = 1; n <= 20; n += 1) {
        expect(await fromIp(n)).toMatchObject(codeSent);
        world.clock.advance(MINUTE);
      }

      // At 20 min the IP's window holds codes from 0..19 min: the first place frees at 60 min.
      const twentyFirst = await fromIp(21);
      const otherIp = await fromIp(22, '198.51.100.7');
      world.clock.set(START + HOUR);
      const recovered = await fromIp(23);

      expect(twentyFirst).toMatchObject(rejected('rate_limited', 40 * 60));
      expect(twentyFirst).toMatchObject({ event: { data: { userId: 'u-21', detail: expect.stringContaining('ip-hour') } } });
      expect(otherIp).toMatchObject(codeSent);
      expect(recovered).toMatchObject(codeSent);
    });

    it('applies the global limit to everyone, then recovers when the window moves on', async () => {
      const world = makeResetWorld({ policy: policyWithRules({ 'global-hour': { limit: 3 } }) });
      const fromUser = (n: number) =>
        world.request({ resetId: `r-${n}`, userId: `u-${n}`, email: `user${n}@example.com`, clientIp: `192.0.2.${n}` });
      for (let n = 1; n <= 3; n += 1) {
        expect(await fromUser(n)).toMatchObject(codeSent);
        world.clock.advance(10 * MINUTE);
      }

      const fourth = await fromUser(4);
      world.clock.set(START + HOUR);
      const recovered = await fromUser(5);

      expect(fourth).toMatchObject(rejected('rate_limited', 30 * 60));
      expect(fourth).toMatchObject({ event: { data: { detail: expect.stringContaining('global-hour') } } });
      expect(recovered).toMatchObject(codeSent);
      expect(world.mailer.sent.map((mail) => mail.resetId)).toEqual(['r-1', 'r-2', 'r-3', 'r-5']);
    });
  });

  describe('idempotency', () => {
    it('handles a redelivered request with no second mail and the same outcome event', async () => {
      const world = makeResetWorld();

      const first = await world.request();
      world.clock.advance(30 * MINUTE); // past cooldown and expiry: a replay must not look again
      const again = await world.request();

      expect(again).toEqual({ ...first, repeated: true });
      expect(world.mailer.sent).toHaveLength(1);
      expect(world.publisher.events).toEqual([eventOf(first)]);
    });

    it('republishes the recorded outcome when publishing failed after the mail went out', async () => {
      const world = makeResetWorld();
      world.publisher.failNext();

      await expect(world.request()).rejects.toThrow('broker');
      const redelivered = await world.request();

      expect(world.mailer.sent).toHaveLength(1);
      expect(redelivered).toMatchObject(codeSent);
      expect(world.publisher.events).toEqual([eventOf(redelivered)]);
    });

    it('replays a rejection even once the cooldown has passed', async () => {
      const world = makeResetWorld();
      await world.request({ resetId: 'r-1' });
      world.clock.advance(10 * SECOND);
      const rejection = await world.request({ resetId: 'r-2' });

      world.clock.advance(HOUR);
      const again = await world.request({ resetId: 'r-2' });

      expect(again).toEqual({ ...rejection, repeated: true });
      expect(world.mailer.mailsFor('r-2')).toEqual([]);
      expect(world.publisher.forReset('r-2')).toHaveLength(1);
    });

    it('writes no reset record for a refused request: the limiter remembers the refusal, and a repeat gets it', async () => {
      const world = makeResetWorld();
      await world.request({ resetId: 'r-1' });
      const rejection = await world.request({ resetId: 'r-2' });

      expect(world.store.peek('r-2')).toBeUndefined();
      world.clock.advance(23 * HOUR);
      expect(await world.request({ resetId: 'r-2' })).toEqual({ ...rejection, repeated: true });
      expect(world.mailer.mailsFor('r-2')).toEqual([]);
    });

    it('replays the code.sent of a reset that has since completed, mailing nothing', async () => {
      const world = makeResetWorld();
      const first = await world.request();
      await world.submit({ code: world.mailer.codeFor('r-1') });

      const again = await world.request();

      expect(again).toEqual({ ...first, repeated: true });
      expect(world.mailer.sent).toHaveLength(1);
    });
  });

  describe('a request refused as invalid', () => {
    const invalid = (resetId = 'r-1'): RejectedEvent => ({
      name: 'reset.rejected',
      sequence: `e:${resetId}`,
      data: { resetId, eventId: resetId, reason: 'invalid_request', detail: 'The field data.email is invalid: Invalid email address.' },
    });

    it('keeps its refusal as the outcome: a corrected body under the same id gets it again, and no mail', async () => {
      const world = makeResetWorld();

      const refused = await world.requestReset.refuseInvalid(invalid());
      const corrected = await world.request({ resetId: 'r-1' });

      expect(refused).toEqual({ kind: 'reported', event: invalid(), repeated: false });
      expect(corrected).toEqual({ ...refused, repeated: true });
      expect(world.mailer.sent).toEqual([]);
      expect(world.publisher.forReset('r-1')).toEqual([invalid()]);
    });

    it("spends nothing of the user's for the corrected body: no place in a window, no cooldown", async () => {
      const world = makeResetWorld();
      await world.requestReset.refuseInvalid(invalid());
      await world.request({ resetId: 'r-1' });
      await world.request({ resetId: 'r-1' });

      // The user's next request under a new id is served at once, not told to wait for the cooldown.
      expect(eventOf(await world.request({ resetId: 'r-2' }))).toMatchObject({ name: 'reset.code.sent' });
      const perUser = world.policy.rateRules.find((rule) => rule.scope === 'user')!;
      expect(world.limiter.countIn(perUser, 'u-1', world.clock.now())).toBe(1);
    });

    it("repeats a reset's outcome when its id comes again under another user and address, and counts nothing of theirs", async () => {
      const world = makeResetWorld();
      const sent = eventOf(await world.request({ resetId: 'r-1' }));
      const victim = { userId: 'u-victim', clientIp: '198.51.100.77' };

      expect(eventOf(await world.request({ resetId: 'r-1', ...victim }))).toEqual(sent);
      // The victim's own request is served at once: no cooldown, no place taken.
      expect(eventOf(await world.request({ resetId: 'r-2', ...victim }))).toMatchObject({ name: 'reset.code.sent' });
      const perUser = world.policy.rateRules.find((rule) => rule.scope === 'user')!;
      expect(world.limiter.countIn(perUser, 'u-victim', world.clock.now())).toBe(1);
    });

    it('reports the outcome a reset already has instead of refusing it', async () => {
      const world = makeResetWorld();
      const sent = eventOf(await world.request({ resetId: 'r-1' }));

      expect(await world.requestReset.refuseInvalid(invalid())).toEqual({ kind: 'reported', event: sent, repeated: true });
      expect(world.publisher.forReset('r-1')).toEqual([sent]);
    });

    it('waits while a code of the reset is being mailed', async () => {
      const world = makeResetWorld();
      await world.store.issue({ resetId: 'r-1', userId: 'u-1', digest: 'd', keyId: 'k1', lifetimeMs: 10 * MINUTE, maxTries: 5, owner: 'm-9', leaseMs: 45 * SECOND, ttlMs: HOUR });

      expect(await world.requestReset.refuseInvalid(invalid())).toEqual({ kind: 'busy', retryAfterMs: 45 * SECOND });
      expect(world.publisher.events).toEqual([]);
    });
  });

  describe('SMTP failures', () => {
    it('ends at once with smtp_permanent when the server refuses the address for good', async () => {
      const world = makeResetWorld();
      world.mailer.refuse('user@example.com');

      const outcome = await world.request();
      const redelivered = await world.request();

      expect(outcome).toEqual({
        kind: 'reported',
        repeated: false,
        event: {
          name: 'reset.delivery.failed',
          sequence: '0',
          data: { resetId: 'r-1', userId: 'u-1', reason: 'smtp_permanent', attempts: 1 },
        },
      });
      expect(redelivered).toEqual({ ...outcome, repeated: true });
      expect(world.mailer.sent).toEqual([]);
      expect(world.mailer.refused).toHaveLength(1);
      expect(world.publisher.events).toHaveLength(1);
    });

    it('throws MailUnavailableError on a transient failure within the budget, and the retry mails exactly once', async () => {
      const world = makeResetWorld();
      world.mailer.failNext(1);

      await expect(world.request()).rejects.toBeInstanceOf(MailUnavailableError);
      expect(world.publisher.events).toEqual([]);

      world.clock.advance(world.policy.leaseMs); // the failed attempt's lease has run out
      const retried = await world.request();

      expect(world.mailer.sent).toHaveLength(1);
      expect(world.mailer.codeFor('r-1')).toBe(world.random.lastDigits);
      const retriedAt = START + world.policy.leaseMs;
      expect(retried).toMatchObject({ ...codeSent, event: { data: { expiresAt: iso(retriedAt + 10 * MINUTE) } } });
      expect(world.publisher.events).toHaveLength(1);
      // Only the mailed code works.
      expect(await world.submit({ code: world.mailer.codeFor('r-1') })).toMatchObject({ kind: 'completed' });
    });

    it('gives up with smtp_retries_exhausted once transient failures outlast 5 minutes', async () => {
      const world = makeResetWorld();
      world.mailer.failUntilRecovered();

      await expect(world.request()).rejects.toBeInstanceOf(MailUnavailableError);
      world.clock.advance(2 * MINUTE);
      await expect(world.request()).rejects.toBeInstanceOf(MailUnavailableError);
      world.clock.advance(3 * MINUTE + 1);
      const givenUp = await world.request();
      world.mailer.recover();
      const redelivered = await world.request();

      expect(givenUp).toEqual({
        kind: 'reported',
        repeated: false,
        event: {
          name: 'reset.delivery.failed',
          sequence: '0',
          data: { resetId: 'r-1', userId: 'u-1', reason: 'smtp_retries_exhausted', attempts: 3 },
        },
      });
      expect(redelivered).toEqual({ ...givenUp, repeated: true });
      expect(world.mailer.sent).toEqual([]);
      expect(world.publisher.events).toHaveLength(1);
    });

    it('gives up at once on the transport’s final delivery', async () => {
      const world = makeResetWorld();
      world.mailer.failUntilRecovered();

      const outcome = await world.request({}, { final: true });

      expect(outcome).toMatchObject({
        kind: 'reported',
        event: { name: 'reset.delivery.failed', data: { reason: 'smtp_retries_exhausted', attempts: 1 } },
      });
    });

    it('lets another copy of the request take a reset over at once when its mail failed: the lease ends with the failure', async () => {
      const world = makeResetWorld();
      world.mailer.failNext(1);
      await expect(world.request({}, { messageId: 'm-1' })).rejects.toBeInstanceOf(MailUnavailableError);

      const other = await world.requestReset.handle(aResetRequest(), aDelivery({ messageId: 'm-2' }));

      expect(other).toMatchObject(codeSent);
      expect(world.mailer.sent).toHaveLength(1);
    });

    it('reports a reset superseded while its mail was failing as delivery.failed, not code.sent: no mail carried its code', async () => {
      const world = makeResetWorld({ policy: { cooldownMs: 0 } });
      world.mailer.failNext(2);
      await expect(world.request({ resetId: 'r-1', email: 'first@example.com' })).rejects.toBeInstanceOf(MailUnavailableError);
      await expect(world.request({ resetId: 'r-1', email: 'first@example.com' })).rejects.toBeInstanceOf(MailUnavailableError);
      world.clock.advance(MINUTE);
      expect(await world.request({ resetId: 'r-2', email: 'second@example.com' })).toMatchObject(codeSent);

      const redelivered = await world.request({ resetId: 'r-1', email: 'first@example.com' });

      expect(redelivered).toEqual({
        kind: 'reported',
        repeated: false,
        event: {
          name: 'reset.delivery.failed',
          sequence: '0',
          data: { resetId: 'r-1', userId: 'u-1', reason: 'smtp_retries_exhausted', attempts: 2 },
        },
      });
      expect(world.mailer.sent.map((mail) => mail.to)).toEqual(['second@example.com']);
    });

    it('still reports code.sent for a reset superseded after its mail was accepted, though the outcome was not recorded', async () => {
      const world = makeResetWorld({ policy: { cooldownMs: 0 } });
      world.store.failFinishNext();
      await expect(world.request({ resetId: 'r-1' })).rejects.toThrow();
      world.clock.advance(MINUTE);
      await world.request({ resetId: 'r-2' });

      const redelivered = await world.request({ resetId: 'r-1' });

      expect(redelivered).toMatchObject({ ...codeSent, event: { data: { resetId: 'r-1' } } });
      expect(world.mailer.sent).toHaveLength(2);
    });

    it('leaves a reset whose mail was refused with no working code', async () => {
      const world = makeResetWorld({ codes: ['424242'] });
      world.mailer.refuse('user@example.com');
      await world.request();

      expect(await world.submit({ code: '424242' })).toMatchObject({ kind: 'verificationFailed' });
    });
  });

  describe('concurrent handling', () => {
    it('answers busy, mailing nothing, while another copy of the request holds the reset', async () => {
      const world = makeResetWorld();
      const held = world.mailer.hold();
      const first = world.requestReset.handle(aResetRequest(), aDelivery({ messageId: 'm-1' }));
      await held.reached;

      // The same request published again with a new Nats-Msg-Id is another message.
      const second = await world.requestReset.handle(aResetRequest(), aDelivery({ messageId: 'm-2' }));

      expect(second).toEqual({ kind: 'busy', retryAfterMs: world.policy.leaseMs });
      expect(world.mailer.sent).toEqual([]);
      expect(world.publisher.events).toEqual([]);

      held.release();
      expect(await first).toMatchObject(codeSent);
      expect(world.mailer.sent).toHaveLength(1);
    });

    it('gives back what a busy copy counted: its redelivery counts afresh, so a copy under another user keeps nothing meanwhile', async () => {
      const world = makeResetWorld();
      const released = vi.spyOn(world.limiter, 'release');
      const held = world.mailer.hold();
      const first = world.requestReset.handle(aResetRequest(), aDelivery({ messageId: 'm-1' }));
      await held.reached;

      expect(await world.requestReset.handle(aResetRequest({ userId: 'u-other' }), aDelivery({ messageId: 'm-2' }))).toMatchObject({ kind: 'busy' });
      expect(released).toHaveBeenCalledTimes(1);
      expect(released.mock.calls[0]![0]).toEqual({ kind: 'admitted' });

      held.release();
      await first;
    });
  });
});
