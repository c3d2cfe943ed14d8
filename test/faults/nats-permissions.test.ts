import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect, usernamePasswordAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ResetClient } from '../../src/client/reset-client.js';
import { subjectsFor } from '../../src/contract/subjects.js';
import { codeIn } from '../support/mail-code.js';
import { uniquePrefix } from '../support/nats.js';
import { freePort, ManagedProcess, NATS_SERVER } from '../support/processes.js';
import { TestServer } from '../support/security.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const CONFIG = new URL('../../deploy/nats/nats-server.conf', import.meta.url).pathname;
const PASSWORDS = { admin: 'admin-pass-3c9e1f', resetd: 'resetd-pass-8b2d7a', auth: 'auth-pass-5e4f0c' } as const;
type Role = keyof typeof PASSWORDS;
// The names deploy/nats/nats-server.conf is written for.
const subjects = subjectsFor('reset');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * deploy/nats/nats-server.conf on a nats-server of the test's own: each user may do what its role
 * needs, the whole reset still runs with resetd and auth logged in as themselves, and what the
 * file denies is refused by the server.
 */
describe('NATS permissions of deploy/nats', () => {
  let port: number;
  let dir: string;
  let nats: ManagedProcess;
  let redis: TestServer;
  let sink: SmtpSink;
  let service: ServiceProcess;
  let admin: NatsConnection;
  const open: NatsConnection[] = [];

  /** A connection as `role`, with the inbox prefix the configuration gives it; every server error it is told is kept. */
  const as = async (role: Role) => {
    const nc = await natsConnect({
      servers: `nats://127.0.0.1:${port}`,
      authenticator: usernamePasswordAuthenticator(role, PASSWORDS[role]),
      ...(role === 'admin' ? {} : { inboxPrefix: `_INBOX_${role}` }),
    });
    const errors: string[] = [];
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'error') errors.push(String(status.error));
    })();
    open.push(nc);
    return { nc, errors };
  };
  /** The last sequence stored in `stream`: unchanged when nothing was taken in. */
  const lastSeq = async (stream: string) => (await (await jetstreamManager(admin)).streams.info(stream)).state.last_seq;

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'resetd-nats-perms-'));
    const env = { NATS_ADMIN_PASSWORD: PASSWORDS.admin, NATS_RESETD_PASSWORD: PASSWORDS.resetd, NATS_AUTH_PASSWORD: PASSWORDS.auth };
    nats = await ManagedProcess.start('nats-server', NATS_SERVER, ['-c', CONFIG, '-a', '127.0.0.1', '-p', String(port), '-sd', dir], /Server is ready/, 15_000, env);
    redis = await TestServer.redis();
    sink = await startSmtpSink();
    service = await ServiceProcess.start({
      NATS_URL: `nats://127.0.0.1:${port}`,
      NATS_USER: 'resetd',
      NATS_PASSWORD: PASSWORDS.resetd,
      NATS_INBOX_PREFIX: '_INBOX_resetd',
      REDIS_URL: redis.url('redis'),
      REDIS_KEY_PREFIX: uniquePrefix('perms'),
      SMTP_URL: sink.url,
    });
    admin = (await as('admin')).nc;
  });

  afterAll(async () => {
    expect(await service?.stop()).toBe(0);
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await nats?.stop('SIGKILL');
    await redis?.close();
    await sink?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the whole reset with resetd and auth as themselves: request, code mailed, outcomes read, verify', async () => {
    const client: ResetClient = await connect({
      servers: `nats://127.0.0.1:${port}`,
      security: { authenticator: usernamePasswordAuthenticator('auth', PASSWORDS.auth), inboxPrefix: '_INBOX_auth' },
    });
    try {
      const outcomes = client.outcomes({ durable: 'auth', deliver: 'new' });
      await outcomes.ready;
      const resetId = await client.requestReset({ userId: 'u-perms', email: 'perms@example.com' });
      const code = codeIn((await sink.waitForMail('perms@example.com')).text ?? '');
      for await (const event of outcomes) {
        if (event.data.resetId !== resetId) continue;
        expect(event.type).toBe('reset.code.sent');
        break;
      }
      expect(await client.verify(resetId, code)).toEqual({ resetId, status: 'completed', attemptsRemaining: 0 });
      // Every command is auth's to publish: a submission is stored in the inbox as well.
      const before = await lastSeq(subjects.inboxStream);
      await client.submitCode(resetId, code);
      expect(await lastSeq(subjects.inboxStream)).toBe(before + 1);
    } finally {
      await client.close();
    }
  });

  it('refuses auth publishing reset.completed, with a core publish or with JetStream', async () => {
    const before = await lastSeq(subjects.eventsStream);
    const { nc, errors } = await as('auth');
    nc.publish(subjects.event('reset.completed'), '{"forged":true}');
    await nc.flush();
    await expect(jetstream(nc, { timeout: 2_000 }).publish(subjects.event('reset.completed'), '{"forged":true}')).rejects.toThrow();
    await sleep(200);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "reset\.completed"/);
    expect(await lastSeq(subjects.eventsStream)).toBe(before);
  });

  it('refuses auth joining reset.verify as a responder, in the queue group or outside it', async () => {
    const { nc, errors } = await as('auth');
    nc.subscribe(subjects.verify, { queue: 'resetd', callback: () => undefined });
    nc.subscribe(subjects.verify, { callback: () => undefined });
    await nc.flush();
    await sleep(200);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "reset\.verify" using queue "resetd"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "reset\.verify"(?! using)/);
  });

  it('refuses auth (and resetd) deleting or purging a stream; the admin may', async () => {
    for (const role of ['auth', 'resetd'] as const) {
      const jsm = await jetstreamManager((await as(role)).nc, { timeout: 2_000 });
      await expect(jsm.streams.delete(subjects.eventsStream)).rejects.toThrow();
      await expect(jsm.streams.purge(subjects.inboxStream)).rejects.toThrow();
    }
    const streams = await jetstreamManager(admin);
    expect((await streams.streams.info(subjects.eventsStream)).config.name).toBe(subjects.eventsStream);
    expect((await streams.streams.info(subjects.inboxStream)).config.name).toBe(subjects.inboxStream);
  });

  it("refuses auth reading another consumer's messages: resetd's inbox consumer, another durable, resetd's replies", async () => {
    await (await jetstreamManager(admin)).consumers.add(subjects.eventsStream, { durable_name: 'audit', ack_policy: AckPolicy.Explicit });
    const { nc, errors } = await as('auth');
    const js = jetstream(nc, { timeout: 2_000 });
    await expect(js.consumers.get(subjects.inboxStream, 'resetd')).rejects.toThrow();
    await expect(js.consumers.get(subjects.eventsStream, 'audit')).rejects.toThrow();
    await expect(nc.request(`$JS.API.CONSUMER.MSG.NEXT.${subjects.inboxStream}.resetd`, '{"batch":1}', { timeout: 1_000 })).rejects.toThrow();
    // Where resetd's pulled messages and API answers arrive.
    nc.subscribe('_INBOX_resetd.>', { callback: () => undefined });
    await nc.flush();
    await sleep(200);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "_INBOX_resetd\.>"/);
    const audit = await (await jetstreamManager(admin)).consumers.info(subjects.eventsStream, 'audit');
    expect(audit.delivered.stream_seq).toBe(0);
  });

  it('refuses resetd publishing reset.requested', async () => {
    const before = await lastSeq(subjects.inboxStream);
    const { nc, errors } = await as('resetd');
    nc.publish(subjects.requested, '{"forged":true}');
    await nc.flush();
    await sleep(200);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "reset\.requested"/);
    expect(await lastSeq(subjects.inboxStream)).toBe(before);
  });
});
