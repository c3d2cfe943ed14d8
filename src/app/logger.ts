import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskEmailsIn } from '../adapters/otel/mask-email.js';
import { activeContext } from '../adapters/otel/message-context.js';

/**
 * JSON logs to stdout. Nothing that could carry a code or an address is logged by design; the
 * redaction and the masking of addresses in every written line (an SMTP reply quoted in an error
 * may name the recipient) are a second line of defence. A line written inside a span names the
 * span, so logs and traces join up.
 */
export function createLogger(level: string, name = 'resetd', destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      // ioredis puts the failed command on its error: a script's arguments hold code digests and user ids.
      paths: ['code', '*.code', 'email', '*.email', 'to', '*.to', 'err.command.args', 'err.cause.command.args', '*.err.command.args'],
      // An error's code (ECONNREFUSED, ERR_TLS_CERT_ALTNAME_INVALID, 503) says why a server failed
      // and is kept; any other `code`, and an error's that could be a one-time code, is not.
      censor: (value: unknown, path: string[]) => (path.length === 2 && path[0] === 'err' && path[1] === 'code' && isErrorCode(value) ? value : '[redacted]'),
    },
    mixin: traceFields,
    hooks: { streamWrite: maskEmailsIn },
  };
  return destination ? pino(options, destination) : pino(options);
}

function isErrorCode(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 1_000;
  return typeof value === 'string' && /^[A-Z][A-Z0-9_]*$/.test(value) && !/\d{4}/.test(value);
}

function traceFields(): Record<string, string> {
  const span = trace.getSpan(activeContext());
  if (!span) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId, trace_flags: `0${context.traceFlags.toString(16)}`.slice(-2) };
}
