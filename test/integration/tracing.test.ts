import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { openConnections } from '../../src/app/connections.js';
import { buildContainer, resolve } from '../../src/app/container.js';
import { createLogger } from '../../src/app/logger.js';
import type { ResetService } from '../../src/app/reset-service.js';
import { TOKENS } from '../../src/app/tokens.js';
import { setUpTelemetry, type Telemetry } from '../../src/app/telemetry.js';
import { NATS_URL, TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { openTestRedis, type TestRedis } from '../support/redis.js';
import { TEST_OTP_SECRET } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { parseTraceparent } from '../support/trace-context.js';

describe('one trace per reset, from the client through NATS, Redis and SMTP back to NATS', () => {
  const prefix = uniquePrefix('trace');
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let sink: SmtpSink;
  let client: TestClient;
  let service: ResetService;
  let redis: TestRedis;

  beforeAll(async () => {
    sink = await startSmtpSink();
    redis = await openTestRedis();
    const config = loadConfig({
      NATS_URL,
      REDIS_URL: redis.url,
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: redis.prefix,
      SMTP_URL: sink.url,
      OTP_SECRET: TEST_OTP_SECRET,
      OPS_HTTP_PORT: '0',
    });
    // The service's real set-up, with spans kept in memory instead of exported.
    telemetry = setUpTelemetry({ serviceName: 'resetd', tracing: config.tracing, spanExporter: exporter });
    const log = createLogger('silent');
    const connections = await openConnections(config, log);
    service = resolve(buildContainer(config, connections, log, telemetry), TOKENS.ResetService);
    await service.start();
    client = await TestClient.connect(prefix);
    await client.watchEvents();
  });

  afterAll(async () => {
    await service.stop();
    await telemetry.shutdown();
    await client.close();
    await sink.stop();
    await redis.close();
  });

  it('continues the client span in every span of the reset and in the outbound event', async () => {
    // The auth service publishes the request inside a span of its own.
    const clientSpan = trace.getTracer('auth-service').startSpan('request password reset', { kind: SpanKind.PRODUCER });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), clientSpan), headers);
    const resetId = await client.publish('reset.requested', { userId: 'u-trace', email: 'trace.me@example.com' }, { headers });
    clientSpan.end();
    const { traceId, spanId: clientSpanId } = clientSpan.spanContext();

    const sent = await client.waitForEvent(resetId, 'reset.code.sent');
    const consumeName = `process ${prefix}.requested`;
    await waitFor(() => exporter.getFinishedSpans().some((span) => span.name === consumeName), 10_000);
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

    const consume = spans.find((span) => span.name === consumeName)!;
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consume)).toBe(clientSpanId);
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': `${prefix}.requested`,
      'messaging.operation.type': 'process',
      'messaging.message.id': resetId,
      'messaging.consumer.group.name': 'resetd',
      'resetd.outcome': 'reset.code.sent',
    });

    const redis = spans.filter((span) => span.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
    for (const span of redis) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(span)).toBe(consume.spanContext().spanId);
      // The command's or the script's name only: a script's arguments hold digests, its keys hold ids.
      expect(span.attributes['db.query.text']).toBeUndefined();
      expect(span.name).toMatch(/^(HGETALL|EVALSHA resetd[A-Za-z]+)$/);
    }

    const smtp = spans.find((span) => span.name === 'smtp send')!;
    expect(smtp.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(smtp)).toBe(consume.spanContext().spanId);
    expect(smtp.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': sink.port,
      'smtp.response.code': 250,
      'resetd.mail.to': 't***@example.com',
    });

    const publish = spans.find((span) => span.name === `send ${prefix}.code.sent`)!;
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(publish)).toBe(consume.spanContext().spanId);
    expect(publish.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.message.id': sent.id, 'messaging.operation.type': 'send' });

    // The auth service's consumer of reset.code.sent continues the same trace, under the publish.
    expect(parseTraceparent(sent.headers.traceparent)).toEqual({ traceId, spanId: publish.spanContext().spanId });
  });

  it('keeps every span of a reset in its own trace, with many resets in flight at once', async () => {
    // Each message's context is handed to its ports, not carried by the runtime, and commands of
    // resets in flight together leave Redis in one write (auto-pipelining): every span must still
    // be a child of its own reset's span, never of another reset's or of none.
    const count = 24;
    const resets = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const clientSpan = trace.getTracer('auth-service').startSpan('request password reset', { kind: SpanKind.PRODUCER });
        const headers: Record<string, string> = {};
        propagation.inject(trace.setSpan(context.active(), clientSpan), headers);
        const resetId = await client.publish('reset.requested', { userId: `u-many-${i}`, email: `many${i}@example.com` }, { headers });
        clientSpan.end();
        return { resetId, traceId: clientSpan.spanContext().traceId };
      }),
    );
    const sent = new Map<string, Awaited<ReturnType<TestClient['waitForEvent']>>>();
    for (const { resetId } of resets) sent.set(resetId, await client.waitForEvent(resetId, 'reset.code.sent'));
    const consumeName = `process ${prefix}.requested`;
    const inTrace = (traceId: string) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    await waitFor(() => resets.every(({ traceId }) => inTrace(traceId).some((span) => span.name === consumeName)), 10_000);
    for (const { resetId, traceId } of resets) {
      const spans = inTrace(traceId);
      const consume = spans.find((span) => span.name === consumeName)!;
      expect(consume.attributes['resetd.reset.id']).toBe(resetId);
      const smtp = spans.filter((span) => span.name === 'smtp send');
      const publish = spans.filter((span) => span.name === `send ${prefix}.code.sent`);
      expect([...smtp, ...publish].map((span) => span.parentSpanContext?.spanId)).toEqual([consume.spanContext().spanId, consume.spanContext().spanId]);
      expect(parseTraceparent(sent.get(resetId)!.headers.traceparent)).toEqual({ traceId, spanId: publish[0]!.spanContext().spanId });
      const commands = spans.filter((span) => span.attributes['db.system.name'] === 'redis');
      for (const span of commands) expect(span.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
      // A new reset: its lookup, the user's and the global limits (no client IP given), issue, the user's pending reset, finish.
      expect(commands.map((span) => span.name).sort()).toEqual([
        'EVALSHA resetdFinish',
        'EVALSHA resetdIssue',
        'EVALSHA resetdReserve',
        'EVALSHA resetdReserve',
        'EVALSHA resetdTakeCurrent',
        'HGETALL',
      ]);
    }
  });
});
