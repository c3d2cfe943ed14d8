import type { ResetEvent } from '../../domain/events.js';
import type { Attempt, AttemptResult, CodeStore, IssueCode, IssueResult, SettleResult } from '../../domain/ports.js';
import type { ResetRecord } from '../../domain/reset-record.js';
import { unreachable } from '../../domain/unreachable.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { pairsToFields, toResetRecord } from './reset-record-hash.js';
import { clockArgument, redisClock, type ScriptClock } from './script-clock.js';
import { attemptScript } from './scripts/attempt-script.js';
import { finishScript } from './scripts/finish-script.js';
import { issueScript } from './scripts/issue-script.js';
import { defineScripts } from './scripts/lua-script.js';
import { settleScript } from './scripts/settle-script.js';
import { supersedeScript } from './scripts/supersede-script.js';
import { takeCurrentScript } from './scripts/take-current-script.js';

/**
 * Keeps each reset in one Redis hash; every change is one Lua script on the keys of one hash slot,
 * so atomic across instances and valid on Redis Cluster. Only `issue` spans slots, in steps.
 */
export class RedisCodeStore implements CodeStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly clock: ScriptClock = redisClock,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    defineScripts(redis, [issueScript, takeCurrentScript, supersedeScript, finishScript, settleScript, attemptScript]);
  }

  async find(resetId: string): Promise<ResetRecord | undefined> {
    return toResetRecord(await this.redis.hgetall(this.keys.reset(resetId)));
  }

  /**
   * Three single-slot steps, each idempotent, so a step cut off by a crash or a failover is
   * completed by the redelivery: (1) write the code and take the lease in the reset's hash; (2) in
   * the user's slot, make it the user's pending reset, learning the one it displaces; (3) mark that
   * one superseded in its own hash. Between (1) and (3) the previous code still works for a moment
   * (the new one is not mailed yet), as if the request had come a moment later.
   */
  async issue(code: IssueCode): Promise<IssueResult> {
    const reply = await this.redis.resetdIssue(
      this.keys.reset(code.resetId),
      code.resetId,
      code.userId,
      code.digest,
      code.keyId,
      code.lifetimeMs,
      code.maxTries,
      clockArgument(this.clock),
      code.owner,
      code.leaseMs,
      code.ttlMs,
    );
    switch (reply[0]) {
      case 'finished':
        return { kind: 'finished', record: toResetRecord(pairsToFields(reply[1])) as ResetRecord };
      case 'busy':
        return { kind: 'busy', retryAfterMs: reply[1] };
      case 'issued':
        break;
      default:
        return unreachable(reply[0]);
    }
    const issued: IssueResult = { kind: 'issued', expiresAt: reply[1], sinceFirstIssueMs: reply[2], mailAttempts: reply[3] };
    const taken = await this.redis.resetdTakeCurrent(this.keys.current(code.userId), this.keys.superseded(code.userId), code.resetId, code.ttlMs);
    if (taken[0] === 'superseded') {
      // A newer reset of the user displaced this one while it was issued again: it is over.
      const fields = await this.redis.resetdSupersede(this.keys.reset(code.resetId));
      return { kind: 'finished', record: toResetRecord(pairsToFields(fields)) as ResetRecord };
    }
    await Promise.all(taken[1].map((previous) => this.redis.resetdSupersede(this.keys.reset(previous))));
    return issued;
  }

  async finish(resetId: string, owner: string, state: 'sent' | 'failed', outcome: ResetEvent): Promise<ResetEvent> {
    const held = await this.redis.resetdFinish(this.keys.reset(resetId), owner, state, JSON.stringify(outcome));
    return JSON.parse(held) as ResetEvent;
  }

  async settle(resetId: string, userId: string | undefined, outcome: ResetEvent, ttlMs: number): Promise<SettleResult> {
    const reply = await this.redis.resetdSettle(this.keys.reset(resetId), resetId, userId ?? '', JSON.stringify(outcome), ttlMs, clockArgument(this.clock));
    switch (reply[0]) {
      case 'settled':
        return { kind: 'settled', outcome: JSON.parse(reply[1]) as ResetEvent };
      case 'busy':
        return { kind: 'busy', retryAfterMs: reply[1] };
      case 'finished':
        return { kind: 'finished', record: toResetRecord(pairsToFields(reply[1])) as ResetRecord };
      default:
        return unreachable(reply[0]);
    }
  }

  async attempt(attempt: Attempt): Promise<AttemptResult> {
    const answer = await this.redis.resetdAttempt(
      this.keys.reset(attempt.resetId),
      attempt.submissionId ?? '',
      clockArgument(this.clock),
      ...Object.entries(attempt.digests).flat(),
    );
    return JSON.parse(answer) as AttemptResult;
  }
}
