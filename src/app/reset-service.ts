import type { JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { JetStreamConsumeLoop } from '../adapters/nats/jetstream-consume-loop.js';
import { sweepAcknowledged } from '../adapters/nats/jetstream-inbox-sweep.js';
import { ensureStreams, type StreamOptions } from '../adapters/nats/jetstream-streams.js';
import type { NatsVerifyResponder } from '../adapters/nats/nats-verify-responder.js';
import type { OwedEventsLoop } from '../adapters/system/owed-events-loop.js';
import type { Subjects } from '../contract/subjects.js';
import type { Connections } from './connections.js';

export interface ResetServiceParts {
  readonly log: Logger;
  readonly connections: Connections;
  readonly subjects: Subjects;
  readonly streams: StreamOptions;
  readonly inbox: JetStreamConsumeLoop;
  readonly verifyResponder: NatsVerifyResponder;
  /** Publishes the events JetStream refused after their verdict was applied, once it takes them. */
  readonly owedEvents: OwedEventsLoop;
  /** Closes the mail transport; a send after it fails as unavailable rather than hanging. */
  readonly closeMailer: () => void;
  readonly jetstreamManager: () => Promise<JetStreamManager>;
}

/** The running service: starts its parts in order and stops them in the reverse, losing nothing. */
export class ResetService {
  private draining = false;
  private started = false;
  /** The sweeps after each reconnect, one series after another. */
  private resweeps: Promise<void> = Promise.resolve();

  constructor(private readonly parts: ResetServiceParts) {}

  /** Started and not draining: what readiness asks of the service itself. */
  get isServing(): boolean {
    return this.started && !this.draining;
  }

  async start(): Promise<void> {
    const { subjects, streams, inbox, verifyResponder, log } = this.parts;
    await ensureStreams(await this.parts.jetstreamManager(), subjects, streams);
    await this.sweepInbox();
    this.sweepAfterReconnects();
    inbox.start();
    verifyResponder.start();
    this.parts.owedEvents.start();
    this.started = true;
    log.info({ inbox: subjects.inboxStream, events: subjects.eventsStream, consumer: streams.consumer }, 'resetd started');
  }

  /** A NATS server killed since may have kept acknowledged messages in the inbox; delete them. */
  private async sweepInbox(): Promise<void> {
    const { subjects, streams, log } = this.parts;
    try {
      const deleted = await sweepAcknowledged(await this.parts.jetstreamManager(), subjects.inboxStream, streams.consumer);
      if (deleted > 0) log.warn({ deleted, inbox: subjects.inboxStream }, 'deleted acknowledged messages a NATS server restart had left in the inbox');
    } catch (error) {
      // They wait for the next start or reconnect; nothing is served late because of them.
      log.warn({ err: error }, 'could not sweep acknowledged messages from the inbox');
    }
  }

  /**
   * Sweeps at each reconnect, and again every few seconds for a minute after it: a message still
   * in flight when the server died holds the consumer's ack floor below the acknowledged ones
   * after it, and only once its redelivery is acknowledged may those be swept.
   */
  private sweepAfterReconnects(): void {
    this.parts.connections.natsLink.onChange((connected) => {
      if (connected) this.resweeps = this.resweeps.then(() => this.sweepSeries());
    });
  }

  private async sweepSeries(): Promise<void> {
    for (let sweep = 0; sweep <= RESWEEPS && !this.draining; sweep += 1) {
      if (sweep > 0) await new Promise((resolve) => setTimeout(resolve, RESWEEP_MS).unref());
      if (!this.draining) await this.sweepInbox();
    }
  }

  /** Stops fetching, finishes what is in flight, drains NATS (closes it during an outage), closes the SMTP pool and Redis. */
  async stop(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const { inbox, verifyResponder, connections, closeMailer, log } = this.parts;
    log.info({ inFlight: inbox.messagesInFlight }, 'draining');
    await Promise.all([inbox.stop(), verifyResponder.stop(), this.parts.owedEvents.stop()]);
    // A stale connection counts as lost: the server no longer answers, so a drain would fail too.
    if (connections.natsLink.connected) {
      await connections.nc.drain();
    } else {
      // A drain needs the server ("connection disconnected"); nothing is owed to it: what this
      // instance held unacknowledged is redelivered after the ack wait.
      log.info('NATS is not connected: closing the connection instead of draining it');
      await connections.nc.close();
    }
    closeMailer();
    // QUIT needs a connection: one lost to an outage (still reconnecting) is simply dropped, and
    // the stop is as clean as any, since nothing in flight waits on Redis any more.
    await connections.redis.quit().catch(() => connections.redis.disconnect());
    log.info('stopped');
  }
}

/** Sweeps after the one at a reconnect, RESWEEP_MS apart: a minute in all. */
const RESWEEPS = 6;
const RESWEEP_MS = 10_000;
