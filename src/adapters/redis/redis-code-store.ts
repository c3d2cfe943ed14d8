import type { ResetEvent } from '../../domain/events.js';
import type { AbandonDelivery, Attempt, AttemptResult, CodeStore, FinishDelivery, IssueCode, IssueResult, SettleReset, SettleResult } from '../../domain/ports.js';
import type { ResetRecord } from '../../domain/reset-record.js';
import { activeContext, runInContext } from '../otel/message-context.js';
import { inRedisSpan } from './redis-spans.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { toResetRecord } from './reset-record-hash.js';
import { clockArgument, redisClock, type ScriptClock } from './script-clock.js';
import { runAbandon } from './scripts/abandon-script.js';
import { runAttempt } from './scripts/attempt-script.js';
import { RememberedBudget } from './remembered-budget.js';
import { runFinish } from './scripts/finish-script.js';
import { runIssue } from './scripts/issue-script.js';
import { runSettle } from './scripts/settle-script.js';
import { runSupersede } from './scripts/supersede-script.js';
import { runTakeCurrent } from './scripts/take-current-script.js';

/** The most refusals `settle` remembers an hour: records live a day, so at most ~100,000 at once, 75–150 MB. */
const SETTLED_KEPT_AN_HOUR = 4_000;

/**
 * Keeps each reset in one Redis hash; every change is one Lua script on the keys of one hash slot,
 * so atomic across instances and valid on Redis Cluster. Only `issue` spans slots, in steps.
 */
export interface RedisCodeStoreOptions {
  /** Whose clock the scripts judge time by: Redis's unless a test sets one. */
  readonly clock?: ScriptClock;
  /** The deployment's ceiling on invalid requests remembered an hour. */
  readonly settledKeptAnHour?: number;
  /**
   * Told the key id of a code, still in its lifetime, made with a code key this instance does not
   * hold: it answers `expired`, which a user cannot tell from a slow mail, so the operator is told
   * (instances given different OTP_SECRETS, or a key retired early).
   */
  readonly onKeyNotHeld?: (keyId: string) => void;
}

export class RedisCodeStore implements CodeStore {
  private readonly keys: RedisKeys;
  private readonly clock: ScriptClock;
  private readonly onKeyNotHeld: ((keyId: string) => void) | undefined;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    options: RedisCodeStoreOptions = {},
  ) {
    this.keys = new RedisKeys(keyPrefix);
    this.clock = options.clock ?? redisClock;
    this.onKeyNotHeld = options.onKeyNotHeld;
    this.settledBudget = new RememberedBudget(redis, this.keys.rememberedCount('settled'), options.settledKeptAnHour ?? SETTLED_KEPT_AN_HOUR);
  }

  /** The deployment's ceiling on invalid requests remembered. */
  private readonly settledBudget: RememberedBudget;

  async find(resetId: string): Promise<ResetRecord | undefined> {
    return toResetRecord(await inRedisSpan(this.redis, { command: 'HGETALL' }, () => this.redis.hgetall(this.keys.reset(resetId))));
  }

  /**
   * Three single-slot steps, each idempotent, so a step cut off by a crash or a failover is
   * completed by the redelivery: (1) write the code and take the lease in the reset's hash; (2) in
   * the user's slot, make it the user's pending reset, learning the one it displaces; (3) mark that
   * one superseded in its own hash. Between (1) and (3) the previous code still works for a moment
   * (the new one is not mailed yet), as if the request had come a moment later.
   */
  async issue(code: IssueCode): Promise<IssueResult> {
    // Steps after the first follow an await: each goes back into the message's context, taken
    // now, so its span is the message's.
    const context = activeContext();
    const issued = await runIssue(this.redis, this.keys.reset(code.resetId), code, clockArgument(this.clock));
    if (issued.kind !== 'issued') return issued;
    const taken = await runInContext(context, runTakeCurrent, this.redis, {
      current: this.keys.current(code.userId),
      superseded: this.keys.superseded(code.userId),
      resetId: code.resetId,
      ttlMs: code.ttlMs,
      clock: clockArgument(this.clock),
    });
    if (taken.kind === 'superseded') {
      // A newer reset of the user displaced this one while it was issued again: it is over.
      return { kind: 'finished', record: await runInContext(context, runSupersede, this.redis, this.keys.reset(code.resetId)) };
    }
    // Usually none: the user had no reset pending.
    if (taken.displaced.length > 0) {
      await runInContext(context, () => Promise.all(taken.displaced.map((previous) => runSupersede(this.redis, this.keys.reset(previous)))));
    }
    return issued;
  }

  finish(finish: FinishDelivery): Promise<ResetEvent> {
    return runFinish(this.redis, this.keys.reset(finish.id), finish);
  }

  abandon(abandon: AbandonDelivery): Promise<void> {
    return runAbandon(this.redis, this.keys.reset(abandon.resetId), abandon);
  }

  /**
   * Past the store's ceiling (`settledKeptAnHour` records made, counted in a key of its own slot), a
   * reset not known yet is answered its refusal but not remembered: each remembered refusal is a
   * record of ~0.7–1.5 KB for a day, and a publisher of invalid requests with new ids would
   * otherwise grow Redis by the rate the service can refuse at. A re-published request is still
   * answered the same within the streams' duplicate windows.
   */
  async settle(settle: SettleReset): Promise<SettleResult> {
    const context = activeContext();
    const { result, created } = await runSettle(this.redis, this.keys.reset(settle.resetId), settle, clockArgument(this.clock), this.settledBudget.open);
    await runInContext(context, () => this.settledBudget.spend(created ? 1 : 0));
    return result;
  }

  async attempt(attempt: Attempt): Promise<AttemptResult> {
    const reply = await runAttempt(this.redis, this.keys.reset(attempt.resetId), attempt, clockArgument(this.clock));
    if (reply.kind !== 'refused' || reply.keyNotHeld === undefined) return reply;
    const { keyNotHeld, ...refused } = reply;
    this.onKeyNotHeld?.(keyNotHeld);
    return refused;
  }
}
