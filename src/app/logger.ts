import { pino, type Logger } from 'pino';

/**
 * JSON logs to stdout. Nothing that could carry a code or an address is logged by design; the
 * redaction is a second line of defence for fields a future change might add.
 */
export function createLogger(level: string, name = 'resetd'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['code', '*.code', 'email', '*.email', 'to', '*.to'], censor: '[redacted]' },
  });
}
