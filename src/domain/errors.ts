/** The mail could not be handed over now, but may be later (connection refused, 4xx, breaker open). */
export class MailUnavailableError extends Error {
  override readonly name = 'MailUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
