import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { ResetEvent } from '../../domain/events.js';
import type { Clock, EventPublisher, PublishReceipt } from '../../domain/ports.js';
import { inSendSpan } from '../otel/messaging-spans.js';
import { cloudEvent, type EventIdDeriver } from '../../contract/cloud-event.js';
import { SIGNATURE_HEADER, type MessageSigner } from '../../contract/message-signature.js';
import { retryingLeaderChanges, type LeaderChangeRetry } from './jetstream-retry.js';
import type { Subjects } from '../../contract/subjects.js';

/**
 * Publishes facts to `<PREFIX>_EVENTS` as CloudEvents whose id (and `Nats-Msg-Id`) is derived, not
 * random (and keyed, so not known before it is published), each inside a PRODUCER span whose trace context travels in the message's headers, and
 * each signed (`Resetd-Signature`) over the very bytes published, so no one else can say a reset completed,
 * and each naming this deployment's prefix (`resetdprefix`), so no other deployment's event passes for one of its own.
 */
export class JetStreamPublisher implements EventPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: Subjects,
    private readonly clock: Clock,
    private readonly source: string,
    private readonly signer: MessageSigner,
    private readonly eventId: EventIdDeriver,
    private readonly retry: LeaderChangeRetry = PUBLISH_RETRY,
  ) {}

  async publish(event: ResetEvent): Promise<PublishReceipt> {
    const id = this.eventId(event.data.resetId, event.name, event.sequence);
    // `resetdprefix` is signed with the rest: a consumer of another deployment that shares the key refuses it.
    const body = cloudEvent({ id, source: this.source, type: event.name, time: new Date(this.clock.now()), data: event.data, prefix: this.subjects.prefix });
    const subject = this.subjects.event(event.name);
    const bytes = ENCODER.encode(JSON.stringify(body));
    const headers = natsHeaders();
    headers.set(SIGNATURE_HEADER, this.signer.sign(bytes));
    const ack = await inSendSpan(subject, id, headers, () =>
      retryingLeaderChanges(() => this.js.publish(subject, bytes, { msgID: id, headers }), this.retry),
    );
    return { id, duplicate: ack.duplicate };
  }
}

const ENCODER = new TextEncoder();

/**
 * A publish is tried again while a NATS cluster elects the stream's leader, for at most 8 tries in
 * 20 s. Every try carries the same `Nats-Msg-Id`, so a try whose ack was lost after the stream
 * stored it is dropped as a duplicate, never stored twice. Past that the inbox redelivers the message.
 */
const PUBLISH_RETRY: LeaderChangeRetry = { tries: 8, deadlineMs: 20_000 };

/**
 * For a verdict's event: a second try only if the first failed at once (no responders: the stream
 * is gone or has no leader yet), never a third. A try that waits for its ack takes the JetStream
 * client's timeout (5 s) by itself, so a verify no longer waits out a leader election (20 s) past
 * the 10 s its requester waits; only a Redis and a JetStream that both hang for their full
 * timeouts still take it past them. An event not taken is owed (`OwedEvents`) and published once
 * JetStream takes it.
 */
export const VERDICT_PUBLISH_RETRY: LeaderChangeRetry = { tries: 2, deadlineMs: 2_000 };
