/**
 * The longest a drain takes with the default settings: a message in flight ends with its mail, at
 * most 3 SMTP tries (SMTP_RETRY_ATTEMPTS) of up to 30 s of silence each (the socket timeout), plus
 * the waits between. A supervisor's grace period must be longer (docs/operations.md, Signals);
 * against an SMTP server stalling at MAIL FROM a drain took 89 s.
 */
export const WORST_DRAIN_SECONDS = 3 * 30 + 5;
