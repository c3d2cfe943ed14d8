import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/app/config.js';
import { setUpTelemetry, type Telemetry } from '../../../src/app/telemetry.js';

const configFrom = (env: Record<string, string>) => loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', ...env });

describe('telemetry set-up from the OTEL_* variables', () => {
  let telemetry: Telemetry | undefined;

  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
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
    expect(spanExporter).toBeInstanceOf(OTLPTraceExporter);
    expect(spanProcessors).toHaveLength(1);
    expect(spanProcessors[0]).toBeInstanceOf(BatchSpanProcessor);
    expect(trace.getTracer('test').startSpan('recorded').isRecording()).toBe(true);
  });

  it('writes spans to the console with OTEL_TRACES_EXPORTER=console', () => {
    expect(setUp({ OTEL_TRACES_EXPORTER: 'console' }).spanExporter).toBeInstanceOf(ConsoleSpanExporter);
  });

  it('honours OTEL_TRACES_SAMPLER', () => {
    setUp({ OTEL_TRACES_SAMPLER: 'always_off' });
    expect(trace.getTracer('test').startSpan('dropped').isRecording()).toBe(false);
  });
});

describe('the OTEL_* configuration', () => {
  it('sends to <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces, or to the traces endpoint as given', () => {
    expect(configFrom({}).tracing).toEqual({ exporter: 'otlp', otlpUrl: 'http://localhost:4318/v1/traces', sampler: 'parentbased_always_on', samplerArg: 1 });
    expect(configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).tracing.otlpUrl).toBe('http://jaeger:4318/v1/traces');
    expect(
      configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp' }).tracing.otlpUrl,
    ).toBe('https://traces.example/otlp');
    expect(configFrom({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing).toMatchObject({ samplerArg: 0.25 });
  });

  it('stops the start with one line naming a bad variable', () => {
    expect(() => configFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    expect(() => configFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/^OTEL_TRACES_EXPORTER /);
    expect(() => configFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
    expect(() => configFrom({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/^OTEL_TRACES_SAMPLER_ARG /);
  });
});
