import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_KIND, OtlpReceiver } from '../support/otlp-receiver.js';
import { useRunningService } from '../support/running-service.js';
import { aClientSpan, parseTraceparent } from '../support/trace-context.js';

describe('spans exported over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(() => receiver.stop());
  const world = useRunningService('otlp', {
    env: () => ({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'resetd', OTEL_BSP_SCHEDULE_DELAY: '200' }),
  });

  it("sends the reset's spans, in the client's trace, to the collector", async () => {
    const { client, prefix } = world;
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
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(() => receiver.stop());
  const world = useRunningService('notrace', {
    env: () => ({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' }),
  });

  it('exports nothing, yet passes the client trace context on to the events', async () => {
    const { client, service } = world;
    const clientSpan = aClientSpan();
    const resetId = await client.publish('reset.requested', { userId: 'u-notrace', email: 'notrace@example.com' }, { headers: { traceparent: clientSpan.traceparent } });
    const sent = await client.waitForEvent(resetId, 'reset.code.sent');
    expect(parseTraceparent(sent.headers.traceparent)?.traceId).toBe(clientSpan.traceId);
    // Stopping would flush any span there were.
    expect(await service.stop()).toBe(0);
    expect(receiver.bodies).toEqual([]);
  });
});
