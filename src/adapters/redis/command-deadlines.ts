import type { Command } from 'ioredis';

/** The commands a connection has written and Redis has not answered yet, oldest first (ioredis's `commandQueue`). */
export interface WrittenCommands {
  readonly length: number;
  peekAt(index: number): { readonly command: unknown } | undefined;
}

/**
 * A command with the sweep it was first sent in, and whether a sweep failed it (ioredis sets
 * `isResolved` only on an answer); the queue holds `Command`s, typed there by what answers them.
 */
type Stamped = Pick<Command, 'isResolved' | 'reject'> & { sentInSweep?: number; timedOut?: boolean };

/** Sweeps a deadline apart: a command fails between the deadline and 1.1 × it (later only while the event loop is busy). */
const SWEEPS_PER_DEADLINE = 10;

/**
 * Fails the commands Redis leaves unanswered for `deadlineMs` with "Command timed out", as ioredis's
 * `commandTimeout` does, but by one sweep a connection instead of a timer set and cleared for every
 * command: seven a reset. Redis answers a connection's commands in the order they were written, so
 * each sweep reads every queue of written commands from the oldest and stops at the first not yet
 * due. A lost connection's unanswered commands make a queue of their own until the next is ready
 * and writes them again, with their first deadline: they are swept there too, for the next may
 * connect and never be ready (a proxy in front of a dead Redis, a Redis loading its data, a refused
 * login), and nothing else would ever fail them.
 */
export class CommandDeadlines {
  private sweep = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deadlineMs: number,
    private readonly written: () => readonly WrittenCommands[],
  ) {}

  /** Notes that `command` is being sent; one sent again after a reconnection keeps its first deadline. */
  stamp(command: Command): void {
    (command as Command & Stamped).sentInSweep ??= this.sweep;
    this.timer ??= setInterval(() => this.failOverdue(), this.deadlineMs / SWEEPS_PER_DEADLINE).unref();
  }

  /** Stops sweeping (the connection has ended); the next command starts again. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private failOverdue(): void {
    this.sweep += 1;
    for (const queue of this.written()) this.failOverdueIn(queue);
  }

  private failOverdueIn(queue: WrittenCommands): void {
    for (let index = 0; index < queue.length; index += 1) {
      const command = queue.peekAt(index)!.command as Stamped;
      if (this.sweep - (command.sentInSweep ?? this.sweep) <= SWEEPS_PER_DEADLINE) return;
      // It stays queued until Redis answers it, if ever: failed once, not at every sweep.
      if (command.isResolved || command.timedOut) continue;
      command.timedOut = true;
      command.reject(new Error('Command timed out'));
    }
  }
}
