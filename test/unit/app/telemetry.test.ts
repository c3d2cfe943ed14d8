import { generateKeyPairSync } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';
import { setUpTelemetry, type Telemetry } from '../../../src/app/telemetry.js';
import { OtlpReceiver } from '../../support/otlp-receiver.js';

const aSigningKey = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const configFrom = (env: Record<string, string>) => loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', ...env });

describe('telemetry set-up from the OTEL_* variables', () => {
  let telemetry: Telemetry | undefined;

  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
    vi.unstubAllEnvs();
  });

  const setUp = (env: Record<string, string>) => {
    const config = configFrom(env);
    telemetry = setUpTelemetry({ serviceName: config.serviceName, tracing: config.tracing });
    return telemetry;
  };

  it('creates no exporter and no span processor with OTEL_TRACES_EXPORTER=none, and records nothing', () => {
    const { spanExporter, spanProcessors } = setUp({ OTEL_TRACES_EXPORTER: 'none' });
    expect(spanExporter).toBeUndefined();
    expect(spanProcessors).toEqual([]);
    const span = trace.getTracer('test').startSpan('anything');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('exports OTLP over HTTP in batches by default, to the endpoint named', () => {
    const { spanExporter, spanProcessors } = setUp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(spanExporter).toBeInstanceOf(OtlpProtobufExporter);
    expect(spanProcessors).toHaveLength(1);
    expect(spanProcessors[0]).toBeInstanceOf(BatchSpanProcessor);
    expect(trace.getTracer('test').startSpan('recorded').isRecording()).toBe(true);
  });

  /**
   * Sets telemetry up with `env`, pointed at a receiver of the test's own, ends `spans` spans, flushes
   * and shuts down; resolves with the exporter made and the requests the receiver took.
   */
  async function exportedWith(env: Record<string, string>, spans: number, receiver: OtlpReceiver) {
    const before = receiver.requests.length;
    const { spanExporter, spanProcessors } = setUp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
    for (let i = 0; i < spans; i++) trace.getTracer('test').startSpan(`span ${i}`).end();
    await spanProcessors[0]!.forceFlush();
    await telemetry!.shutdown();
    telemetry = undefined;
    return { exporter: spanExporter?.constructor, requests: receiver.requests.slice(before) };
  }

  /** Runs `check` with a receiver; the exporter reads its endpoint itself, so it is in the environment too. */
  async function withReceiver(check: (receiver: OtlpReceiver) => Promise<void>): Promise<void> {
    const receiver = await OtlpReceiver.start();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    try {
      await check(receiver);
    } finally {
      await receiver.stop();
    }
  }

  it('sends 512 protobuf or 128 JSON spans a request unless OTEL_BSP_MAX_EXPORT_BATCH_SIZE says otherwise: each request costs, a JSON body past 128 KB twice as much', () =>
    withReceiver(async (receiver) => {
      const spansPerRequest = async (env: Record<string, string>, spans: number) =>
        (await exportedWith(env, spans, receiver)).requests.map((request) => request.spans).sort((a, b) => b - a);
      expect(await spansPerRequest({}, 1_100)).toEqual([512, 512, 76]);
      expect(await spansPerRequest({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 300)).toEqual([128, 128, 44]);
      expect(await spansPerRequest({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100' }, 300)).toEqual([100, 100, 100]);
    }));

  it('encodes spans as OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL says, protobuf unless told JSON, and sends them so', () =>
    withReceiver(async (receiver) => {
      const sent = (env: Record<string, string>) => exportedWith(env, 1, receiver);
      expect(await sent({})).toEqual({ exporter: OtlpProtobufExporter, requests: [{ contentType: 'application/x-protobuf', spans: 1 }] });
      expect(await sent({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toEqual({ exporter: OtlpJsonExporter, requests: [{ contentType: 'application/json', spans: 1 }] });
      expect(await sent({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toMatchObject({ exporter: OtlpProtobufExporter });
    }));

  it('refuses OTLP over gRPC at the start where spans would go with it, saying which port to use, and only there', () => {
    const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(() => configFrom({ ...exporting, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL is grpc, but resetd exports OTLP over HTTP: .*4318/);
    expect(() => configFrom({ ...exporting, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL is grpc/);
    // Shared OTEL_* settings: grpc for the other signals, HTTP for traces; or nothing exported at all.
    expect(configFrom({ ...exporting, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).tracing.protocol).toBe('http/json');
    expect(configFrom({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_EXPORTER: 'none' }).tracing.exporter).toBe('none');
    expect(() => configFrom({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf, http\/json or grpc/);
  });

  it('writes spans to the console with OTEL_TRACES_EXPORTER=console', () => {
    expect(setUp({ OTEL_TRACES_EXPORTER: 'console' }).spanExporter).toBeInstanceOf(ConsoleSpanExporter);
  });

  it('leaves OTEL_TRACES_SAMPLER to the SDK, which reads it from the environment', () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    setUp({ OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'always_off' });
    expect(trace.getTracer('test').startSpan('dropped').isRecording()).toBe(false);
  });
});

describe('the OTEL_* configuration', () => {
  it('exports OTLP only when an endpoint or exporter is named, or in production: a laptop has no collector', () => {
    const exporterOf = (env: Record<string, string>) => configFrom(env).tracing.exporter;
    expect(exporterOf({})).toBe('none');
    expect(exporterOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe('otlp');
    expect(exporterOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp' })).toBe('otlp');
    expect(exporterOf({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe('otlp');
    const production = { NODE_ENV: 'production', SMTP_URL: 'smtp://mail.example.com:587', MAIL_FROM: 'Acme <no-reply@acme.example>', RESET_SIGNING_KEY: aSigningKey() };
    expect(exporterOf(production)).toBe('otlp');
    expect(exporterOf({ ...production, OTEL_TRACES_EXPORTER: 'none' })).toBe('none');
  });

  it('stops the start with one line naming a bad variable', () => {
    expect(() => configFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    expect(() => configFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/^OTEL_TRACES_EXPORTER /);
    expect(() => configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
    expect(() => configFrom({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/^OTEL_TRACES_SAMPLER_ARG /);
    expect(() => configFrom({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0' })).toThrow(/^OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be at least 1/);
  });
});
