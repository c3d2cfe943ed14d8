import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishUnconfirmedError, ResetClient } from '../../src/client/index.js';
import { NATS_URL, uniquePrefix } from '../support/nats.js';

describe('the client publishing when JetStream does not acknowledge in time', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await nc.close();
  });

  it('tries three times with the one Nats-Msg-Id, then throws PublishUnconfirmedError carrying the id to publish again with', async () => {
    const prefix = uniquePrefix('unacked');
    // Takes the publish and never answers, as a stream leader lost between storing and acknowledging.
    const taken: Msg[] = [];
    const silent = nc.subscribe(`${prefix}.requested`, { callback: (_, msg) => void taken.push(msg) });
    const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix, publishTimeoutMs: 200 });

    const publishing = client.requestReset({ userId: 'u-1', email: 'ada@example.com' });
    const error = await publishing.catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(PublishUnconfirmedError);
    const ids = taken.map((msg) => msg.headers?.get('Nats-Msg-Id'));
    expect(ids).toHaveLength(3);
    expect(new Set(ids)).toEqual(new Set([(error as PublishUnconfirmedError).id]));
    expect(taken.map((msg) => JSON.parse(msg.string()).id)).toEqual(ids);
    expect((error as Error).message).toContain(`{ id: '${(error as PublishUnconfirmedError).id}' }`);
    silent.unsubscribe();
  });
});
