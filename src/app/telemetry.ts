import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InstrumentType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { SynchronousContextManager } from '../adapters/otel/message-context.js';
import { ResetMetrics } from '../adapters/otel/reset-metrics.js';
import type { TracingConfig } from './config.js';
import { LogThrottle } from '../adapters/system/log-throttle.js';

/** What the rest of the service needs from telemetry: the metric instruments and their exposition. */
export interface Observability {
  readonly metrics: ResetMetrics;
  /** Answers a scrape with the Prometheus text of every metric. */
  readonly serveMetrics?: (request: IncomingMessage, response: ServerResponse) => void;
}

export interface Telemetry extends Observability {
  /** Where finished spans go; undefined when `OTEL_TRACES_EXPORTER=none`. */
  readonly spanExporter: SpanExporter | undefined;
  /** The span processors made; none when `OTEL_TRACES_EXPORTER=none`. */
  readonly spanProcessors: readonly SpanProcessor[];
  readonly serveMetrics: (request: IncomingMessage, response: ServerResponse) => void;
  /** Sends the spans still buffered, then stops tracing and metrics and forgets the global set-up. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly tracing: TracingConfig;
  readonly log?: Logger;
  /** Tests: send spans here, one at a time as they end, instead of what the configuration says. */
  readonly spanExporter?: SpanExporter;
}

/**
 * Sets up OpenTelemetry once for the process: W3C trace context and the message context
 * (`SynchronousContextManager`, no AsyncLocalStorage), always (so a client's trace context reaches
 * the events even when nothing is recorded here); and unless the exporter is `none`, a tracer provider with a batching OTLP/HTTP (protobuf or JSON) or
 * console exporter (Redis commands are traced where they are sent: `inRedisSpan`). The SDK reads
 * the standard `OTEL_*` variables for the endpoint and the sampler itself. Metrics are always kept, for `/metrics`.
 */
export function setUpTelemetry(options: TelemetryOptions): Telemetry {
  const { tracing, log } = options;
  if (log) diag.setLogger(diagToPino(log), DiagLogLevel.WARN);
  context.setGlobalContextManager(new SynchronousContextManager());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = defaultResource().merge(
    resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName, 'service.instance.id': `${hostname()}:${process.pid}` }),
  );

  const spanExporter = options.spanExporter ?? createSpanExporter(tracing);
  const spanProcessors: SpanProcessor[] = [];
  let tracerProvider: NodeTracerProvider | undefined;
  if (spanExporter) {
    // Batching (OTEL_BSP_* tune it) keeps exporting off the path of a reset; a test's in-memory
    // exporter wants each span as soon as it ends.
    spanProcessors.push(
      options.spanExporter ? new SimpleSpanProcessor(spanExporter) : new BatchSpanProcessor(spanExporter, { maxExportBatchSize: tracing.exportBatchSize }),
    );
    tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
    trace.setGlobalTracerProvider(tracerProvider);
  }

  const prometheus = new FreshGaugesPrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });

  return {
    spanExporter,
    spanProcessors,
    metrics: new ResetMetrics(meterProvider.getMeter('resetd')),
    serveMetrics: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    async shutdown() {
      // A collector that does not answer must not hold the exit up for the exporter's 30 s.
      const flushed = Promise.allSettled([tracerProvider?.shutdown(), meterProvider.shutdown()]);
      await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref())]);
      trace.disable();
      propagation.disable();
      context.disable();
      diag.disable();
    },
  };
}

const SHUTDOWN_TIMEOUT_MS = 3_000;

/**
 * The Prometheus exporter with each gauge as it was read at this scrape. Under the exporter's
 * cumulative temporality the SDK keeps every series it has reported, so a gauge whose source could
 * not be read (the inbox backlog while NATS is away) showed its last value for as long as the
 * outage lasted, and the alert on its absence never fired.
 */
class FreshGaugesPrometheusExporter extends PrometheusExporter {
  override selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return instrumentType === InstrumentType.OBSERVABLE_GAUGE ? AggregationTemporality.DELTA : super.selectAggregationTemporality(instrumentType);
  }
}

function createSpanExporter(tracing: TracingConfig): SpanExporter | undefined {
  switch (tracing.exporter) {
    case 'none':
      return undefined;
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      return tracing.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  }
}

/**
 * OpenTelemetry's own complaints (an export that failed) as log lines: the same complaint at most
 * once a minute at warn, so an absent collector is reported without a line every few seconds.
 */
function diagToPino(log: Logger) {
  const child = log.child({ component: 'otel' });
  const warnings = new LogThrottle(DIAG_WARN_EVERY_MS);
  const write = (level: 'warn' | 'debug') => (raw: string, ...args: unknown[]) => {
    const message = readableDiag(raw);
    const detail = args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' ') || undefined;
    const loud = level === 'warn' && warnings.pass(message) !== undefined;
    child[loud ? 'warn' : 'debug']({ detail }, message);
  };
  return { error: write('warn'), warn: write('warn'), info: write('debug'), debug: write('debug'), verbose: write('debug') };
}

const DIAG_WARN_EVERY_MS = 60_000;

/** The SDK reports a failed export as the error serialised to JSON; its message is what matters. */
function readableDiag(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const error = JSON.parse(message) as { message?: unknown };
    return typeof error.message === 'string' ? `OpenTelemetry: ${error.message}` : message;
  } catch {
    return message;
  }
}
