/** A user asked to reset their password; `resetId` is the request event's id. */
export interface ResetRequest {
  resetId: string;
  userId: string;
  email: string;
  locale?: string;
  displayName?: string;
  clientIp?: string;
  userAgent?: string;
}

/** A code the user typed, from `reset.code.submitted` (with its event id) or `reset.verify` (without). */
export interface CodeSubmission {
  resetId: string;
  code: string;
  clientIp?: string;
  /** The submitting event's id: a redelivery of the same submission spends no second try. */
  submissionId?: string;
}

/** The message carrying a command, as far as the domain needs to know it. */
export interface Delivery {
  /** Names the message across its redeliveries: a redelivery may take over its own earlier lease. */
  readonly messageId: string;
  /** True when the transport will not deliver this message again. */
  readonly final: boolean;
}

/** The auth service set a new password (`reset.password.changed`): the user is to be told. */
export interface PasswordChange {
  /** The change event's id: one notice per id, however often the event arrives. */
  readonly noticeId: string;
  /** The reset that led to the change, if any; the outcome names it, else `noticeId`. */
  readonly resetId?: string;
  readonly userId: string;
  readonly email: string;
  readonly locale?: string;
  readonly displayName?: string;
  /** When the password was changed (milliseconds since the epoch); unknown: when first handled. */
  readonly changedAt?: number;
  readonly clientIp?: string;
}
