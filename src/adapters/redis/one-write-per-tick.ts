import { Redis, type Command } from 'ioredis';
import { CommandDeadlines, type WrittenCommands } from './command-deadlines.js';

type WriteableStream = Parameters<Redis['sendCommand']>[1];

/**
 * A Redis client whose commands issued in one turn of the event loop (a reset's lookup and its
 * layers of limits; the commands of every message read from one NATS packet) leave in one socket
 * write: one round trip, one read on the server. The socket is corked at the first command and
 * uncorked once the turn's synchronous work is done.
 *
 * This replaces ioredis's auto-pipelining, which does the same with a `Pipeline` per turn. Its
 * constructor defines an accessor on each instance, which V8 records in an old-space map that
 * keeps the pipeline, its commands and every caller awaiting them reachable for young-generation
 * collections until the next full one: under load most of each request's objects were promoted,
 * and full collections, each stalling the loop for up to 20 ms, came every half second.
 *
 * Being where every command passes, it is also where their deadlines are noted (`failUnansweredAfter`).
 */
export class OneWritePerTickRedis extends Redis {
  private corked = false;
  private deadlines: CommandDeadlines | undefined;

  override sendCommand(command: Command, stream?: WriteableStream): unknown {
    // A command of a pipeline or a transaction is written by it, once it has them all.
    if (stream === undefined) this.corkForThisTurn();
    this.deadlines?.stamp(command);
    return super.sendCommand(command, stream);
  }

  /**
   * Fails the written commands Redis leaves unanswered for `deadlineMs` (`CommandDeadlines`), in
   * place of ioredis's `commandTimeout`. Only for a client without an offline queue: ioredis's
   * timers also cover the commands waiting in one, the sweep does not.
   */
  failUnansweredAfter(deadlineMs: number): this {
    const deadlines = new CommandDeadlines(deadlineMs, () => this.unanswered());
    this.deadlines = deadlines;
    this.on('end', () => deadlines.stop());
    return this;
  }

  /**
   * The written commands awaiting an answer: this connection's, and those a lost one left
   * unanswered, which ioredis keeps apart (`prevCommandQueue`, not in its types) to write again once
   * a connection is ready; until the next connects, both are one queue.
   */
  private unanswered(): WrittenCommands[] {
    const cutOff = (this as unknown as { prevCommandQueue?: WrittenCommands | null }).prevCommandQueue;
    return cutOff && cutOff !== this.commandQueue ? [this.commandQueue, cutOff] : [this.commandQueue];
  }

  private corkForThisTurn(): void {
    // Before `ready`, commands wait in the offline queue and nothing is written.
    if (this.corked || this.status !== 'ready') return;
    const socket = this.stream;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }
}
