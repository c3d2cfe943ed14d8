export interface RoundTripProbeTiming {
  /** How often a round trip is sent, when none is out. */
  readonly intervalMs: number;
  /** How long one may be out before the server counts as not answering. */
  readonly overdueMs: number;
}

/** A hung server shows within interval + overdue: 1.5 s, inside the contract's 2 s for `/readyz`. */
export const PROBE_TIMING: RoundTripProbeTiming = { intervalMs: 500, overdueMs: 1_000 };

/**
 * Whether a server answers on a connection that is open: one cheap round trip (a PING) every
 * `intervalMs`, never two at once. A server that hangs without closing the connection (frozen,
 * partitioned) keeps the client's own state "connected" for minutes, or for ever. Not answering
 * while a round trip has been out over `overdueMs`, or since one failed, until one is answered.
 * It only watches: the connection is left to the client's own timeouts, so a slow moment (a busy
 * event loop, a GC pause) costs a moment of readiness, never a reconnection.
 */
export class RoundTripProbe {
  private sentAt: number | undefined;
  private failed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly roundTrip: () => Promise<unknown>,
    /** Milliseconds of a monotonic clock: a step of the wall clock must not flip readiness. */
    private readonly now: () => number = () => performance.now(),
    private readonly timing: RoundTripProbeTiming = PROBE_TIMING,
  ) {
    // Unref'd: a probe never keeps the process alive.
    this.timer = setInterval(() => this.send(), timing.intervalMs).unref();
    this.send();
  }

  answering(): boolean {
    if (this.failed) return false;
    return this.sentAt === undefined || this.now() - this.sentAt <= this.timing.overdueMs;
  }

  /** Sends no more round trips; one still out settles unobserved. */
  stop(): void {
    clearInterval(this.timer);
  }

  private send(): void {
    if (this.sentAt !== undefined) return;
    this.sentAt = this.now();
    // A failure (a closed connection, an error reply, the client's own timeout) is no answer; it
    // is caught here and not logged: /readyz and its gauge say so.
    new Promise((resolve) => resolve(this.roundTrip())).then(
      () => this.settle(true),
      () => this.settle(false),
    );
  }

  private settle(answered: boolean): void {
    this.sentAt = undefined;
    this.failed = !answered;
  }
}
