import type { ResetEvent } from './events.js';

/**
 * `issued`: a code exists and its mail is on its way; `sent`: the SMTP server accepted it;
 * the rest are final.
 */
export type ResetState = 'issued' | 'sent' | 'completed' | 'locked' | 'superseded' | 'rejected' | 'failed';

/** What the store keeps about one reset. It never holds a code, only its keyed digest. */
export interface ResetRecord {
  readonly resetId: string;
  readonly userId: string;
  readonly state: ResetState;
  readonly digest?: string;
  readonly keyId?: string;
  readonly expiresAt?: number;
  readonly triesLeft?: number;
  /** When the first code of this reset was made: the delivery budget counts from here. */
  readonly issuedAt?: number;
  readonly mailAttempts?: number;
  /** The outcome already reported for the request, replayed as it is on a repeat. */
  readonly outcome?: ResetEvent;
}

export const isPending = (state: ResetState): boolean => state === 'issued' || state === 'sent';
