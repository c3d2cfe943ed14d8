import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey } from '@opentelemetry/api';

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
/** Used only where no OpenTelemetry context manager runs (some tests): an idle one costs nothing. */
const fallback = new AsyncLocalStorage<AuditContext>();

/**
 * The scope rides in the OpenTelemetry context, whose AsyncLocalStorage the service runs anyway:
 * a second one of its own would make every promise of every message pay a second hook.
 */
function scope(): AuditContext | undefined {
  return (context.active().getValue(SCOPE) as AuditContext | undefined) ?? fallback.getStore();
}

/**
 * Runs `work` in an audit scope of its own, starting from what is `known` (the decoded command):
 * what is noted with `noteAudit`, and the outcomes published while it runs, share one context,
 * apart from every other message in flight.
 */
export function withAuditScope<T>(work: () => Promise<T>, known: AuditContext = {}): Promise<T> {
  const fresh: AuditContext = {};
  noteInto(fresh, known);
  return context.with(context.active().setValue(SCOPE, fresh), () => (context.active().getValue(SCOPE) === fresh ? work() : fallback.run(fresh, work)));
}

/** Adds what became known (the decoded command, the user of an outcome) to the current scope; a field once set stays. */
export function noteAudit(fields: AuditContext): void {
  const current = scope();
  if (current) noteInto(current, fields);
}

function noteInto(target: AuditContext, fields: AuditContext): void {
  for (const [key, value] of Object.entries(fields) as Array<[keyof AuditContext, string | undefined]>) {
    if (value !== undefined && value !== '' && target[key] === undefined) target[key] = value;
  }
}

/** The current scope's context; empty outside a scope. */
export function currentAuditContext(): Readonly<AuditContext> {
  return scope() ?? {};
}
