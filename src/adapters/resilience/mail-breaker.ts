/** `open`: mail is refused at once, without touching SMTP; `half-open`: one probe is out. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * The SMTP circuit breaker as the rest of the service sees it: the inbox holds off fetching while
 * it holds back, and metrics and readiness report its state.
 */
export interface MailBreaker {
  readonly state: BreakerState;
  /**
   * True while the breaker is open and its probe is not yet due, or while the probe is out: work
   * fetched now could only be handed back. False once a probe is due, so a message gets through to
   * make it (an open breaker only half-opens when a mail is sent).
   */
  readonly holdingBack: boolean;
  /** Calls `listener` on every transition; `dispose()` stops it. */
  onStateChange(listener: (state: BreakerState) => void): { dispose(): void };
}
