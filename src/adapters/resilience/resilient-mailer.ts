import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleType,
  handleWhen,
  isBrokenCircuitError,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { MailUnavailableError, RecipientDeferredError } from '../../domain/errors.js';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import { maskEmail, maskEmailsIn } from '../otel/mask-email.js';
import { activeContext, runInContext } from '../otel/message-context.js';
import { SmtpConfigurationError } from '../smtp/smtp-failure.js';
import { backoffRetry, type RetryOptions } from './backoff-retry.js';
import type { BreakerState, MailBreaker } from './mail-breaker.js';

/** Tries per mail within one handling of its message (`attempts`), then the breaker's settings. */
export interface MailResilienceOptions extends RetryOptions {
  /** Consecutive failed tries (across all mails) that open the breaker. */
  readonly breakerThreshold: number;
  /** How long the breaker stays open before it lets one send through as a probe. */
  readonly halfOpenAfterMs: number;
  /**
   * With a server check given: how long an open breaker waits for a mail to probe it before the
   * check probes it instead (never sooner than `halfOpenAfterMs`; default 5 s).
   */
  readonly idleProbeAfterMs?: number;
}

/**
 * Checks the server without sending (connect, TLS, login); rejects as a send to a server that is
 * not usable would (`MailUnavailableError`, `SmtpConfigurationError`).
 */
export type ServerCheck = () => Promise<void>;

/** What the mailer writes to, as its lines name it, and how to probe it while no mail does. */
export interface MailServer {
  readonly name: 'SMTP' | 'outbox';
  /**
   * Probes an open breaker that no mail has probed: without it, an instance with nothing to send
   * stays open (and not ready) after the server is back, until its next mail.
   */
  readonly check?: ServerCheck;
}

const IDLE_PROBE_AFTER_MS = 5_000;

/** The waits between a mail's tries: 100–200 ms, then 200–400 ms, capped at 2 s (operations.md). */
export const MAIL_BACKOFF = { initialBackoffMs: 200, maxBackoffMs: 2_000 } as const;

/**
 * Decorates a `Mailer` with cockatiel policies: a few short retries of transient failures
 * (`MailUnavailableError`), inside a consecutive-failure circuit breaker. Only the server's
 * failures count towards opening the breaker: a recipient's deferral (`RecipientDeferredError`)
 * is retried the same way but is the server answering, as is a permanent refusal, which is a
 * value and passes through at once. Waiting longer than a few seconds is JetStream redelivery's
 * job, not this one's; while the breaker is open, a failure says when its next probe is due, so
 * held-back mail is tried again just after it rather than after its own growing backoff.
 */
export class ResilientMailer implements Mailer {
  readonly breaker: CockatielMailBreaker;
  private readonly policy: IPolicy;
  private idleProbe: NodeJS.Timeout | undefined;

