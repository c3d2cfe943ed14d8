import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  halfJitterGenerator,
  handleType,
  isBrokenCircuitError,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { MailUnavailableError } from '../../domain/errors.js';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import type { BreakerState, MailBreaker } from './mail-breaker.js';

export interface MailResilienceOptions {
  /** Tries per mail within one handling of its message, the first included; 1 retries nothing here. */
  readonly attempts: number;
  /**
   * The first wait between tries; each later one doubles, up to the maximum. Each wait is drawn
   * between half and all of that (half jitter), so instances do not retry in step and no retry is
   * immediate.
   */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Consecutive failed tries (across all mails) that open the breaker. */
  readonly breakerThreshold: number;
  /** How long the breaker stays open before it lets one send through as a probe. */
  readonly halfOpenAfterMs: number;
}

/**
 * Decorates a `Mailer` with cockatiel policies: a few short retries of transient failures
 * (`MailUnavailableError`), inside a consecutive-failure circuit breaker. A permanent refusal is a
 * value, not a failure: it passes through at once and counts as the server answering. Waiting
 * longer than a few seconds is JetStream redelivery's job, not this one's.
 */
export class ResilientMailer implements Mailer {
  readonly breaker: MailBreaker;
  private readonly policy: IPolicy;

  constructor(
    private readonly inner: Mailer,
    options: MailResilienceOptions,
    log: Logger,
  ) {
    const transient = handleType(MailUnavailableError);
    const breaker = circuitBreaker(transient, {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    // Retry outside the breaker: each try counts towards opening it, and once it is open the
    // remaining tries fail at once (BrokenCircuitError is not retried).
    const retries = retry(transient, {
      maxAttempts: Math.max(0, options.attempts - 1),
      backoff: new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: options.initialBackoffMs, maxDelay: options.maxBackoffMs }),
    });
    this.policy = wrap(retries, breaker);
    this.breaker = new CockatielMailBreaker(breaker, options.halfOpenAfterMs);
    this.breaker.onStateChange((state) => logTransition(log, state, breaker, options));
  }

  async send(mail: OutboundMail): Promise<MailResult> {
    try {
      return await this.policy.execute(() => this.inner.send(mail));
    } catch (error) {
      if (isBrokenCircuitError(error)) {
        throw new MailUnavailableError('circuit open: the SMTP server failed too often; not tried now', { cause: error });
      }
      throw error;
    }
  }
}

class CockatielMailBreaker implements MailBreaker {
  /** When the breaker last opened; cockatiel times its own half-open from Date.now() too. */
  private openedAt = 0;

  constructor(
    private readonly policy: CircuitBreakerPolicy,
    private readonly halfOpenAfterMs: number,
  ) {
    policy.onBreak(() => (this.openedAt = Date.now()));
  }

  get state(): BreakerState {
    return stateName(this.policy.state);
  }

  get holdingBack(): boolean {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return false;
      case CircuitState.Open:
        return Date.now() - this.openedAt < this.halfOpenAfterMs;
      case CircuitState.HalfOpen:
      case CircuitState.Isolated:
        return true;
    }
  }

  onStateChange(listener: (state: BreakerState) => void): { dispose(): void } {
    return this.policy.onStateChange((state) => listener(stateName(state)));
  }
}

function stateName(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Open:
    case CircuitState.Isolated:
      return 'open';
  }
}

function logTransition(log: Logger, state: BreakerState, policy: CircuitBreakerPolicy, options: MailResilienceOptions): void {
  switch (state) {
    case 'open': {
      const failure = policy.lastFailure;
      const cause = failure && 'error' in failure ? failureCode(failure.error) : undefined;
      log.warn({ breaker: state, probeAfterMs: options.halfOpenAfterMs, cause }, 'SMTP circuit opened');
      return;
    }
    case 'half-open':
      log.info({ breaker: state }, 'SMTP circuit half-open; probing');
      return;
    case 'closed':
      log.info({ breaker: state }, 'SMTP circuit closed');
      return;
  }
}

/** The failure's code and SMTP reply code only: an SMTP reply's text may name the recipient. */
function failureCode(error: Error): string {
  const cause = (error.cause ?? error) as { code?: unknown; responseCode?: unknown; name?: unknown };
  const code = typeof cause.code === 'string' ? cause.code : String(cause.name ?? error.name);
  return typeof cause.responseCode === 'number' ? `${code} ${cause.responseCode}` : code;
}
