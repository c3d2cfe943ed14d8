import { randomBytes } from 'node:crypto';

/** A client's own span, as a W3C `traceparent` header would carry it (sampled). */
export function aClientSpan(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The trace and parent span ids a `traceparent` header names. */
export function parseTraceparent(header: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header ?? '');
  return match ? { traceId: match[1]!, spanId: match[2]! } : undefined;
}
