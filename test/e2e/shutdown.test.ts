import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { ServiceProcess } from '../support/service-process.js';

describe('SIGTERM while requests are in flight', () => {
  const prefix = uniquePrefix('term');
  let sink: SmtpSink;
  let client: TestClient;
  const env = () => ({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url, RATE_IP_PER_HOUR: '1000' });

  beforeAll(async () => {
    // A slow mail server keeps many requests in flight when the signal arrives.
    sink = await startSmtpSink({ replyDelayMs: 20 });
    client = await TestClient.connect(prefix);
  });

  afterAll(async () => {
    await client.close();
    await sink.stop();
  });

  it('exits 0 within 10 s, and every request has exactly one outcome after a restart', async () => {
    const first = await ServiceProcess.start(env());
    await client.watchEvents();
    const ids = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.requestReset({ userId: `u-term-${i}`, email: `term${i}@example.com` })),
    );
    await client.waitForEvents((events) => events.length >= 5);

    const signalledAt = Date.now();
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(first.output.some((line) => /"msg":"stopped"/.test(line))).toBe(true);

    const second = await ServiceProcess.start(env());
    try {
      await client.waitForEvents((events) => ids.every((id) => events.some((e) => e.data.resetId === id)), 60_000);
      for (const id of ids) {
        expect(client.eventsFor(id).map((e) => e.type), id).toEqual(['reset.code.sent']);
      }
      for (let i = 0; i < ids.length; i++) expect(sink.mailsTo(`term${i}@example.com`).length).toBe(1);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
