import type { Command } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommandDeadlines, type WrittenCommands } from '../../../src/adapters/redis/command-deadlines.js';

/** A written command as the sweep sees it: answered or not, and every rejection it was given. */
function command() {
  const rejections: string[] = [];
  const written = { isResolved: false, reject: (error: Error) => rejections.push(error.message) };
  return { written, rejections, asCommand: written as unknown as Command };
}

/** ioredis's queue of written commands, oldest first; an answer takes the oldest off. */
function queueOf(items: ReturnType<typeof command>[]): WrittenCommands {
  return { get length() { return items.length; }, peekAt: (index) => (items[index] ? { command: items[index]!.written } : undefined) };
}

describe('CommandDeadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fails an unanswered command once its deadline has passed, within a tenth more, and only once', () => {
    const queue: ReturnType<typeof command>[] = [];
    const deadlines = new CommandDeadlines(1_000, () => queueOf(queue));
    const late = command();
    queue.push(late);
    deadlines.stamp(late.asCommand);
    vi.advanceTimersByTime(999);
    expect(late.rejections).toEqual([]);
    vi.advanceTimersByTime(101);
    expect(late.rejections).toEqual(['Command timed out']);
    // Redis never answers it, so it stays queued: later sweeps leave it be.
    vi.advanceTimersByTime(5_000);
    expect(late.rejections).toEqual(['Command timed out']);
    deadlines.stop();
  });

  it('stops at the first command not yet due, and passes over those already answered', () => {
    const queue: ReturnType<typeof command>[] = [];
    const deadlines = new CommandDeadlines(1_000, () => queueOf(queue));
    const answered = command();
    const overdue = command();
    queue.push(answered, overdue);
    deadlines.stamp(answered.asCommand);
    deadlines.stamp(overdue.asCommand);
    answered.written.isResolved = true;
    vi.advanceTimersByTime(600);
    const young = command();
    queue.push(young);
    deadlines.stamp(young.asCommand);
    vi.advanceTimersByTime(600);
    expect([answered.rejections, overdue.rejections, young.rejections]).toEqual([[], ['Command timed out'], []]);
    vi.advanceTimersByTime(600);
    expect(young.rejections).toEqual(['Command timed out']);
    deadlines.stop();
  });

  it('keeps the first deadline of a command written again after a reconnection', () => {
    const queue: ReturnType<typeof command>[] = [];
    const deadlines = new CommandDeadlines(1_000, () => queueOf(queue));
    const resent = command();
    queue.push(resent);
    deadlines.stamp(resent.asCommand);
    vi.advanceTimersByTime(800);
    deadlines.stamp(resent.asCommand);
    vi.advanceTimersByTime(300);
    expect(resent.rejections).toEqual(['Command timed out']);
    deadlines.stop();
  });
});
