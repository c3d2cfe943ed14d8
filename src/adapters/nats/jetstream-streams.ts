import { AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos, PermissionViolationError } from '@nats-io/transport-node';
import { outboundData } from '../../contract/schemas.js';
import { MAX_BODY_BYTES } from './decode-inbound.js';
import { retryingLeaderChanges, type LeaderChangeRetry } from './jetstream-retry.js';
import type { Subjects } from '../../contract/subjects.js';

export interface StreamOptions {
  readonly replicas: number;
  readonly consumer: string;
  readonly ackWaitMs: number;
  /** -1: redeliver until an outcome is recorded. */
  readonly maxDeliver: number;
  readonly maxAckPending: number;
  readonly limits: StreamLimits;
}

/** The streams' ceilings besides the inbox's message size, which the contract fixes. */
export interface StreamLimits {
  readonly inboxMaxAgeMs: number;
  /** Past it the inbox refuses new commands (the publisher gets the error) rather than drop queued ones. */
  readonly inboxMaxBytes: number;
  readonly eventsMaxAgeMs: number;
  /** Past it the oldest events are dropped, as they are past their age. */
  readonly eventsMaxBytes: number;
  /**
   * How long the events stream remembers a `Nats-Msg-Id`: an outcome published again within it (a
   * redelivery after an instance died, a request published again) is dropped, not stored twice.
   * Every node holding the stream keeps each id that long (docs/capacity.md).
   */
  readonly eventsDuplicateWindowMs: number;
}

const HOUR = 3_600_000;
const GIB = 1_073_741_824;

/** See docs/security.md, "Storage ceilings", for how these were sized. */
export const defaultStreamLimits: StreamLimits = {
  inboxMaxAgeMs: 7 * 24 * HOUR,
  inboxMaxBytes: GIB,
  eventsMaxAgeMs: 7 * 24 * HOUR,
  eventsMaxBytes: 8 * GIB,
  eventsDuplicateWindowMs: 10 * 60_000,
};

const OUTBOUND_TYPES = Object.keys(outboundData);

/** Why JetStream would not take a stream as configured; the caller names the settings to change. */
export type StreamSetupProblem =
  /** The stream exists with subjects outside this deployment's prefix: another deployment's. */
  | { readonly kind: 'foreign'; readonly stream: string; readonly subjects: readonly string[] }
  /** More replicas than the server can hold (a single server, or a cluster too small). */
  | { readonly kind: 'replicas'; readonly stream: string; readonly detail: string }
  /** JetStream cannot reserve the stream's maximum bytes. */
  | { readonly kind: 'storage'; readonly stream: string; readonly detail: string }
  /** Another stream already captures some of these subjects. */
  | { readonly kind: 'overlap'; readonly stream: string; readonly detail: string }
  | { readonly kind: 'refused'; readonly stream: string; readonly detail: string }
  /** JetStream would not take the inbox consumer: its settings, or a consumer of that name made otherwise. */
  | { readonly kind: 'consumer'; readonly stream: string; readonly consumer: string; readonly detail: string };

/** A subject the NATS user's permissions do not allow it, as the server named it. */
export interface PermissionRefusal {
  readonly operation: 'publish' | 'subscription';
  readonly subject: string;
}

/**
 * The permission refusal behind `error` (a request's error wraps it as its cause), if that is why
 * it failed: a JetStream API subject or a reply subject the NATS user may not use.
 */
export function permissionRefusalOf(error: unknown): PermissionRefusal | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof PermissionViolationError) return { operation: cause.operation, subject: cause.subject };
  }
  return undefined;
}

export class StreamSetupError extends Error {
  override readonly name = 'StreamSetupError';

  constructor(
    readonly problem: StreamSetupProblem,
    options?: { cause: unknown },
  ) {
    super(`stream ${problem.stream}: ${problem.kind === 'foreign' ? `holds ${problem.subjects.join(', ')}` : problem.detail}`, options);
  }
}

/** nats-server's error codes for the refusals an operator can fix by a setting. */
const REPLICAS_NOT_SUPPORTED = 10074;
const INSUFFICIENT_RESOURCES = 10023;
const STORAGE_EXCEEDED = 10047;
const SUBJECTS_OVERLAP = 10065;

