/**
 * The instant the Redis scripts judge by. The service reads Redis's own clock inside each script
 * (TIME; Redis 7 replicates a script by its effects, so a script that reads it may write): one
 * clock for every instance, so instances whose clocks disagree still agree on every expiry,
 * window, cooldown and lease. A test pins it to an instant it moves by hand.
 */
export interface ScriptClock {
  /** The instant to judge by, or undefined for Redis's own clock. */
  pinned(): number | undefined;
}

export const redisClock: ScriptClock = { pinned: () => undefined };

/** The script argument that carries the clock: an instant, or '' for Redis's. */
export const clockArgument = (clock: ScriptClock): string => String(clock.pinned() ?? '');
