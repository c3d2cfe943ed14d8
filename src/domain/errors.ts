/** The mail could not be handed over now, but may be later (connection refused, 4xx, breaker open). */
export class MailUnavailableError extends Error {
  override readonly name: string = 'MailUnavailableError';
  /**
   * When trying again makes sense, if the mailer knows (the circuit breaker's next probe): the
   * caller waits that long instead of its own, growing backoff, so mail held back by an outage
   * goes out as soon as the server is back.
   */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * The server took no mail for this one recipient now (greylisting, a full mailbox: a 4xx to RCPT TO
 * or to the message): retried with backoff like any unavailability, but says nothing about the
 * server, so it never counts towards opening the circuit breaker that all mail shares.
 */
export class RecipientDeferredError extends MailUnavailableError {
  override readonly name: string = 'RecipientDeferredError';
}
