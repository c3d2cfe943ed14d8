import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PublishUnconfirmedError, ResetClient, ResetClientError, ServiceUnavailableError, VerifyKeysRequiredError, VerifyUnansweredError } from '../../src/client/index.js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { subjectsFor } from '../../src/contract/subjects.js';
import { NATS_URL, uniquePrefix } from '../support/nats.js';
import { NatsServer } from '../support/processes.js';

describe('the client against nats-server', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await nc.close();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads neither outcome events nor verify replies unchecked with NODE_ENV=production, and says what to give', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const client = await ResetClient.fromConnection(nc, { subjectPrefix: uniquePrefix('unchecked') });

    expect(() => client.outcomes()).toThrow(ResetClientError);
    expect(() => client.outcomes()).toThrow(VerifyKeysRequiredError);
    expect(() => client.outcomes()).toThrow(/verifyKeys is required with NODE_ENV=production/);
    await expect(client.verify('r-1', '123456')).rejects.toThrow(/a reset.verify reply would be read unchecked: verifyKeys is required/);
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

  it('tells a verify left unanswered (the code may have been checked) from one no instance takes', async () => {
    const prefix = uniquePrefix('unanswered');
    const silent = nc.subscribe(`${prefix}.verify`, { callback: () => undefined });
    const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix });

    const unanswered = client.verify('r-1', '123456', { timeoutMs: 200 });
    await expect(unanswered).rejects.toBeInstanceOf(VerifyUnansweredError);
    await expect(unanswered).rejects.toThrow(/the code may have been checked/);
    silent.unsubscribe();
    const untaken = client.verify('r-1', '123456', { timeoutMs: 200 });
    await expect(untaken).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(untaken).rejects.not.toBeInstanceOf(VerifyUnansweredError);
  });

  describe('reading outcomes with a durable consumer', () => {
    /** An events stream of its own on `nc`, and a function that publishes a `reset.completed` into it as resetd would. */
    async function eventsStream(on: NatsConnection, prefix: string) {
      const subjects = subjectsFor(prefix);
      await jetstreamManager(on).then((jsm) => jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.event('reset.completed')] }));
      const publish = async (resetId: string) => {
        const event = { specversion: '1.0', id: `e-${resetId}`, source: 'urn:resetd:test', type: 'reset.completed', time: new Date().toISOString(), datacontenttype: 'application/json', resetdprefix: prefix, data: { resetId, userId: 'u-1', completedAt: new Date().toISOString() } };
        await jetstream(on).publish(subjects.event('reset.completed'), JSON.stringify(event));
      };
      return { subjects, publish, remove: () => jetstreamManager(on).then((jsm) => jsm.streams.delete(subjects.eventsStream)) };
    }

    it('keeps the event in hand in progress: a handler slower than the ack wait handles it once', async () => {
      const prefix = uniquePrefix('slowhandler');
      const stream = await eventsStream(nc, prefix);
      try {
        const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix });
        const outcomes = client.outcomes({ durable: 'auth', deliver: 'all', ackWaitMs: 1_000 });
        await stream.publish('r-slow');
        const handled: string[] = [];
        for await (const event of outcomes) {
          handled.push(event.data.resetId);
          // Two and a half ack waits: without word to the server, it delivers the event again meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 2_500));
          if (handled.length === 1) {
            setTimeout(() => outcomes.stop(), 1_500);
          }
        }
        expect(handled).toEqual(['r-slow']);
      } finally {
        await stream.remove();
      }
    });

    it("warns of an event of a type it knows but cannot read, and skips a newer resetd's type quietly", async () => {
      const prefix = uniquePrefix('skipped');
      const subjects = subjectsFor(prefix);
      await jetstreamManager(nc).then((jsm) => jsm.streams.add({ name: subjects.eventsStream, subjects: [`${prefix}.>`] }));
      const warnings: Array<{ code?: string; message: string }> = [];
      const onWarning = (warning: Error & { code?: string }) => warnings.push({ code: warning.code, message: warning.message });
      process.on('warning', onWarning);
      try {
        const client = await ResetClient.fromConnection(nc, { subjectPrefix: prefix });
        const envelope = (type: string, data: { resetId: string } & Record<string, string>) =>
          JSON.stringify({ specversion: '1.0', id: `e-${data.resetId}`, source: 'urn:resetd:test', type, time: new Date().toISOString(), datacontenttype: 'application/json', resetdprefix: prefix, data });
        // A known type whose data does not read (a required field missing), then a type from a newer resetd.
        await jetstream(nc).publish(subjects.event('reset.completed'), envelope('reset.completed', { resetId: 'r-1' }));
        await jetstream(nc).publish(subjects.event('reset.someday'), envelope('reset.someday', { resetId: 'r-2' }));
        await jetstream(nc).publish(subjects.event('reset.completed'), envelope('reset.completed', { resetId: 'r-3', userId: 'u-3', completedAt: new Date().toISOString() }));
        const outcomes = client.outcomes({ deliver: 'all' });
        for await (const event of outcomes) {
          expect(event.data.resetId).toBe('r-3');
          break;
        }
        const skipped = warnings.filter((warning) => warning.code === 'RESETD_SKIPPED');
        expect(skipped).toHaveLength(1);
        expect(skipped[0]!.message).toMatch(/cannot read: .*userId/);
      } finally {
        process.off('warning', onWarning);
        await jetstreamManager(nc).then((jsm) => jsm.streams.delete(subjects.eventsStream));
      }
    });

    it('ends with an error when the connection closes for good, not as if there were nothing more to read', async () => {
      const server = await NatsServer.start();
      try {
        const own = await connect({ servers: server.url, maxReconnectAttempts: 0 });
        const prefix = uniquePrefix('closedloop');
        await eventsStream(own, prefix);
        const client = await ResetClient.fromConnection(own, { subjectPrefix: prefix });
        const outcomes = client.outcomes({ durable: 'auth' });
        await outcomes.ready;
        const loop = (async () => {
          for await (const event of outcomes) void event;
        })();

        await server.stop();

        await expect(loop).rejects.toThrow(ServiceUnavailableError);
        await expect(loop).rejects.toThrow(/the NATS connection closed for good, so no more outcome events can be read: connection refused/);
      } finally {
        await server.close();
      }
    });
  });
});

