/** What a key is scoped to: one reset, one user, one client IP, or everyone. */
export type RateScope = 'user' | 'ip' | 'global';

/**
 * Percent-encodes `%`, `{` and `}` so that an id can neither open nor close a Redis Cluster hash
 * tag, and two different ids never encode to the same text.
 */
const escape = (text: string): string =>
  SPECIAL.test(text) ? text.replace(/[%{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`) : text;
const SPECIAL = /[%{}]/;

/**
 * Builds every key resetd keeps in Redis, all under one prefix. The part in braces is the Redis
 * Cluster hash tag: every key of one reset, of one user, of one client IP, and the global windows
 * each share one slot, and every Lua script touches the keys of one of these only.
 */
export class RedisKeys {
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = escape(prefix);
  }

  /** The hash holding one reset's record. */
  reset(resetId: string): string {
    return `${this.prefix}:reset:{${escape(resetId)}}`;
  }

  /** Counts what one kind of remembered refusal (`settled` by the store, `refusals` of the limits) holds in one window, in a slot of its own. */
  rememberedCount(kind: 'settled' | 'refusals'): string {
    return `${this.prefix}:remembered:{count}:${kind}`;
  }

  /** The deployment's key for outbound event ids (`deploymentEventIdKey`), in a slot of its own. */
  eventIdKey(): string {
    return `${this.prefix}:{event-id}:key`;
  }

  /** The list of events owed to the broker (`OwedEvents`), newest first, in a slot of its own. */
  owedEvents(): string {
    return `${this.prefix}:{owed}:events`;
  }

  /** The hash remembering one password-changed notice, by the change event's id. */
  notice(noticeId: string): string {
    return `${this.prefix}:notice:{${escape(noticeId)}}`;
  }

  /** The resetId of the user's pending reset. */
  current(userId: string): string {
    return `${this.prefix}:user:{${escape(userId)}}:current`;
  }

  /** The user's resets displaced by a newer one: displaced resetId → the resetId that displaced it. */
  superseded(userId: string): string {
    return `${this.prefix}:user:{${escape(userId)}}:superseded`;
  }

  /** Holds the resetId of the user's last admitted request while the cooldown runs. */
  cooldown(userId: string): string {
    return `${this.prefix}:user:{${escape(userId)}}:cooldown`;
  }

  /** The sorted set of admitted resetIds (scored by admission time) of one sliding-window rule. */
  rate(scope: RateScope, subject: string, ruleName: string): string {
    const tag = scope === 'global' ? 'global' : escape(subject);
    return `${this.prefix}:${scope}:{${tag}}:rl:${escape(ruleName)}`;
  }

  /**
   * The hash of the refusals one subject's limits gave in one period (`bucket`): refused resetId →
   * the refusal, so a repeat is refused the same way. One field per refusal, in the slot of the
   * subject's other keys: a flood from one IP or against one user fills one hash, not a key each.
   */
  refusals(scope: RateScope, subject: string, bucket: number): string {
    const tag = scope === 'global' ? 'global' : escape(subject);
    return `${this.prefix}:${scope}:{${tag}}:refused:${bucket}`;
  }
}
