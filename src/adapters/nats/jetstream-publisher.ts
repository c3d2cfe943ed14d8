import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { inject, injectable } from 'inversify';
import type { ResetEvent } from '../../domain/events.js';
import type { Clock, EventPublisher } from '../../domain/ports.js';
import { TOKENS } from '../../app/tokens.js';
import { cloudEvent, deriveEventId } from './cloud-event.js';
import type { Subjects } from './subjects.js';

/** Publishes facts to `<PREFIX>_EVENTS` as CloudEvents whose id (and `Nats-Msg-Id`) is derived, not random. */
@injectable()
export class JetStreamPublisher implements EventPublisher {
  constructor(
    @inject(TOKENS.JetStream) private readonly js: JetStreamClient,
    @inject(TOKENS.Subjects) private readonly subjects: Subjects,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.EventSource) private readonly source: string,
  ) {}

  async publish(event: ResetEvent): Promise<void> {
    const id = deriveEventId(event.data.resetId, event.name, event.sequence);
    const body = cloudEvent({ id, source: this.source, type: event.name, time: new Date(this.clock.now()), data: event.data });
    const headers = natsHeaders();
    await this.js.publish(this.subjects.event(event.name), JSON.stringify(body), { msgID: id, headers });
  }
}
