import { maskEmail } from '../otel/mask-email.js';
import type { Inbound } from './decode-inbound.js';
import type { AuditContext } from '../audit/audit-context.js';

const MAX_USER_AGENT = 128;

/** What a decoded command tells the audit trail: never a code, the address masked, the user agent cut short. */
export function auditFieldsOf(inbound: Inbound): AuditContext {
  switch (inbound.kind) {
    case 'requested': {
      const { request } = inbound;
      return {
        resetId: request.resetId,
        userId: request.userId,
        email: maskEmail(request.email),
        clientIp: request.clientIp,
        userAgent: truncate(request.userAgent),
      };
    }
    case 'submitted':
      return { resetId: inbound.submission.resetId, clientIp: inbound.submission.clientIp };
    case 'passwordChanged': {
      const { change } = inbound;
      return { resetId: change.resetId ?? change.noticeId, userId: change.userId, email: maskEmail(change.email), clientIp: change.clientIp };
    }
    case 'invalid': {
      const data = inbound.rejection.data as { resetId: string; userId?: string };
      return { resetId: data.resetId, userId: data.userId };
    }
  }
}

/** At most 128 characters, counted in code points so nothing is cut in half. */
function truncate(userAgent: string | undefined): string | undefined {
  if (userAgent === undefined) return undefined;
  const points = Array.from(userAgent);
  return points.length <= MAX_USER_AGENT ? userAgent : points.slice(0, MAX_USER_AGENT).join('');
}
