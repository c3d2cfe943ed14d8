import { INVALID_SPAN_CONTEXT, ProxyTracerProvider, SpanStatusCode, trace, type Attributes, type Context, type Span, type SpanKind } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { maskEmailsIn } from './mask-email.js';
import { activeContext, runInContext } from './message-context.js';

/** resetd's tracer, from the global API: a no-op until `setUpTelemetry` registers a provider. */
export const tracer = trace.getTracer('resetd');

/**
 * Runs `work` inside a new span, child of `parent` (the active context unless given), and ends the
 * span when `work` settles; the span's context is active for `work`'s synchronous part. A throw
 * marks the span as failed and is rethrown. Under an active span that is not recorded (tracing
 * off, or the trace not sampled) no child is made: it would not be recorded either, and the
 * active span's context is what travels on.
 */
export async function inSpan<T>(
  name: string,
  options: { kind: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? activeContext();
  // No provider (tracing off): a span would record nothing, and the parent's context travels on as it is.
  if (!spansRecorded()) return runInContext(parent, work, trace.getSpan(parent) ?? NOTHING_RECORDED);
  const active = options.parent === undefined ? trace.getSpan(parent) : undefined;
  if (active && !active.isRecording()) return work(active);
  const span = tracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  try {
    return await runInContext(trace.setSpan(parent, span), work, span);
  } catch (error) {
    recordFault(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** What the global provider delegates to until `setUpTelemetry` registers one: the API's no-op. */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();
const NOTHING_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Whether a tracer provider is registered (tracing on); without one every span is a no-op. */
function spansRecorded(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER;
}

/**
 * Marks a span as failed by `error`. The message is kept, with any address in it masked (an SMTP
 * reply may echo the recipient); nothing else of the error object is, so no field of it can leak.
 */
export function recordFault(span: Span, error: unknown): void {
  const name = error instanceof Error ? error.name : 'Error';
  const message = maskEmailsIn(error instanceof Error ? error.message : String(error));
  span.recordException({ name, message });
  span.setAttribute(ATTR_ERROR_TYPE, name);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
