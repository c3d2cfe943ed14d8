import { inject, injectable } from 'inversify';
import type { Redis } from 'ioredis';
import type { ResetEvent } from '../../domain/events.js';
import type { Attempt, AttemptResult, CodeStore, IssueCode, IssueResult } from '../../domain/ports.js';
import type { ResetRecord } from '../../domain/reset-record.js';
import { unreachable } from '../../domain/unreachable.js';
import { TOKENS } from '../../app/tokens.js';
import { RedisKeys } from './redis-keys.js';
import { pairsToFields, toResetRecord } from './reset-record-hash.js';
import { attemptScript } from './scripts/attempt-script.js';
import { finishScript } from './scripts/finish-script.js';
import { issueScript } from './scripts/issue-script.js';
import { defineScripts } from './scripts/lua-script.js';
import { rejectScript } from './scripts/reject-script.js';

/** `current` changes only when one of the user's resets is issued: each round at least one issue lands. */
const MAX_ISSUE_ROUNDS = 25;

class IssueContentionError extends Error {
  override readonly name = 'IssueContentionError';
}

/** Keeps each reset in one Redis hash; every change is one Lua script, so atomic across instances. */
@injectable()
export class RedisCodeStore implements CodeStore {
  private readonly keys: RedisKeys;

  constructor(
    @inject(TOKENS.Redis) private readonly redis: Redis,
    @inject(TOKENS.RedisKeyPrefix) keyPrefix: string,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    defineScripts(redis, [issueScript, finishScript, rejectScript, attemptScript]);
  }

  async find(resetId: string): Promise<ResetRecord | undefined> {
    return toResetRecord(await this.redis.hgetall(this.keys.reset(resetId)));
  }

  async issue(code: IssueCode): Promise<IssueResult> {
    const record = this.keys.reset(code.resetId);
    const current = this.keys.current(code.userId);
    for (let round = 0; round < MAX_ISSUE_ROUNDS; round += 1) {
      const pending = (await this.redis.get(current)) ?? '';
      const reply = await this.redis.resetdIssue(
        record,
        current,
        this.keys.reset(pending || code.resetId),
        code.resetId,
        code.userId,
        code.digest,
        code.keyId,
        code.expiresAt,
        code.maxTries,
        code.now,
        code.owner,
        code.now + code.leaseMs,
        code.ttlMs,
        pending,
      );
      switch (reply[0]) {
        case 'retry':
          continue;
        case 'finished':
          return { kind: 'finished', record: toResetRecord(pairsToFields(reply[1])) as ResetRecord };
        case 'busy':
          return { kind: 'busy', retryAfterMs: reply[1] };
        case 'issued':
          return { kind: 'issued', issuedAt: Number(reply[1]), mailAttempts: reply[2] };
        default:
          return unreachable(reply[0]);
      }
    }
    throw new IssueContentionError(`the pending reset of user ${code.userId} kept changing while ${code.resetId} was issued`);
  }

  async finish(resetId: string, owner: string, state: 'sent' | 'failed', outcome: ResetEvent): Promise<ResetEvent> {
    const held = await this.redis.resetdFinish(this.keys.reset(resetId), owner, state, JSON.stringify(outcome));
    return JSON.parse(held) as ResetEvent;
  }

  async reject(resetId: string, userId: string, outcome: ResetEvent, ttlMs: number): Promise<ResetEvent> {
    const held = await this.redis.resetdReject(this.keys.reset(resetId), resetId, userId, JSON.stringify(outcome), ttlMs);
    return JSON.parse(held) as ResetEvent;
  }

  async attempt(attempt: Attempt): Promise<AttemptResult> {
    const answer = await this.redis.resetdAttempt(
      this.keys.reset(attempt.resetId),
      attempt.submissionId ?? '',
      attempt.verdict,
      attempt.digest,
      attempt.now,
    );
    return JSON.parse(answer) as AttemptResult;
  }
}
