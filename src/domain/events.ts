/**
 * The facts resetd reports. `sequence` tells apart two events of one name for one reset; with the
 * reset id and the name it determines the published event's id, so a re-publish is a duplicate.
 */
export type ResetEvent =
  | Fact<'reset.code.sent', { resetId: string; userId: string; expiresAt: string }>
  | Fact<'reset.rejected', RejectedData>
  | Fact<'reset.delivery.failed', DeliveryFailedData>
  | Fact<'reset.verification.failed', VerificationFailedData>
  | Fact<'reset.completed', { resetId: string; userId: string; completedAt: string }>
  | Fact<'reset.notice.sent', { resetId: string; userId: string }>;

export interface Fact<Name extends string, Data> {
  readonly name: Name;
  readonly sequence: string;
  readonly data: Data;
}

export type RejectionReason = 'rate_limited' | 'cooldown' | 'invalid_request';

export interface RejectedData {
  resetId: string;
  eventId: string;
  userId?: string;
  reason: RejectionReason;
  retryAfterSeconds?: number;
  detail: string;
}

export type DeliveryFailureReason = 'smtp_permanent' | 'smtp_retries_exhausted';

export interface DeliveryFailedData {
  resetId: string;
  userId: string;
  reason: DeliveryFailureReason;
  attempts: number;
}

export type VerificationFailureReason = 'invalid_code' | 'expired' | 'locked' | 'unknown_reset' | 'superseded';

export interface VerificationFailedData {
  resetId: string;
  userId?: string;
  reason: VerificationFailureReason;
  attemptsRemaining: number;
}

export type ResetEventName = ResetEvent['name'];

export type RejectedEvent = Extract<ResetEvent, { name: 'reset.rejected' }>;

/** A reset's one `reset.code.sent`: its code mailed, valid until `expiresAt` (ms). */
export function codeSent(resetId: string, userId: string, expiresAt: number): ResetEvent {
  return { name: 'reset.code.sent', sequence: '0', data: { resetId, userId, expiresAt: new Date(expiresAt).toISOString() } };
}

/** A mail given up; `sequence` is '0' for a reset's code, the notice's own for a notice. */
export function deliveryFailed(sequence: string, data: DeliveryFailedData): ResetEvent {
  return { name: 'reset.delivery.failed', sequence, data };
}
