import type { ResetEvent } from './events.js';

/**
 * `issued`: a code exists and its mail is on its way; `sent`: the SMTP server accepted it;
 * the rest are final.
 */
export type ResetState = ResetRecord['state'];

/** What the store keeps about one reset. It never holds a code, only its keyed digest. */
export type ResetRecord = PendingReset | ClosedReset | RejectedReset;

interface RecordOfReset {
  readonly resetId: string;
  readonly userId: string;
  /** The outcome already reported for the request, replayed as it is on a repeat. */
  readonly outcome?: ResetEvent;
}

/** A reset whose code was made: what that code was made with is always known. */
interface ResetWithCode extends RecordOfReset {
  readonly keyId: string;
  readonly expiresAt: number;
  readonly triesLeft: number;
  /** When the first code of this reset was made: the delivery budget counts from here. */
  readonly issuedAt: number;
  readonly mailAttempts: number;
  /**
   * A mail of this reset failed and none was accepted since (`CodeStore.abandon`), unless an
   * instance died between an accepted mail and its outcome.
   */
  readonly unmailed?: boolean;
}

/** Its code can still be used. */
export interface PendingReset extends ResetWithCode {
  readonly state: 'issued' | 'sent';
  readonly digest: string;
}

/**
 * Its code was made but can be used no more: used, locked, displaced by a newer reset, or never
 * delivered. The digest is forgotten, except after a failed delivery, where no one has the code.
 */
export interface ClosedReset extends ResetWithCode {
  readonly state: 'completed' | 'locked' | 'superseded' | 'failed';
  readonly digest?: string;
}

/** Refused before any code was made; the refusal is its outcome. */
export interface RejectedReset extends RecordOfReset {
  readonly state: 'rejected';
  readonly outcome: ResetEvent;
}

export const isPending = (record: ResetRecord): record is PendingReset => record.state === 'issued' || record.state === 'sent';
