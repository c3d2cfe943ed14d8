import { AckPolicy, DeliverPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { outboundData } from '../../contract/schemas.js';
import { retryingLeaderChanges, type LeaderChangeRetry } from './jetstream-retry.js';
import type { Subjects } from '../../contract/subjects.js';

export interface StreamOptions {
  readonly replicas: number;
  readonly consumer: string;
  readonly ackWaitMs: number;
  /** -1: redeliver until an outcome is recorded. */
  readonly maxDeliver: number;
  readonly maxAckPending: number;
}

const DAY = 24 * 60 * 60 * 1000;

const OUTBOUND_TYPES = Object.keys(outboundData);

/**
 * On a NATS cluster, a stream another instance is creating right now has no leader for a moment,
 * and requests about it go unanswered: each step is tried again for up to 30 s.
 */
const SETUP_RETRY: LeaderChangeRetry = { tries: 12, deadlineMs: 30_000 };

/**
 * Creates or updates both streams and the durable inbox consumer; safe to run at every start, and
 * on several instances starting at once.
 */
export async function ensureStreams(jsm: JetStreamManager, subjects: Subjects, options: StreamOptions): Promise<void> {
  await upsertStream(jsm, {
    name: subjects.inboxStream,
    subjects: [subjects.requested, subjects.codeSubmitted, subjects.passwordChanged],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: options.replicas,
    duplicate_window: nanos(2 * 60_000),
  });
  await upsertStream(jsm, {
    name: subjects.eventsStream,
    subjects: OUTBOUND_TYPES.map((type) => subjects.event(type)),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: options.replicas,
    max_age: nanos(7 * DAY),
    // Long enough to cover a redelivery after a crash, so a re-published outcome is dropped.
    duplicate_window: nanos(10 * 60_000),
  });
  const consumer = {
    durable_name: options.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: options.maxDeliver,
    max_ack_pending: options.maxAckPending,
  };
  await retryingLeaderChanges(async () => {
    try {
      await jsm.consumers.update(subjects.inboxStream, options.consumer, consumer);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.consumers.add(subjects.inboxStream, consumer);
    }
  }, SETUP_RETRY);
}

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  await retryingLeaderChanges(async () => {
    try {
      await jsm.streams.update(config.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.streams.add(config);
    }
  }, SETUP_RETRY);
}

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}
