import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamInboxBacklog } from '../../src/adapters/nats/jetstream-inbox-backlog.js';
import { NATS_URL, uniquePrefix } from '../support/nats.js';
import { stepWallClock } from '../support/wall-clock.js';

describe('JetStreamInboxBacklog against nats-server', () => {
  const prefix = uniquePrefix('backlog');
  const stream = `${prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_INBOX`;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], retention: RetentionPolicy.Workqueue });
    await jsm.consumers.add(stream, { durable_name: 'resetd', ack_policy: AckPolicy.Explicit });
  });

  afterAll(async () => {
    await jsm.streams.delete(stream);
    await nc.close();
  });

  it('reads an empty inbox as nothing pending and no age, then the count and the oldest message age, until the messages are done', async () => {
    const read = () => new JetStreamInboxBacklog(async () => jsm, stream, 'resetd', { maxAgeMs: 0 }).read();
    expect(await read()).toEqual({ pending: 0, oldestAgeSeconds: 0 });

    const js = jetstream(nc);
    await js.publish(`${prefix}.requested`, '{}');
    await sleep(1_100);
    await js.publish(`${prefix}.requested`, '{}');
    const waiting = await read();
    expect(waiting?.pending).toBe(2);
    expect(waiting?.oldestAgeSeconds).toBeGreaterThanOrEqual(1);
    expect(waiting?.oldestAgeSeconds).toBeLessThan(10);

    // Fetched but not acknowledged: no longer pending, still the oldest message in the inbox.
    const consumer = await js.consumers.get(stream, 'resetd');
    const fetched = [];
    for await (const msg of await consumer.fetch({ max_messages: 2, expires: 1_000 })) {
      fetched.push(msg);
      if (fetched.length === 2) break;
    }
    expect(await read()).toMatchObject({ pending: 0, oldestAgeSeconds: expect.any(Number) });
    expect((await read())!.oldestAgeSeconds).toBeGreaterThanOrEqual(1);

    for (const msg of fetched) await msg.ackAck();
    expect(await read()).toEqual({ pending: 0, oldestAgeSeconds: 0 });
  });

  it('reads nothing while the consumer does not exist, and asks JetStream again only once its last answer is old', async () => {
    const told: unknown[] = [];
    expect(await new JetStreamInboxBacklog(async () => jsm, stream, 'nobody', { maxAgeMs: 0, onUnreadable: (error) => told.push(error) }).read()).toBeUndefined();
    // Said why, so that absent gauges (a wrong consumer name, a missing permission) are explained.
    expect(String(told[0])).toMatch(/consumer not found/);

    const cached = new JetStreamInboxBacklog(async () => jsm, stream, 'resetd', { maxAgeMs: 60_000 });
    expect(await cached.read()).toMatchObject({ pending: 0 });
    await jetstream(nc).publish(`${prefix}.requested`, '{}');
    // Within the minute, the scrape gets the last answer, not a new JetStream call.
    expect(await cached.read()).toMatchObject({ pending: 0 });
    expect(await new JetStreamInboxBacklog(async () => jsm, stream, 'resetd', { maxAgeMs: 0 }).read()).toMatchObject({ pending: 1 });
  });

  it('asks JetStream again once its last answer is old, though the wall clock stepped back an hour meanwhile', async () => {
    const backlog = new JetStreamInboxBacklog(async () => jsm, stream, 'resetd', { maxAgeMs: 200 });
    const before = (await backlog.read())!.pending;
    const steppedBack = stepWallClock(-3_600_000);
    try {
      await jetstream(nc).publish(`${prefix}.requested`, '{}');
      await sleep(300);
      expect((await backlog.read())!.pending).toBe(before + 1);
    } finally {
      steppedBack.restore();
    }
  });
});
