import { createContextKey, type Context } from '@opentelemetry/api';
import { activeContext } from '../otel/message-context.js';

/**
 * What is known about the request an outcome answers, beyond the outcome itself. The address is
 * kept masked and the user agent truncated from the start, so neither is ever held in full here.
 */
export interface AuditContext {
  resetId?: string;
  userId?: string;
  /** Masked (`j***@example.com`). */
  email?: string;
  /** As the request gave it. */
  clientIp?: string;
  /** The address the per-IP limits counted the request under (`clientIpKey`); only a request is counted. */
  clientIpKey?: string;
  userAgent?: string;
}

const SCOPE = createContextKey('resetd audit scope');

/**
 * `context` with an audit scope of its own, starting from what is `known` (the decoded command):
 * what is noted with `noteAudit` in it, and the outcomes published in it, share one record of the
 * request, apart from every other message in flight.
 */
export function withAuditScope(context: Context, known: AuditContext = {}): Context {
  const fresh: AuditContext = {};
  noteInto(fresh, known);
  return context.setValue(SCOPE, fresh);
}

/** Adds what became known (the decoded command, the user of an outcome) to the scope of `context`; a field once set stays. */
export function noteAudit(fields: AuditContext, context: Context = activeContext()): void {
  const scope = context.getValue(SCOPE) as AuditContext | undefined;
  if (scope) noteInto(scope, fields);
}

function noteInto(target: AuditContext, fields: AuditContext): void {
  for (const [key, value] of Object.entries(fields) as Array<[keyof AuditContext, string | undefined]>) {
    if (value !== undefined && value !== '' && target[key] === undefined) target[key] = value;
  }
}

/** The audit scope of `context`; empty outside a scope. */
export function auditContextOf(context: Context): Readonly<AuditContext> {
  return (context.getValue(SCOPE) as AuditContext | undefined) ?? {};
}
