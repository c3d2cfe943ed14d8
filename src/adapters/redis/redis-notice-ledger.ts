import type { ResetEvent } from '../../domain/events.js';
import type { NoticeClaim, NoticeClaimResult, NoticeLedger } from '../../domain/ports.js';
import { unreachable } from '../../domain/unreachable.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { clockArgument, redisClock, type ScriptClock } from './script-clock.js';
import { claimNoticeScript } from './scripts/claim-notice-script.js';
import { finishScript } from './scripts/finish-script.js';
import { defineScripts } from './scripts/lua-script.js';

/**
 * One Redis hash per password-changed notice, with a TTL; each step is one Lua script. The finish
 * step is the reset's own: first outcome wins, and an expired record is not made again.
 */
export class RedisNoticeLedger implements NoticeLedger {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly clock: ScriptClock = redisClock,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    defineScripts(redis, [claimNoticeScript, finishScript]);
  }

  async claim(claim: NoticeClaim): Promise<NoticeClaimResult> {
    const reply = await this.redis.resetdClaimNotice(
      this.keys.notice(claim.noticeId),
      claim.noticeId,
      claim.userId,
      claim.owner,
      clockArgument(this.clock),
      claim.leaseMs,
      claim.ttlMs,
    );
    switch (reply[0]) {
      case 'finished':
        return { kind: 'finished', outcome: JSON.parse(reply[1]) as ResetEvent };
      case 'busy':
        return { kind: 'busy', retryAfterMs: reply[1] };
      case 'claimed':
        return { kind: 'claimed', claimedAt: reply[1], sinceFirstClaimMs: reply[2], mailAttempts: reply[3] };
      default:
        return unreachable(reply[0]);
    }
  }

  async finish(noticeId: string, owner: string, state: 'sent' | 'failed', outcome: ResetEvent): Promise<ResetEvent> {
    const held = await this.redis.resetdFinish(this.keys.notice(noticeId), owner, state, JSON.stringify(outcome));
    return JSON.parse(held) as ResetEvent;
  }
}