  constructor(
    /** Closed with this one (the SMTP pool) where it can be. */
    private readonly inner: Mailer & { close?(): void },
    options: MailResilienceOptions,
    private readonly log: Logger,
    private readonly server: MailServer = { name: 'SMTP' },
  ) {
    const transient = handleType(MailUnavailableError);
    const serverFault = handleWhen((error) => error instanceof MailUnavailableError && !(error instanceof RecipientDeferredError));
    const breaker = circuitBreaker(serverFault, {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    // Retry outside the breaker: each try counts towards opening it, and once it is open the
    // remaining tries fail at once (BrokenCircuitError is not retried).
    const retries = backoffRetry(transient, options);
    this.policy = wrap(retries, breaker);
    this.breaker = new CockatielMailBreaker(breaker, options.halfOpenAfterMs);
    this.breaker.onStateChange((state) => logTransition(log, server.name, state, breaker, options));
    const { check } = server;
    if (check) {
      const idleMs = Math.max(options.halfOpenAfterMs, options.idleProbeAfterMs ?? IDLE_PROBE_AFTER_MS);
      breaker.onBreak(() => this.probeWhenIdle(breaker, check, idleMs));
    }
  }

  /**
   * Each opening starts the wait again: a mail that probed meanwhile either closed the breaker or
   * opened it anew. Past the wait, the check goes through the breaker as its half-open probe.
   */
  private probeWhenIdle(breaker: CircuitBreakerPolicy, checkServer: ServerCheck, afterMs: number): void {
    clearTimeout(this.idleProbe);
    this.idleProbe = setTimeout(() => {
      if (breaker.state !== CircuitState.Open) return;
      // A failure opens the breaker again (and so comes back here); the transitions are logged.
      breaker.execute(checkServer).catch(() => undefined);
    }, afterMs);
    // A server still away must not keep a stopping process alive.
    this.idleProbe.unref();
  }

  async send(mail: OutboundMail): Promise<MailResult> {
    // A retry starts after an await: it goes back into the message's context, taken now.
    const context = activeContext();
    let result: MailResult;
    try {
      result = await this.policy.execute(() => runInContext(context, () => this.inner.send(mail)));
    } catch (error) {
      if (isBrokenCircuitError(error)) {
        throw new MailUnavailableError(`circuit open: ${this.server.name === 'SMTP' ? 'the SMTP server' : 'the outbox'} failed too often; not tried now`, { cause: error, retryAfterMs: this.breaker.probeDueInMs() });
      }
      if (error instanceof MailUnavailableError && !(error instanceof RecipientDeferredError) && this.breaker.state !== 'closed') {
        throw new MailUnavailableError(error.message, { cause: error, retryAfterMs: this.breaker.probeDueInMs() });
      }
      throw error;
    }
    if (result.kind === 'refused') {
      // The one trace of why a reset ended as smtp_permanent; the reply often repeats the address.
      const { reply } = result;
      runInContext(context, () => this.log.warn({ resetId: mail.resetId, to: maskEmail(mail.to), reply: maskEmailsIn(reply) }, 'SMTP server refused the mail for good'));
    }
    return result;
  }

  close(): void {
    clearTimeout(this.idleProbe);
    this.inner.close?.();
  }
}

/** Mail held back by an open breaker waits for the probe plus 0.5–1.5 times this, so instances do not all return at once. */
const PROBE_JITTER_MS = 500;

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

  /**
   * How long until trying again is worth it: until the probe is due, or a moment while it is out
   * (it settles in one exchange with the server), plus jitter.
   */
  probeDueInMs(): number {
    const untilProbe = this.policy.state === CircuitState.Open ? Math.max(0, this.openedAt + this.halfOpenAfterMs - Date.now()) : 0;
    return untilProbe + Math.round(PROBE_JITTER_MS / 2 + Math.random() * PROBE_JITTER_MS);
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

function logTransition(log: Logger, name: MailServer['name'], state: BreakerState, policy: CircuitBreakerPolicy, options: MailResilienceOptions): void {
  switch (state) {
    case 'open': {
      const failure = policy.lastFailure;
      const error = failure && 'error' in failure ? failure.error : undefined;
      const cause = error && failureCode(error);
      if (error instanceof SmtpConfigurationError) {
        // Not an outage that passes: no mail goes out until someone fixes the settings.
        const problem = error.failure.kind === 'login' ? 'the server refused the login' : 'the TLS check failed';
        log.error({ breaker: state, probeAfterMs: options.halfOpenAfterMs, cause, configuration: true, detail: maskEmailsIn(error.message) }, `${name} circuit opened: ${problem}, a configuration problem`);
        return;
      }
      log.warn({ breaker: state, probeAfterMs: options.halfOpenAfterMs, cause }, `${name} circuit opened`);
      return;
    }
    case 'half-open':
      log.info({ breaker: state }, `${name} circuit half-open; probing`);
      return;
    case 'closed':
      log.info({ breaker: state }, `${name} circuit closed`);
      return;
  }
}

/** The failure's code and SMTP reply code only: an SMTP reply's text may name the recipient. */
function failureCode(error: Error): string {
  const cause = (error.cause ?? error) as { code?: unknown; responseCode?: unknown; name?: unknown };
  const code = typeof cause.code === 'string' ? cause.code : String(cause.name ?? error.name);
  return typeof cause.responseCode === 'number' ? `${code} ${cause.responseCode}` : code;
}
