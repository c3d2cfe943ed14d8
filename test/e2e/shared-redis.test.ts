import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

describe('two deployments with different subject prefixes on one Redis, REDIS_KEY_PREFIX unset', () => {
  const prefixes = [uniquePrefix('shareda'), uniquePrefix('sharedb')];
  let sink: SmtpSink;
  let clients: TestClient[];
  let services: ServiceProcess[];

  beforeAll(async () => {
    sink = await startSmtpSink();
    clients = await Promise.all(prefixes.map((prefix) => TestClient.connect(prefix)));
    // No REDIS_KEY_PREFIX: the key prefix is what is under test.
    services = await Promise.all(prefixes.map((prefix) => ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, SMTP_URL: sink.url })));
    await Promise.all(clients.map((client) => client.watchEvents()));
  });

  afterAll(async () => {
    for (const service of services ?? []) expect(await service.stop()).toBe(0);
    for (const client of clients ?? []) await client.close();
    await sink?.stop();
  });

  it('mails the same user in both within the cooldown: neither sees the other’s cooldown', async () => {
    const user = { userId: `u-${prefixes[0]}`, email: 'shared@example.com' };
    for (const client of clients) {
      const resetId = await client.requestReset(user);
      const outcome = await client.waitForEvents((events) => events.some((e) => e.data.resetId === resetId));
      expect(outcome.find((e) => e.data.resetId === resetId)?.type).toBe('reset.code.sent');
    }
    await sink.waitForMails(2);
    expect(sink.mailsTo('shared@example.com')).toHaveLength(2);
  });
});
