import type { Command } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommandDeadlines, type WrittenCommands } from '../../../src/adapters/redis/command-deadlines.js';

/** A written command as the sweep sees it: answered or not, and every rejection it was given. */
interface Written {
  readonly command: { isResolved: boolean; reject(error: Error): void };
  readonly rejections: string[];
}

/** ioredis's view of a queue of written commands, oldest first. */
const writtenIn = (queue: Written[]): WrittenCommands => ({ get length() { return queue.length; }, peekAt: (index) => queue[index] });

/**
 * A connection's queue of written commands under a sweep with a 1 s deadline; `send` writes a
 * command and notes it, `resend` notes it again as a ready reconnection does, and `reconnect` sets
 * the unanswered ones apart as ioredis does when a lost connection's successor connects.
 */
function connection() {
  let queue: Written[] = [];
  let cutOff: Written[] = [];
  const deadlines = new CommandDeadlines(1_000, () => [writtenIn(queue), writtenIn(cutOff)]);
  const resend = (item: Written) => deadlines.stamp(item.command as unknown as Command);
  const send = (): Written => {
    const rejections: string[] = [];
    const item: Written = { command: { isResolved: false, reject: (error) => rejections.push(error.message) }, rejections };
    queue.push(item);
    resend(item);
    return item;
  };
  const reconnect = () => {
    cutOff = queue;
    queue = [];
  };
  return { send, resend, reconnect, stop: () => deadlines.stop() };
}

describe('CommandDeadlines', () => {
  let redis: ReturnType<typeof connection>;

  beforeEach(() => {
    vi.useFakeTimers();
    redis = connection();
  });
  afterEach(() => {
    redis.stop();
    vi.useRealTimers();
  });

  it('fails an unanswered command once its deadline has passed, within a tenth more, and only once', () => {
    const late = redis.send();
    vi.advanceTimersByTime(999);
    expect(late.rejections).toEqual([]);
    vi.advanceTimersByTime(101);
    expect(late.rejections).toEqual(['Command timed out']);
    // Redis never answers it, so it stays queued: later sweeps leave it be.
    vi.advanceTimersByTime(5_000);
    expect(late.rejections).toEqual(['Command timed out']);
  });

  it('stops at the first command not yet due, and passes over those already answered', () => {
    const answered = redis.send();
    const overdue = redis.send();
    answered.command.isResolved = true;
    vi.advanceTimersByTime(600);
    const young = redis.send();
    vi.advanceTimersByTime(600);
    expect([answered.rejections, overdue.rejections, young.rejections]).toEqual([[], ['Command timed out'], []]);
    vi.advanceTimersByTime(600);
    expect(young.rejections).toEqual(['Command timed out']);
  });

  it('keeps the first deadline of a command written again after a reconnection', () => {
    const resent = redis.send();
    vi.advanceTimersByTime(800);
    redis.resend(resent);
    vi.advanceTimersByTime(300);
    expect(resent.rejections).toEqual(['Command timed out']);
  });

  it('fails the commands a lost connection left unanswered, while its successor connects and is never ready', () => {
    const cutOff = redis.send();
    vi.advanceTimersByTime(500);
    redis.reconnect();
    const young = redis.send();
    vi.advanceTimersByTime(600);
    expect([cutOff.rejections, young.rejections]).toEqual([['Command timed out'], []]);
  });
});
