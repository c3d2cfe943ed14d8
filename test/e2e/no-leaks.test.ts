import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { opsGet } from '../support/ops-http.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { freePort } from '../support/processes.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { aClientSpan } from '../support/trace-context.js';

const EMAIL = 'leak.check.person@example.com';
/** The sink refuses this one for good: its address comes back in the SMTP server's 550 reply. */
const BOUNCING = 'bounce.check.person@example.com';

/** A code as a token of its own: not a run of digits inside a timestamp, an id or a float. */
const asToken = (code: string) => new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`);

describe('no code and no plain address in any span, log line, metric or event', () => {
  const prefix = uniquePrefix('leaks');
  let receiver: OtlpReceiver;
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;
  let opsPort: number;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    sink = await startSmtpSink({ rejectRecipients: (address) => address === BOUNCING });
    client = await TestClient.connect(prefix);
    opsPort = await freePort();
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      SMTP_URL: sink.url,
      LOG_LEVEL: 'debug',
      OPS_HTTP_PORT: String(opsPort),
      OPS_HTTP_HOST: '127.0.0.1',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    await client.watchEvents();
  });

  afterAll(async () => {
    await service.stop();
    await client.close();
    await sink.stop();
    await receiver.stop();
  });

  it('runs a full reset with tracing, metrics and debug logs, then finds neither anywhere', async () => {
    const clientSpan = aClientSpan();
    const resetId = await client.publish('reset.requested', { userId: 'u-leaks', email: EMAIL, displayName: 'Leak Check' }, { headers: { traceparent: clientSpan.traceparent } });
    await client.waitForEvent(resetId, 'reset.code.sent');
    const code = codeIn((await sink.waitForMail(EMAIL)).text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    await client.publish('reset.code.submitted', { resetId, code: wrong }, { headers: { traceparent: clientSpan.traceparent } });
    await client.waitForEvent(resetId, 'reset.verification.failed');
    expect(await client.verify({ resetId, code: wrong })).toMatchObject({ status: 'invalid_code' });
    await client.submitCode(resetId, code);
    await client.waitForEvent(resetId, 'reset.completed');

    const bounced = await client.requestReset({ userId: 'u-bounce', email: BOUNCING });
    await client.waitForEvent(bounced, 'reset.delivery.failed');

    const metrics = (await opsGet(opsPort, '/metrics')).body;
    // Stopping flushes the spans still batched.
    expect(await service.stop()).toBe(0);
    await receiver.waitForSpans((spans) => spans.some((span) => span.name === `send ${prefix}.completed`));

    const places = {
      spans: receiver.bodies.join('\n'),
      logs: service.output.join('\n'),
      metrics,
      events: JSON.stringify(client.events),
    };
    // The searches look where the values would be: spans, logs and metrics of this very reset.
    expect(receiver.spansOf(clientSpan.traceId).some((span) => span.attributes['resetd.mail.to'] === 'l***@example.com')).toBe(true);
    expect(service.output.some((line) => line.includes(`"trace_id":"${clientSpan.traceId}"`) && line.includes('"level":20'))).toBe(true);
    expect(metrics).toContain('resetd_requests_total');
    expect(client.eventsFor(resetId).map((event) => event.type)).toContain('reset.completed');

    for (const [place, text] of Object.entries(places)) {
      expect(asToken(code).test(text), `the code in ${place}`).toBe(false);
      for (const address of [EMAIL, BOUNCING]) {
        expect(text.toLowerCase().includes(address), `${address} in ${place}`).toBe(false);
        expect(text.includes(address.split('@')[0]!), `the local part of ${address} in ${place}`).toBe(false);
      }
    }
  });
});
