import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PublishUnconfirmedError, ResetClient, ResetClientError, ServiceUnavailableError, VerifyUnansweredError } from '../../src/client/index.js';
import { NATS_URL, uniquePrefix } from '../support/nats.js';

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
});
