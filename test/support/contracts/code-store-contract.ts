import { describe, expect, it } from 'vitest';
import type { ResetEvent } from '../../../src/domain/events.js';
import type { Attempt, CodeStore } from '../../../src/domain/ports.js';
import { START } from '../fakes/fixed-clock.js';
import { CODE, codeSent, deliveryFailed, issueBuilder } from '../store-builders.js';
import { usePort, type MakePort } from './port-under-test.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WRONG_CODE = '000000';

/** A stand-in for the keyed digest the service's CodeHasher makes: the store only compares them. */
const digestOf = (resetId: string, code: string): string => `digest(${resetId}:${code})`;

const anIssue = issueBuilder(digestOf);

const sent = (resetId = 'r-1'): ResetEvent => codeSent(START, resetId);

const failed = deliveryFailed;

const invalid: ResetEvent = {
  name: 'reset.rejected',
  sequence: 'e:r-1',
  data: { resetId: 'r-1', eventId: 'r-1', reason: 'invalid_request', detail: 'The field data.email is invalid.' },
};

/** A submission of `code` (a wrong one unless given) with its digest under `keyId`. */
const anAttempt = (options: { resetId?: string; code?: string; keyId?: string; submissionId?: string } = {}): Attempt => {
  const resetId = options.resetId ?? 'r-1';
  return {
    resetId,
    ...(options.submissionId === undefined ? {} : { submissionId: options.submissionId }),
    digests: { [options.keyId ?? 'k-1']: digestOf(resetId, options.code ?? WRONG_CODE) },
  };
};

/**
 * The CodeStore's rules, in terms of the port only, for every implementation: the in-memory fake
 * (test/unit) and Redis (test/integration), so the fake cannot drift from the Lua scripts.
 */
