/** What a key is scoped to: one reset, one user, one client IP, or everyone. */
export type RateScope = 'user' | 'ip' | 'global';

/**
 * Percent-encodes `%`, `{` and `}` so that an id can neither open nor close a Redis Cluster hash
 * tag, and two different ids never encode to the same text.
 */
const escape = (text: string): string =>
  text.replace(/[%{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/** Builds every key resetd keeps in Redis, all under one prefix. */
export class RedisKeys {
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = escape(prefix);
  }

  /** The hash holding one reset's record. */
  reset(resetId: string): string {
    return `${this.prefix}:reset:{${escape(resetId)}}`;
  }

  /** The hash remembering one password-changed notice, by the change event's id. */
  notice(noticeId: string): string {
    return `${this.prefix}:notice:{${escape(noticeId)}}`;
  }

  /** The resetId of the user's pending reset. */
  current(userId: string): string {
    return `${this.prefix}:user:{${escape(userId)}}:current`;
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
}