/**
 * On a NATS cluster, a stream another instance is creating right now has no leader for a moment,
 * and requests about it go unanswered: each step is tried again for up to 30 s.
 */
const SETUP_RETRY: LeaderChangeRetry = { tries: 12, deadlineMs: 30_000 };

/**
 * Creates or updates both streams and the durable inbox consumer; safe to run at every start, and
 * on several instances starting at once. An update keeps what is not set here and sets the
 * ceilings, so a stream made by an older version gets them too.
 */
export async function ensureStreams(jsm: JetStreamManager, subjects: Subjects, options: StreamOptions): Promise<void> {
  await upsertStream(jsm, subjects.prefix, {
    name: subjects.inboxStream,
    subjects: [subjects.requested, subjects.codeSubmitted, subjects.passwordChanged],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: options.replicas,
    duplicate_window: nanos(2 * 60_000),
    // A body over the limit is refused at publish, so its publisher learns at once and nothing is
    // stored. The server counts the headers too: a body must leave them room (real ones are < 2 KiB).
    max_msg_size: MAX_BODY_BYTES,
    max_age: nanos(options.limits.inboxMaxAgeMs),
    max_bytes: options.limits.inboxMaxBytes,
    discard: DiscardPolicy.New,
  });
  await upsertStream(jsm, subjects.prefix, {
    name: subjects.eventsStream,
    subjects: OUTBOUND_TYPES.map((type) => subjects.event(type)),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: options.replicas,
    max_age: nanos(options.limits.eventsMaxAgeMs),
    max_bytes: options.limits.eventsMaxBytes,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(options.limits.eventsDuplicateWindowMs),
  });
  const consumer = {
    durable_name: options.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: options.maxDeliver,
    max_ack_pending: options.maxAckPending,
  };
  try {
    await retryingLeaderChanges(async () => {
      try {
        await jsm.consumers.update(subjects.inboxStream, options.consumer, consumer);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await jsm.consumers.add(subjects.inboxStream, consumer);
      }
    }, SETUP_RETRY);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    throw new StreamSetupError({ kind: 'consumer', stream: subjects.inboxStream, consumer: options.consumer, detail: detailOf(error) }, { cause: error });
  }
}

/**
 * Creates the stream, or updates it when it is this deployment's: a stream of the same name holding
 * subjects outside `prefix` belongs to another deployment (two prefixes can map to one stream name,
 * `acme-eu` and `acme.eu`), and updating it would take its subjects away.
 */
async function upsertStream(jsm: JetStreamManager, prefix: string, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await retryingLeaderChanges(async () => {
      const existing = await streamSubjects(jsm, config.name);
      if (existing === undefined) {
        await jsm.streams.add(config);
        return;
      }
      if (existing.some((subject) => !subject.startsWith(`${prefix}.`))) {
        throw new StreamSetupError({ kind: 'foreign', stream: config.name, subjects: existing });
      }
      await jsm.streams.update(config.name, config);
    }, SETUP_RETRY);
  } catch (error) {
    throw error instanceof JetStreamApiError ? new StreamSetupError(problemOf(error, config.name), { cause: error }) : error;
  }
}

async function streamSubjects(jsm: JetStreamManager, name: string): Promise<string[] | undefined> {
  try {
    return (await jsm.streams.info(name)).config.subjects ?? [];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const detailOf = (error: JetStreamApiError) => `${error.message} (err_code ${error.code})`;

function problemOf(error: JetStreamApiError, stream: string): StreamSetupProblem {
  const detail = detailOf(error);
  switch (error.code) {
    case REPLICAS_NOT_SUPPORTED:
      return { kind: 'replicas', stream, detail };
    case INSUFFICIENT_RESOURCES:
    case STORAGE_EXCEEDED:
      return { kind: 'storage', stream, detail };
    case SUBJECTS_OVERLAP:
      return { kind: 'overlap', stream, detail };
    default:
      return { kind: 'refused', stream, detail };
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}
