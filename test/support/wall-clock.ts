import { vi } from 'vitest';

/**
 * Steps the wall clock (`Date.now()`) by `byMs`, as NTP may, until `restore()`; timers and the
 * monotonic clock run on unchanged.
 */
export function stepWallClock(byMs: number): { restore(): void } {
  const wallClock = Date.now.bind(Date);
  const stepped = vi.spyOn(Date, 'now').mockImplementation(() => wallClock() + byMs);
  return { restore: () => stepped.mockRestore() };
}
