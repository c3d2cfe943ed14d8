import { describe, expect, it } from 'vitest';
import { makeResetWorld, wrongCodeFor, type ResetWorld } from '../support/builders.js';
import { START } from '../support/fakes/fixed-clock.js';
import { PublishOwedEvents } from '../../src/domain/owed-events.js';
import { typedCode, UnpublishedVerdictError } from '../../src/domain/verify-code.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

const iso = (instant: number): string => new Date(instant).toISOString();

/** Requests a reset through the domain and returns the code the user was mailed. */
async function mailedCode(world: ResetWorld, resetId = 'r-1', userId = 'u-1'): Promise<string> {
  await world.request({ resetId, userId });
  return world.mailer.codeFor(resetId);
}

const failed = (reason: string, attemptsRemaining: number) => ({ kind: 'verificationFailed', reason, attemptsRemaining });

describe('VerifyCode', () => {
  it('completes the reset with the mailed code', async () => {
    const world = makeResetWorld();
    const code = await mailedCode(world);
    world.clock.advance(2 * MINUTE);

    const outcome = await world.submit({ code, submissionId: 's-1' });

    const event = {
      name: 'reset.completed',
      sequence: '1',
      data: { resetId: 'r-1', userId: 'u-1', completedAt: iso(START + 2 * MINUTE) },
    };
    expect(outcome).toEqual({ kind: 'completed', event, repeated: false });
    expect(world.publisher.named('reset.completed')).toEqual([event]);
    expect(world.store.peek('r-1')?.state).toBe('completed');
  });

  describe('expiry', () => {
    it('accepts the right code 1 ms before expiresAt', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);

      world.clock.set(START + 10 * MINUTE - 1);

      expect(await world.submit({ code })).toMatchObject({ kind: 'completed' });
    });

    it('answers expired at exactly expiresAt, spending no try', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);

      world.clock.set(START + 10 * MINUTE);
      const right = await world.submit({ code });
      const wrong = await world.submit({ code: wrongCodeFor(code) });

      expect(right).toMatchObject(failed('expired', 5));
      expect(wrong).toMatchObject(failed('expired', 5));
      expect(world.store.peek('r-1')).toMatchObject({ triesLeft: 5 });
      // Two identical answers that changed nothing: one event stands for both.
      expect(world.publisher.named('reset.verification.failed').map((event) => event.data)).toEqual([
        { resetId: 'r-1', userId: 'u-1', reason: 'expired', attemptsRemaining: 5 },
      ]);
    });
  });

  describe('wrong codes', () => {
    it('counts down to 0 on the 5th wrong code and locks, refusing even the right code after', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      const wrong = wrongCodeFor(code);

      const answers = [];
      for (let n = 1; n <= 5; n += 1) answers.push(await world.submit({ code: wrong }));
      const sixth = await world.submit({ code: wrong });
      const rightAfterLockout = await world.submit({ code });

      expect(answers).toMatchObject([4, 3, 2, 1, 0].map((left) => failed('invalid_code', left)));
      expect(sixth).toMatchObject(failed('locked', 0));
      expect(rightAfterLockout).toMatchObject(failed('locked', 0));
      expect(world.store.peek('r-1')?.state).toBe('locked');
      expect(world.publisher.named('reset.completed')).toEqual([]);
    });

    it('spends one try for a submission delivered twice', async () => {
      const world = makeResetWorld();
      const wrong = wrongCodeFor(await mailedCode(world));

      const first = await world.submit({ code: wrong, submissionId: 's-1' });
      const redelivered = await world.submit({ code: wrong, submissionId: 's-1' });
      const next = await world.submit({ code: wrong, submissionId: 's-2' });

      expect(first).toMatchObject({ ...failed('invalid_code', 4), repeated: false });
      expect(redelivered).toEqual({ ...first, repeated: true });
      expect(next).toMatchObject(failed('invalid_code', 3));
      expect(world.publisher.named('reset.verification.failed').map((event) => event.sequence)).toEqual(['1', '2']);
    });

    it('never gives parallel wrong codes more tries than the limit', async () => {
      const world = makeResetWorld();
      const wrong = wrongCodeFor(await mailedCode(world));

      const answers = await Promise.all(Array.from({ length: 8 }, () => world.submit({ code: wrong })));

      const invalid = answers.flatMap((answer) =>
        answer.kind === 'verificationFailed' && answer.reason === 'invalid_code' ? [answer.attemptsRemaining] : [],
      );
      expect(invalid.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
      expect(answers.filter((answer) => answer.kind === 'verificationFailed' && answer.reason === 'locked')).toHaveLength(3);
    });

    it('answers a locked reset hammered with 5,000 codes the same each time: one more event in all, nothing remembered per code', async () => {
      const world = makeResetWorld();
      const wrong = wrongCodeFor(await mailedCode(world));
      for (let i = 0; i < 5; i += 1) await world.submit({ code: wrong, submissionId: `s-${i}` });

      const answers = await Promise.all(Array.from({ length: 5_000 }, (_, i) => world.submit({ code: wrong, submissionId: `flood-${i}` })));

      expect(new Set(answers.map((answer) => JSON.stringify({ ...answer, repeated: undefined }))).size).toBe(1);
      expect(answers[0]).toMatchObject(failed('locked', 0));
      // One fact, counted once: every answer after the first repeats it.
      expect(answers.filter((answer) => !answer.repeated)).toHaveLength(1);
      expect(world.publisher.named('reset.verification.failed').map((event) => [event.data.reason, event.sequence])).toEqual([
        ...[1, 2, 3, 4, 5].map((n) => ['invalid_code', String(n)]),
        ['locked', 'locked@5'],
      ]);
    });
  });

  describe('single use', () => {
    it('refuses a used code as unknown_reset', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      await world.submit({ code });

      const again = await world.submit({ code });

      expect(again).toMatchObject(failed('unknown_reset', 0));
      expect(world.publisher.named('reset.completed')).toHaveLength(1);
    });

    it('completes once for a right code delivered twice', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);

      const first = await world.submit({ code, submissionId: 's-1' });
      world.clock.advance(SECOND);
      const redelivered = await world.submit({ code, submissionId: 's-1' });

      expect(first).toMatchObject({ kind: 'completed', event: { sequence: '1' } });
      expect(redelivered).toMatchObject({ kind: 'completed', event: { sequence: '1' } });
      expect(world.publisher.named('reset.completed')).toHaveLength(1);
    });

    it('reports when the reset completed, even when the event goes out on a redelivery', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.clock.advance(2 * MINUTE);
      world.publisher.failNext();

      await expect(world.submit({ code, submissionId: 's-1' })).rejects.toThrow('reset.completed of reset r-1 could not be published');
      world.clock.advance(30 * SECOND); // the transport redelivers after a backoff
      await world.submit({ code, submissionId: 's-1' });

      // completedAt is when the user proved control of the mailbox, not when the event got out.
      expect(world.publisher.named('reset.completed').map((event) => event.data.completedAt)).toEqual([
        iso(START + 2 * MINUTE),
      ]);
    });

    it('says which verdict it applied when the event cannot be published, and only then', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);

      world.publisher.failNext();
      const wrong = world.submit({ code: wrongCodeFor(code) });
      await expect(wrong).rejects.toBeInstanceOf(UnpublishedVerdictError);
      await expect(wrong).rejects.toMatchObject({ outcome: failed('invalid_code', 4) });
      world.publisher.failNext();
      await expect(world.submit({ code })).rejects.toMatchObject({ name: 'UnpublishedVerdictError', outcome: { kind: 'completed' } });
      // Nothing is changed for a reset the store does not know (nor for a locked or finished one):
      // the fault is only a fault, and the submission may be tried again.
      world.publisher.failNext();
      const unknown = world.submit({ resetId: 'r-unknown', code });
      await expect(unknown).rejects.toThrow('broker');
      await expect(unknown).rejects.not.toBeInstanceOf(UnpublishedVerdictError);
    });

    it('keeps the event of an applied verdict as owed when the broker refuses it, and publishes it once the broker takes it again', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.publisher.failNext();
      await expect(world.submit({ code })).rejects.toMatchObject({ name: 'UnpublishedVerdictError', kept: true });
      expect(world.owed.events).toMatchObject([{ name: 'reset.completed', data: { resetId: 'r-1' } }]);
      const publishOwed = new PublishOwedEvents({ owed: world.owed, publisher: world.publisher });

      world.publisher.failNext();
      expect(await publishOwed.run()).toMatchObject({ published: 0, refused: { owedAtLeast: 1 } });
      expect(world.owed.events).toHaveLength(1);
      expect(await publishOwed.run()).toEqual({ published: 1 });

      expect(world.publisher.named('reset.completed')).toMatchObject([{ data: { resetId: 'r-1' } }]);
      expect(world.owed.events).toEqual([]);
      expect(await publishOwed.run()).toEqual({ published: 0 });
    });

    it('owes the event of a submission from the inbox once, however often it is redelivered through the outage', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.publisher.failNext(2);
      for (let delivery = 0; delivery < 2; delivery += 1) {
        await expect(world.submit({ code, submissionId: 's-1' })).rejects.toMatchObject({ name: 'UnpublishedVerdictError', kept: true });
      }
      expect(world.owed.events).toMatchObject([{ name: 'reset.completed' }]);
      expect(await world.submit({ code, submissionId: 's-1' })).toMatchObject({ kind: 'completed' });
      expect(world.publisher.named('reset.completed')).toHaveLength(1);
    });

    it('says when the event of an applied verdict could not be kept either', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.publisher.failNext();
      world.owed.failKeepNext();
      await expect(world.submit({ code })).rejects.toMatchObject({ name: 'UnpublishedVerdictError', kept: false });
      expect(world.owed.events).toEqual([]);
    });

    it('completes once for parallel submissions of the right code', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);

      const answers = await Promise.all(Array.from({ length: 5 }, () => world.submit({ code })));

      expect(answers.filter((answer) => answer.kind === 'completed')).toHaveLength(1);
      expect(answers.filter((answer) => answer.kind !== 'completed')).toMatchObject(
        Array.from({ length: 4 }, () => failed('unknown_reset', 0)),
      );
      expect(world.publisher.named('reset.completed')).toHaveLength(1);
    });
  });

  it('refuses the code of a reset superseded by a newer request, and completes the newer one', async () => {
    const world = makeResetWorld();
    const oldCode = await mailedCode(world, 'r-1');
    world.clock.advance(60 * SECOND);
    const newCode = await mailedCode(world, 'r-2');

    const old = await world.submit({ resetId: 'r-1', code: oldCode });
    const fresh = await world.submit({ resetId: 'r-2', code: newCode });

    expect(old).toMatchObject({ kind: 'verificationFailed', reason: 'superseded' });
    expect(fresh).toMatchObject({ kind: 'completed', event: { data: { resetId: 'r-2', userId: 'u-1' } } });
  });

  describe('key rotation', () => {
    it('keeps verifying an outstanding code with its older key while new codes use the newest', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.hasher.rotate('k2', 'test-secret-k2-0123456789abcdefghijklmnop');
      world.clock.advance(60 * SECOND);
      await mailedCode(world, 'r-2', 'u-2');

      expect(world.store.peek('r-2')).toMatchObject({ keyId: 'k2' });
      expect(await world.submit({ code })).toMatchObject({ kind: 'completed' });
    });

    it('answers expired for a code whose key was removed', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.hasher.rotate('k2', 'test-secret-k2-0123456789abcdefghijklmnop').remove('k1');

      expect(await world.submit({ code })).toMatchObject(failed('expired', 5));
    });
  });

  describe('unknown resets', () => {
    it('answers unknown_reset with attemptsRemaining 0 for a reset id it never saw', async () => {
      const world = makeResetWorld();

      const outcome = await world.submit({ resetId: 'r-404', code: '123456', submissionId: 's-1' });
      const redelivered = await world.submit({ resetId: 'r-404', code: '123456', submissionId: 's-1' });

      expect(outcome).toEqual({
        ...failed('unknown_reset', 0),
        repeated: false,
        event: {
          name: 'reset.verification.failed',
          sequence: expect.any(String),
          data: { resetId: 'r-404', reason: 'unknown_reset', attemptsRemaining: 0 },
        },
      });
      expect(redelivered).toEqual({ ...outcome, repeated: true });
      expect(world.publisher.named('reset.verification.failed')).toHaveLength(1);
    });

    it('answers every code for a reset it never saw with one event', async () => {
      const world = makeResetWorld();

      await Promise.all(Array.from({ length: 100 }, (_, i) => world.submit({ resetId: 'r-404', submissionId: `s-${i}` })));
      await world.submit({ resetId: 'r-404' });

      expect(world.publisher.named('reset.verification.failed')).toHaveLength(1);
    });

    it('answers unknown_reset for a code lost with the store’s data', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      world.store.forgetEverything();

      expect(await world.submit({ code })).toMatchObject(failed('unknown_reset', 0));
    });

    it('answers unknown_reset for a request that was rejected, which has no code', async () => {
      const world = makeResetWorld();
      await mailedCode(world, 'r-1');
      world.clock.advance(SECOND);
      await world.request({ resetId: 'r-2' }); // within the cooldown

      expect(await world.submit({ resetId: 'r-2', code: '000000' })).toMatchObject({
        kind: 'verificationFailed',
        reason: 'unknown_reset',
      });
    });
  });

  describe('codes as users type them', () => {
    it('completes with the code pasted with whitespace around it', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);

      expect(await world.submit({ code: ` ${code}\n` })).toMatchObject({ kind: 'completed' });
    });

    it('rejects a code that is not 6 digits once trimmed, spending no try, so the right code still completes', async () => {
      const world = makeResetWorld();
      const code = await mailedCode(world);
      const malformed = ['123', 'abcdef', '12 345', `${code}0`, `${code.slice(0, 3)} ${code.slice(3)}`, '１２３４５６', ' \t\n', '-12345', '1e5000'];

      const outcomes = [];
      for (const typed of malformed) outcomes.push(await world.submit({ code: typed }));

      expect(outcomes.map((outcome) => outcome.kind)).toEqual(malformed.map(() => 'rejected'));
      expect(world.store.peek('r-1')).toMatchObject({ triesLeft: 5 });
      expect(await world.submit({ code })).toMatchObject({ kind: 'completed' });
    });

    it('spends a try on a wrong code typed with whitespace around it, as on any wrong code', async () => {
      const world = makeResetWorld();
      const wrong = wrongCodeFor(await mailedCode(world));

      expect(await world.submit({ code: ` ${wrong}` })).toMatchObject(failed('invalid_code', 4));
      expect(await world.submit({ code: `${wrong}\n` })).toMatchObject(failed('invalid_code', 3));
    });

    it('reports a malformed submission as reset.rejected invalid_request naming the code, once per submission', async () => {
      const world = makeResetWorld();
      await mailedCode(world);

      const outcome = await world.submit({ code: 'abc', submissionId: 's-1' });
      const redelivered = await world.submit({ code: 'abc', submissionId: 's-1' });

      const event = {
        name: 'reset.rejected',
        sequence: 'e:s-1',
        data: { resetId: 'r-1', eventId: 's-1', reason: 'invalid_request', detail: 'The field code must be 6 digits; spaces around it are ignored.' },
      };
      expect(outcome).toEqual({ kind: 'rejected', detail: event.data.detail, event, repeated: false });
      expect(redelivered).toEqual({ ...outcome, repeated: true });
      expect(world.publisher.named('reset.rejected')).toEqual([event]);
      expect(world.publisher.named('reset.verification.failed')).toEqual([]);
    });

    it('takes the configured number of digits', () => {
      expect(typedCode(' 12345678 ', 8)).toBe('12345678');
      expect(typedCode('123456', 8)).toBeUndefined();
      expect(typedCode('1234', 4)).toBe('1234');
    });
  });

  it('never puts a code in an event', async () => {
    const world = makeResetWorld();
    const code = await mailedCode(world);
    const wrong = wrongCodeFor(code);
    await world.submit({ code: wrong });
    await world.submit({ code });

    const published = JSON.stringify(world.publisher.events);
    expect(published).not.toContain(code);
    expect(published).not.toContain(wrong);
  });
});
