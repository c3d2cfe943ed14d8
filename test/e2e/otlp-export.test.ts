import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, uniquePrefix } from '../support/nats.js';
import { OTLP_KIND, OtlpReceiver } from '../support/otlp-receiver.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { aClientSpan, parseTraceparent } from '../support/trace-context.js';

describe('spans exported over OTLP/HTTP', () => {
  const prefix = uniquePrefix('otlp');
  let receiver: OtlpReceiver;
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      SMTP_URL: sink.url,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'resetd',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await sink.stop();
    await receiver.stop();
  });

  it("sends the reset's spans, in the client's trace, to the collector", async () => {
    const clientSpan = aClientSpan();
    const resetId = await client.publish('reset.requested', { userId: 'u-otlp', email: 'otlp@example.com' }, { headers: { traceparent: clientSpan.traceparent } });
    const sent = await client.waitForEvent(resetId, 'reset.code.sent');

    const names = (spans: { name: string }[]) => spans.map((span) => span.name);
    await receiver.waitForSpans(() => names(receiver.spansOf(clientSpan.traceId)).includes(`send ${prefix}.code.sent`));
    const spans = receiver.spansOf(clientSpan.traceId);
    expect(spans.every((span) => span.resource['service.name'] === 'resetd')).toBe(true);

    const consume = spans.find((span) => span.name === `process ${prefix}.requested`)!;
    expect(consume).toMatchObject({ kind: OTLP_KIND.consumer, parentSpanId: clientSpan.spanId });
    expect(consume.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.message.id': resetId, 'resetd.reset.id': resetId });
    expect(spans.find((span) => span.name === 'smtp send')).toMatchObject({ kind: OTLP_KIND.client, parentSpanId: consume.spanId });
    expect(spans.some((span) => span.attributes['db.system.name'] === 'redis')).toBe(true);

    const publish = spans.find((span) => span.name === `send ${prefix}.code.sent`)!;
    expect(publish.kind).toBe(OTLP_KIND.producer);
    expect(parseTraceparent(sent.headers.traceparent)).toEqual({ traceId: clientSpan.traceId, spanId: publish.spanId });
  });
});

describe('OTEL_TRACES_EXPORTER=none', () => {
  const prefix = uniquePrefix('notrace');
  let receiver: OtlpReceiver;
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      SMTP_URL: sink.url,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await client.watchEvents();
  });

  afterAll(async () => {
    await client.close();
    await sink.stop();
    await receiver.stop();
  });

  it('exports nothing, yet passes the client trace context on to the events', async () => {
    const clientSpan = aClientSpan();
    const resetId = await client.publish('reset.requested', { userId: 'u-notrace', email: 'notrace@example.com' }, { headers: { traceparent: clientSpan.traceparent } });
    const sent = await client.waitForEvent(resetId, 'reset.code.sent');
    expect(parseTraceparent(sent.headers.traceparent)?.traceId).toBe(clientSpan.traceId);
    // Stopping would flush any span there were.
    expect(await service.stop()).toBe(0);
    expect(receiver.bodies).toEqual([]);
  });
});
