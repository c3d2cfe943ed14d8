import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { retryingLeaderChanges, type LeaderChangeRetry } from './jetstream-retry.js';

/** Right after a restart JetStream may answer 503 for a moment while it recovers its streams. */
const SWEEP_RETRY: LeaderChangeRetry = { tries: 8, deadlineMs: 20_000 };

/**
 * Deletes the inbox messages the durable consumer has acknowledged but the stream still holds, and
 * returns how many. A work queue deletes a message once it is acked; nats-server 2.9, killed (SIGKILL,
 * a crash), can lose those deletes while keeping the consumer's acks, and after the restart the
 * messages sit below the consumer's ack floor for good: never delivered again, never deleted (seen
 * as 449 messages, 0 pending). Every message at or below the ack floor was acknowledged, so deleting
 * them loses nothing; several instances sweeping at once only find some already gone.
 */
export async function sweepAcknowledged(jsm: JetStreamManager, stream: string, consumer: string): Promise<number> {
  const floor = (await retryingLeaderChanges(() => jsm.consumers.info(stream, consumer), SWEEP_RETRY)).ack_floor.stream_seq;
  let deleted = 0;
  // At most one try per sequence number below the floor, so a message that cannot go ends the sweep.
  for (let tries = 0; ; tries += 1) {
    const { state } = await retryingLeaderChanges(() => jsm.streams.info(stream), SWEEP_RETRY);
    if (state.messages === 0 || state.first_seq > floor || tries > floor) return deleted;
    try {
      if (await jsm.streams.deleteMessage(stream, state.first_seq, false)) deleted += 1;
    } catch (error) {
      // Another instance deleted it first.
      if (!(error instanceof JetStreamApiError && error.status === 404)) throw error;
    }
  }
}
