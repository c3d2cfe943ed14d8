import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureStreams, StreamSetupError, type StreamOptions } from '../../src/adapters/nats/jetstream-streams.js';
import { TestClient, uniquePrefix } from '../support/nats.js';

const HOUR = 3_600_000;

const options: StreamOptions = {
  replicas: 1,
  consumer: 'resetd',
  ackWaitMs: 6_000,
  maxDeliver: -1,
  maxAckPending: 1_000,
  limits: { inboxMaxAgeMs: 7 * 24 * HOUR, inboxMaxBytes: 8 * 1_048_576, eventsMaxAgeMs: 48 * HOUR, eventsMaxBytes: 16 * 1_048_576, eventsDuplicateWindowMs: 90_000 },
};

describe('ensureStreams', () => {
  let client: TestClient;

  beforeEach(async () => {
    client = await TestClient.connect(uniquePrefix('streams'));
  });

  afterEach(async () => {
    await client.close();
  });

  it('puts the ceilings on streams made without them, and refuses a body over 16 KiB at publish', async () => {
    const { subjects, jsm } = client;
    // As an older version made them: no size, byte or (inbox) age ceiling.
    await jsm.streams.add({ name: subjects.inboxStream, subjects: [subjects.requested], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.event('reset.code.sent')], storage: StorageType.File, max_age: nanos(7 * 24 * HOUR) });

    await ensureStreams(jsm, subjects, options);
    await ensureStreams(jsm, subjects, options);

    const inbox = (await jsm.streams.info(subjects.inboxStream)).config;
    expect(inbox).toMatchObject({ max_msg_size: 16 * 1024, max_age: nanos(7 * 24 * HOUR), max_bytes: 8 * 1_048_576, discard: 'new' });
    expect(inbox.subjects).toContain(subjects.passwordChanged);
    const events = (await jsm.streams.info(subjects.eventsStream)).config;
    expect(events).toMatchObject({ max_age: nanos(48 * HOUR), max_bytes: 16 * 1_048_576, discard: 'old', duplicate_window: nanos(90_000) });
    expect((await jsm.consumers.info(subjects.inboxStream, 'resetd')).config.ack_wait).toBe(nanos(6_000));

    await expect(client.js.publish(subjects.requested, new Uint8Array(16 * 1024 + 1))).rejects.toThrow(/maximum.*size|message size/i);
    // The server counts headers too; a real body is far below (at most about 2 KiB by the schema).
    await expect(client.js.publish(subjects.requested, new Uint8Array(16 * 1024), { msgID: 'a'.repeat(36) })).rejects.toThrow(/message size/);
    await expect(client.js.publish(subjects.requested, new Uint8Array(15 * 1024), { msgID: 'a'.repeat(36) })).resolves.toMatchObject({ duplicate: false });
    expect((await jsm.streams.info(subjects.inboxStream)).state.messages).toBe(1);
  });

  it("keeps an event id for the events stream's window, and a window changed at a later start replaces it", async () => {
    const { subjects, jsm } = client;
    await ensureStreams(jsm, subjects, options);
    const subject = subjects.event('reset.code.sent');
    const body = new Uint8Array(10);
    expect(await client.js.publish(subject, body, { msgID: 'event-1' })).toMatchObject({ duplicate: false });
    expect(await client.js.publish(subject, body, { msgID: 'event-1' })).toMatchObject({ duplicate: true });

    await ensureStreams(jsm, subjects, { ...options, limits: { ...options.limits, eventsDuplicateWindowMs: 3_600_000 } });
    expect((await jsm.streams.info(subjects.eventsStream)).config.duplicate_window).toBe(nanos(3_600_000));
    expect(await client.js.publish(subject, body, { msgID: 'event-1' })).toMatchObject({ duplicate: true });
  });

  it('refuses a publish to an inbox at its byte ceiling, keeping what it holds', async () => {
    const { subjects, jsm } = client;
    await ensureStreams(jsm, subjects, { ...options, limits: { ...options.limits, inboxMaxBytes: 1_048_576 } });
    const body = new Uint8Array(15 * 1024);
    let refusal: unknown;
    for (let i = 0; i < 80 && refusal === undefined; i += 1) {
      await client.js.publish(subjects.requested, body).catch((error: unknown) => (refusal = error));
    }
    expect(String(refusal)).toMatch(/maximum bytes exceeded/);
    expect((await jsm.streams.info(subjects.inboxStream)).state.messages).toBeGreaterThan(60);
  });

  it("leaves a stream of another deployment's alone: same name, subjects under another prefix", async () => {
    const { subjects, jsm } = client;
    // `acme-eu` and `acme.eu` both name their inbox ACME_EU_INBOX.
    const theirs = [`${uniquePrefix('other')}.requested`];
    await jsm.streams.add({ name: subjects.inboxStream, subjects: theirs, retention: RetentionPolicy.Workqueue, storage: StorageType.File });

    const refusal = await ensureStreams(jsm, subjects, options).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(StreamSetupError);
    expect((refusal as StreamSetupError).problem).toEqual({ kind: 'foreign', stream: subjects.inboxStream, subjects: theirs });
    expect((await jsm.streams.info(subjects.inboxStream)).config.subjects).toEqual(theirs);
    await expect(jsm.streams.info(subjects.eventsStream)).rejects.toThrow(/not found/);
  });

  it('names what JetStream refused: replicas a single server cannot keep, bytes it cannot reserve', async () => {
    const { subjects, jsm } = client;

    const replicas = await ensureStreams(jsm, subjects, { ...options, replicas: 3 }).catch((error: unknown) => error);
    expect((replicas as StreamSetupError).problem).toMatchObject({ kind: 'replicas', stream: subjects.inboxStream, detail: expect.stringContaining('replicas') });

    const bytes = await ensureStreams(jsm, subjects, { ...options, limits: { ...options.limits, eventsMaxBytes: 2 ** 50 } }).catch((error: unknown) => error);
    expect((bytes as StreamSetupError).problem).toMatchObject({ kind: 'storage', stream: subjects.eventsStream });
  });

  it('names the consumer JetStream refused, as it names a refused stream, rather than let its error through', async () => {
    const { subjects, jsm } = client;
    // An ack wait past what the server reads as nanoseconds: it answers `invalid JSON`.
    const refusal = await ensureStreams(jsm, subjects, { ...options, ackWaitMs: 1e16 }).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(StreamSetupError);
    expect((refusal as StreamSetupError).problem).toEqual({ kind: 'consumer', stream: subjects.inboxStream, consumer: 'resetd', detail: expect.stringMatching(/invalid JSON \(err_code \d+\)/) });
  });
});
