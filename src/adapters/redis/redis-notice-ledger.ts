import type { ResetEvent } from '../../domain/events.js';
import type { FinishDelivery, NoticeClaim, NoticeClaimResult, NoticeLedger } from '../../domain/ports.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { clockArgument, redisClock, type ScriptClock } from './script-clock.js';
import { runClaimNotice } from './scripts/claim-notice-script.js';
import { runFinish } from './scripts/finish-script.js';

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
  }

  claim(claim: NoticeClaim): Promise<NoticeClaimResult> {
    return runClaimNotice(this.redis, this.keys.notice(claim.noticeId), claim, clockArgument(this.clock));
  }

  finish(finish: FinishDelivery): Promise<ResetEvent> {
    return runFinish(this.redis, this.keys.notice(finish.id), finish);
  }
}
