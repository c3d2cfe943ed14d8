import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../../../src/adapters/system/log-throttle.js';

describe('LogThrottle', () => {
  it('lets each kind of line through once an interval, and the next that passes says how many were held back', () => {
    let now = 0;
    const throttle = new LogThrottle(60_000, () => now);
    expect(throttle.pass('unavailable')).toBe(0);
    expect(throttle.pass('other')).toBe(0);
    now = 59_999;
    expect([throttle.pass('unavailable'), throttle.pass('unavailable'), throttle.pass('other')]).toEqual([undefined, undefined, undefined]);
    now = 60_000;
    expect(throttle.pass('unavailable')).toBe(2);
    expect(throttle.pass('unavailable')).toBeUndefined();
    now = 200_000;
    expect(throttle.pass('unavailable')).toBe(1);
    expect(throttle.pass('other')).toBe(1);
  });
});
