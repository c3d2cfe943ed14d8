import type { Clock } from '../../../src/domain/ports.js';

/** 2030-01-07T09:00:00.000Z: a Monday morning, far from any DST or leap-second edge. */
export const START = Date.parse('2030-01-07T09:00:00.000Z');

/** A clock that stands still until a test moves it. */
export class FixedClock implements Clock {
  private current: number;

  constructor(start: number = START) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms` (never backward: the ports assume a monotonic clock). */
  advance(ms: number): this {
    if (ms < 0) throw new RangeError(`a clock does not go back (advance ${ms})`);
    this.current += ms;
    return this;
  }

  /** Puts the clock at an instant, e.g. a code's expiry. */
  set(instant: number): this {
    if (instant < this.current) throw new RangeError('a clock does not go back');
    this.current = instant;
    return this;
  }
}