export function describeCodeStore(name: string, make: MakePort<CodeStore>): void {
  describe(`${name}: the CodeStore contract`, () => {
    const subject = usePort(make);
    const at = <T>(offsetMs: number, step: (store: CodeStore) => Promise<T>): Promise<T> => {
      subject.clock.set(START + offsetMs);
      return step(subject.port);
    };
    const finish = (resetId: string, owner: string, state: 'sent' | 'failed', outcome: ResetEvent) =>
      subject.port.finish({ id: resetId, owner, state, outcome });

    describe('find and issue', () => {
      it('finds nothing for an unknown reset', async () => {
        expect(await subject.port.find('r-unknown')).toBeUndefined();
      });

      it('issues a code and reads the record back', async () => {
        expect(await subject.port.issue(anIssue())).toEqual({ kind: 'issued', expiresAt: START + 10 * MINUTE, sinceFirstIssueMs: 0, mailAttempts: 1 });
        expect(await subject.port.find('r-1')).toEqual({
          resetId: 'r-1',
          userId: 'u-1',
          state: 'issued',
          digest: digestOf('r-1', CODE),
          keyId: 'k-1',
          expiresAt: START + 10 * MINUTE,
          triesLeft: 5,
          issuedAt: START,
          mailAttempts: 1,
        });
      });

      it('lets the same owner issue again: a new code and full tries, the first issuedAt kept', async () => {
        await subject.port.issue(anIssue());
        await subject.port.attempt(anAttempt());
        const again = await at(5_000, (store) => store.issue(anIssue({ digest: digestOf('r-1', '771204'), lifetimeMs: 11 * MINUTE - 5_000 })));
        expect(again).toEqual({ kind: 'issued', expiresAt: START + 11 * MINUTE, sinceFirstIssueMs: 5_000, mailAttempts: 2 });
        expect(await subject.port.find('r-1')).toMatchObject({ digest: digestOf('r-1', '771204'), triesLeft: 5, expiresAt: START + 11 * MINUTE });
      });

      it('answers busy while another owner holds the lease, and hands over once it has run out', async () => {
        await subject.port.issue(anIssue());
        expect(await at(10_000, (store) => store.issue(anIssue({ owner: 'owner-b' })))).toEqual({ kind: 'busy', retryAfterMs: 35_000 });
        expect(await at(45_000, (store) => store.issue(anIssue({ owner: 'owner-b' })))).toEqual({
          kind: 'issued',
          expiresAt: START + 45_000 + 10 * MINUTE,
          sinceFirstIssueMs: 45_000,
          mailAttempts: 2,
        });
        expect(await at(46_000, (store) => store.issue(anIssue()))).toMatchObject({ kind: 'busy', retryAfterMs: 44_000 });
      });

      it('answers finished, with the record, once the reset has its outcome', async () => {
        await subject.port.issue(anIssue());
        await finish('r-1', 'owner-a', 'sent', sent());
        const again = await at(DAY / 2, (store) => store.issue(anIssue({ owner: 'owner-b' })));
        expect(again).toMatchObject({ kind: 'finished', record: { resetId: 'r-1', state: 'sent', outcome: sent(), mailAttempts: 1 } });
      });

      it("supersedes the user's pending reset: its code stops working and is forgotten", async () => {
        await subject.port.issue(anIssue());
        await finish('r-1', 'owner-a', 'sent', sent());
        await at(MINUTE, (store) => store.issue(anIssue({ resetId: 'r-2' })));

        const previous = await subject.port.find('r-1');
        expect(previous).toMatchObject({ state: 'superseded', outcome: sent() });
        expect(previous).not.toHaveProperty('digest');
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'superseded' });
        expect(await subject.port.find('r-2')).toMatchObject({ state: 'issued' });
      });

      it('answers finished for a superseded reset whose outcome was never recorded', async () => {
        await subject.port.issue(anIssue());
        await subject.port.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }));
        const again = await at(MINUTE, (store) => store.issue(anIssue()));
        expect(again).toMatchObject({ kind: 'finished', record: { state: 'superseded' } });
      });

      it('leaves exactly one pending reset after 10 parallel issues for one user on two instances', async () => {
        const other = subject.another();
        const ids = Array.from({ length: 10 }, (_, i) => `r-${i}`);
        await Promise.all(ids.map((resetId, i) => (i % 2 === 0 ? subject.port : other).issue(anIssue({ resetId }))));
        const states = await Promise.all(ids.map(async (resetId) => (await subject.port.find(resetId))?.state));
        expect(states.filter((state) => state === 'issued')).toHaveLength(1);
        expect(states.filter((state) => state === 'superseded')).toHaveLength(9);
      });

      it('leaves a finished previous reset as it is', async () => {
        await subject.port.issue(anIssue());
        await subject.port.attempt(anAttempt({ code: CODE }));
        await subject.port.issue(anIssue({ resetId: 'r-2' }));
        expect(await subject.port.find('r-1')).toMatchObject({ state: 'completed' });
      });
    });

    describe('finish: the first outcome wins', () => {
      it('records the outcome once and returns it ever after', async () => {
        await subject.port.issue(anIssue());
        expect(await finish('r-1', 'owner-a', 'sent', sent())).toEqual(sent());
        expect(await finish('r-1', 'owner-a', 'failed', failed())).toEqual(sent());
        expect(await subject.port.find('r-1')).toMatchObject({ state: 'sent', outcome: sent() });
      });

      it('stores the outcome of an owner who lost the lease when none is stored yet', async () => {
        await subject.port.issue(anIssue());
        await at(45_000, (store) => store.issue(anIssue({ owner: 'owner-b' })));
        expect(await finish('r-1', 'owner-a', 'sent', sent())).toEqual(sent());
        expect(await finish('r-1', 'owner-b', 'failed', failed())).toEqual(sent());
        expect(await subject.port.find('r-1')).toMatchObject({ outcome: sent() });
      });

      it('keeps a reset superseded while it was mailed superseded, but stores its outcome', async () => {
        await subject.port.issue(anIssue());
        await subject.port.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }));
        expect(await finish('r-1', 'owner-a', 'sent', sent())).toEqual(sent());
        expect(await subject.port.find('r-1')).toMatchObject({ state: 'superseded', outcome: sent() });
      });
    });

    describe('abandon: a mail that failed', () => {
      it('ends the lease, so another owner takes the reset over at once, and marks it unmailed until an outcome is recorded', async () => {
        await subject.port.issue(anIssue());
        await at(1_000, (store) => store.abandon({ resetId: 'r-1', owner: 'owner-a' }));
        expect(await subject.port.find('r-1')).toMatchObject({ state: 'issued', unmailed: true });
        expect(await at(2_000, (store) => store.issue(anIssue({ owner: 'owner-b' })))).toMatchObject({ kind: 'issued', mailAttempts: 2 });
        expect(await subject.port.find('r-1')).toMatchObject({ state: 'issued', unmailed: true });
        await finish('r-1', 'owner-b', 'sent', sent());
        expect(await subject.port.find('r-1')).toMatchObject({ state: 'sent', outcome: sent() });
      });

      it("marks a reset superseded while its mail failed, so it is known that no mail carried its code", async () => {
        await subject.port.issue(anIssue());
        await subject.port.issue(anIssue({ resetId: 'r-2', owner: 'owner-b' }));
        await subject.port.abandon({ resetId: 'r-1', owner: 'owner-a' });
        expect(await at(MINUTE, (store) => store.issue(anIssue()))).toMatchObject({ kind: 'finished', record: { state: 'superseded', unmailed: true } });
      });

      it("changes nothing for another owner's reset, one with an outcome, or one the store does not know", async () => {
        await subject.port.issue(anIssue());
        await subject.port.abandon({ resetId: 'r-1', owner: 'owner-b' });
        expect(await at(1_000, (store) => store.issue(anIssue({ owner: 'owner-b' })))).toMatchObject({ kind: 'busy' });
        await finish('r-1', 'owner-a', 'sent', sent());
        await subject.port.abandon({ resetId: 'r-1', owner: 'owner-a' });
        expect(await subject.port.find('r-1')).not.toHaveProperty('unmailed');
        await subject.port.abandon({ resetId: 'r-unknown', owner: 'owner-a' });
        expect(await subject.port.find('r-unknown')).toBeUndefined();
      });
    });

    describe('attempt', () => {
      it('answers missing for an unknown reset', async () => {
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toEqual({ kind: 'missing' });
      });

      it('completes the reset on a match, once (single use); later submissions answer unknown_reset', async () => {
        await subject.port.issue(anIssue());
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toEqual({ kind: 'completed', sequence: '1', userId: 'u-1', completedAt: START });
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toEqual({
          kind: 'refused',
          reason: 'unknown_reset',
          sequence: 'unknown_reset@1',
          userId: 'u-1',
          triesLeft: 0,
        });
        const record = await subject.port.find('r-1');
        expect(record?.state).toBe('completed');
        expect(record).not.toHaveProperty('digest');
      });

      it('spends a try per wrong code; the fifth answers wrong with 0 tries and locks', async () => {
        await subject.port.issue(anIssue());
        const answers = [];
        for (let i = 0; i < 6; i += 1) answers.push(await subject.port.attempt(anAttempt()));
        expect(answers).toEqual([
          { kind: 'wrong', sequence: '1', userId: 'u-1', triesLeft: 4 },
          { kind: 'wrong', sequence: '2', userId: 'u-1', triesLeft: 3 },
          { kind: 'wrong', sequence: '3', userId: 'u-1', triesLeft: 2 },
          { kind: 'wrong', sequence: '4', userId: 'u-1', triesLeft: 1 },
          { kind: 'wrong', sequence: '5', userId: 'u-1', triesLeft: 0 },
          { kind: 'refused', reason: 'locked', sequence: 'locked@5', userId: 'u-1', triesLeft: 0 },
        ]);
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'locked' });
        expect(await subject.port.find('r-1')).not.toHaveProperty('digest');
      });

      it('no longer matches the code that a new code replaced', async () => {
        await subject.port.issue(anIssue());
        await subject.port.issue(anIssue({ digest: digestOf('r-1', '771204') }));
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toEqual({ kind: 'wrong', sequence: '1', userId: 'u-1', triesLeft: 4 });
      });

      it('accepts the right code until the last millisecond before its expiry', async () => {
        await subject.port.issue(anIssue());
        expect(await at(10 * MINUTE - 1, (store) => store.attempt(anAttempt({ code: CODE })))).toMatchObject({
          kind: 'completed',
          completedAt: START + 10 * MINUTE - 1,
        });
      });

      it('spends no try on a code at or past its expiry, right or wrong', async () => {
        await subject.port.issue(anIssue());
        const expired = { kind: 'refused', reason: 'expired', userId: 'u-1', triesLeft: 5 };
        // Neither counted nor remembered: every such answer is the same, and is one event.
        expect(await at(10 * MINUTE, (store) => store.attempt(anAttempt({ code: CODE })))).toEqual({ ...expired, sequence: 'expired@0' });
        expect(await at(11 * MINUTE, (store) => store.attempt(anAttempt({ submissionId: 'e-1' })))).toEqual({ ...expired, sequence: 'expired@0' });
        expect(await subject.port.find('r-1')).toMatchObject({ triesLeft: 5, state: 'issued' });
      });

      it('does not remember a refusal by submission id: the same id counts once a new code is issued', async () => {
        await subject.port.issue(anIssue());
        await at(10 * MINUTE, (store) => store.attempt(anAttempt({ submissionId: 'e-1', code: CODE })));
        await subject.port.issue(anIssue());
        expect(await subject.port.attempt(anAttempt({ submissionId: 'e-1', code: CODE }))).toMatchObject({ kind: 'completed', sequence: '1' });
      });

      it('treats a code whose key is no longer known as expired, spending no try', async () => {
        await subject.port.issue(anIssue());
        expect(await subject.port.attempt(anAttempt({ code: CODE, keyId: 'k-2' }))).toEqual({
          kind: 'refused',
          reason: 'expired',
          sequence: 'expired@0',
          userId: 'u-1',
          triesLeft: 5,
        });
        expect(await subject.port.attempt({ resetId: 'r-1', digests: { 'k-2': 'x', 'k-1': digestOf('r-1', CODE) } })).toMatchObject({
          kind: 'completed',
        });
      });

      it('answers a submission seen before as it did the first time, spending nothing', async () => {
        await subject.port.issue(anIssue());
        const first = await subject.port.attempt(anAttempt({ submissionId: 'e-1' }));
        expect(await subject.port.attempt(anAttempt({ submissionId: 'e-1' }))).toEqual(first);
        expect(first).toEqual({ kind: 'wrong', sequence: '1', userId: 'u-1', triesLeft: 4 });
        const completed = { kind: 'completed', sequence: '2', userId: 'u-1', completedAt: START };
        expect(await subject.port.attempt(anAttempt({ submissionId: 'e-2', code: CODE }))).toEqual(completed);
        expect(await subject.port.attempt(anAttempt({ submissionId: 'e-2', code: CODE }))).toEqual(completed);
      });

      it('remembers the answers of the counted submissions past the lock, and counts none after it', async () => {
        await subject.port.issue(anIssue());
        const answers = [];
        for (let i = 0; i < 5; i += 1) answers.push(await subject.port.attempt(anAttempt({ submissionId: `e-${i}` })));
        expect(await subject.port.attempt(anAttempt({ submissionId: 'e-9' }))).toMatchObject({ kind: 'refused', reason: 'locked', sequence: 'locked@5' });
        for (let i = 0; i < 5; i += 1) expect(await subject.port.attempt(anAttempt({ submissionId: `e-${i}` }))).toEqual(answers[i]);
      });

      it('gives 20 parallel wrong codes on two instances exactly the 5 tries, then locked', async () => {
        await subject.port.issue(anIssue());
        const other = subject.another();
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? subject.port : other).attempt(anAttempt({ submissionId: `e-${i}` }))),
        );
        const wrong = answers.flatMap((answer) => (answer.kind === 'wrong' ? [answer.triesLeft] : []));
        expect(wrong.sort()).toEqual([0, 1, 2, 3, 4]);
        const locked = answers.filter((answer) => answer.kind === 'refused' && answer.reason === 'locked');
        expect(locked).toHaveLength(15);
        // Each try its own event; the refusals after it are one answer, so one event.
        expect(new Set(answers.map((answer) => (answer.kind === 'missing' ? '' : answer.sequence)))).toEqual(new Set(['1', '2', '3', '4', '5', 'locked@5']));
      });

      it('completes the reset once for 10 parallel right codes on two instances', async () => {
        await subject.port.issue(anIssue());
        const other = subject.another();
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? subject.port : other).attempt(anAttempt({ submissionId: `e-${i}`, code: CODE }))),
        );
        expect(answers.filter((answer) => answer.kind === 'completed')).toHaveLength(1);
        expect(answers.filter((answer) => answer.kind === 'refused' && answer.reason === 'unknown_reset')).toHaveLength(9);
      });
    });

    describe('settle: a refusal before any code is the final outcome', () => {
      it('makes the refusal the outcome of a reset not known yet: an issue after it is finished, a code for it unknown', async () => {
        expect(await subject.port.settle({ resetId: 'r-1', outcome: invalid, ttlMs: DAY })).toEqual({ kind: 'settled', outcome: invalid });
        expect(await subject.port.issue(anIssue())).toMatchObject({ kind: 'finished', record: { state: 'rejected', outcome: invalid } });
        expect(await subject.port.attempt(anAttempt({ code: CODE }))).toMatchObject({ kind: 'refused', reason: 'unknown_reset' });
        expect(await subject.port.settle({ resetId: 'r-1', outcome: failed(), ttlMs: DAY })).toEqual({ kind: 'settled', outcome: invalid });
      });

      it('keeps the outcome a reset has, and waits for one whose code is being mailed', async () => {
        await subject.port.issue(anIssue());
        expect(await at(5_000, (store) => store.settle({ resetId: 'r-1', userId: 'u-1', outcome: invalid, ttlMs: DAY }))).toEqual({
          kind: 'busy',
          retryAfterMs: 40_000,
        });
        await finish('r-1', 'owner-a', 'sent', sent());
        expect(await subject.port.settle({ resetId: 'r-1', userId: 'u-1', outcome: invalid, ttlMs: DAY })).toEqual({ kind: 'settled', outcome: sent() });
      });

      it('answers with the record of a reset that has a code but no outcome', async () => {
        await subject.port.issue(anIssue());
        await subject.port.attempt(anAttempt({ code: CODE }));
        expect(await subject.port.settle({ resetId: 'r-1', userId: 'u-1', outcome: invalid, ttlMs: DAY })).toMatchObject({
          kind: 'finished',
          record: { resetId: 'r-1', state: 'completed' },
        });
      });
    });
  });
}
