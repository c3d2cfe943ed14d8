import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What is known about the request an outcome answers, beyond the outcome itself. The address is
 * kept masked and the user agent truncated from the start, so neither is ever held in full here.
 */
export interface AuditContext {
  resetId?: string;
  userId?: string;
  /** Masked (`j***@example.com`). */
  email?: string;
  clientIp?: string;
  userAgent?: string;
}

const storage = new AsyncLocalStorage<AuditContext>();

/**
 * Runs `work` in an audit scope of its own: what the handler notes with `noteAudit`, and the
 * outcomes published while it runs, share one context, apart from every other message in flight.
 */
export function withAuditScope<T>(work: () => Promise<T>): Promise<T> {
  return storage.run({}, work);
}

/** Adds what became known (the decoded command, the user of an outcome) to the current scope; a field once set stays. */
export function noteAudit(fields: AuditContext): void {
  const scope = storage.getStore();
  if (!scope) return;
  for (const [key, value] of Object.entries(fields) as Array<[keyof AuditContext, string | undefined]>) {
    if (value !== undefined && value !== '' && scope[key] === undefined) scope[key] = value;
  }
}

/** The current scope's context; empty outside a scope. */
export function currentAuditContext(): Readonly<AuditContext> {
  return storage.getStore() ?? {};
}
