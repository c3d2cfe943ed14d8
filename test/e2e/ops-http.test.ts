import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { opsGet, sampleNames, sampleValue } from '../support/ops-http.js';
import { freePort, RedisServer } from '../support/processes.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `/readyz` until it answers `status`; resolves with the time it took and the last body. */
async function readyzBecomes(port: number, status: number, timeoutMs: number): Promise<{ afterMs: number; body: string }> {
  const started = Date.now();
  for (;;) {
    const answer = await opsGet(port, '/readyz').catch(() => undefined);
    if (answer?.status === status) return { afterMs: Date.now() - started, body: answer.body };
    if (Date.now() - started > timeoutMs) throw new Error(`/readyz did not answer ${status} within ${timeoutMs} ms; last: ${JSON.stringify(answer)}`);
    await sleep(50);
  }
}

describe('the operators port', () => {
  const prefix = uniquePrefix('ops');
  let redis: RedisServer;
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;
  let port: number;

  beforeAll(async () => {
    // A Redis of the test's own, so stopping it troubles no other test.
    redis = await RedisServer.start();
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    port = await freePort();
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      REDIS_URL: redis.url,
      SMTP_URL: sink.url,
      OPS_HTTP_PORT: String(port),
      OPS_HTTP_HOST: '127.0.0.1',
    });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await sink.stop();
    await redis.close();
  });

  it('logs where it listens, answers /healthz, and is ready once started', async () => {
    await service.waitForLog(new RegExp(`ops HTTP listening on http://127\\.0\\.0\\.1:${port}`));
    expect(await opsGet(port, '/healthz')).toMatchObject({ status: 200 });
    const ready = await opsGet(port, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
    expect((await opsGet(port, '/nothing')).status).toBe(404);
  });

  it('shows the counters moving after a reset, every name starting with resetd_', async () => {
    const before = (await opsGet(port, '/metrics')).body;
    const resetId = await client.requestReset({ userId: 'u-ops', email: 'ops@example.com' });
    await client.waitForEvent(resetId, 'reset.code.sent');
    const code = codeIn((await sink.waitForMail('ops@example.com')).text ?? '');
    expect(await client.verify({ resetId, code: code === '000000' ? '111111' : '000000' })).toMatchObject({ status: 'invalid_code' });
    await client.submitCode(resetId, code);
    await client.waitForEvent(resetId, 'reset.completed');
    // The inbox counts once the message is settled, a moment after the event is out.
    await sleep(300);
    const after = (await opsGet(port, '/metrics')).body;

    const moved = (name: string, labels = '') => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(moved('resetd_requests_total', 'outcome="code_sent",reason="none"')).toBe(1);
    expect(moved('resetd_verifications_total', 'result="invalid_code"')).toBe(1);
    expect(moved('resetd_verifications_total', 'result="completed"')).toBe(1);
    expect(moved('resetd_request_to_mail_seconds_count')).toBe(1);
    expect(moved('resetd_smtp_send_seconds_count', 'result="accepted"')).toBe(1);
    expect(sampleValue(after, 'resetd_breaker_state')).toBe(0);
    expect(sampleNames(after)).toEqual(expect.arrayContaining(['resetd_messages_in_flight', 'resetd_consumer_pending', 'resetd_breaker_state']));
    expect(sampleNames(after).filter((name) => !name.startsWith('resetd_'))).toEqual([]);
  });

  it('turns unready within 2 s when Redis stops, and ready again when it returns', async () => {
    await redis.stop();
    const down = await readyzBecomes(port, 503, 2_000);
    expect(down.afterMs).toBeLessThan(2_000);
    expect(JSON.parse(down.body)).toEqual({ status: 'not ready', failing: ['redis'] });
    expect((await opsGet(port, '/healthz')).status).toBe(200);

    await redis.start();
    await readyzBecomes(port, 200, 10_000);
  });
});
