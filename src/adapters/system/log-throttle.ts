/**
 * Lets a log line of each kind through at most once an interval, so a fault met by every request
 * of a flood (Redis down under a burst of `reset.verify`) is one line a minute, not one a request;
 * the line that passes says how many were held back since the last.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; heldBack: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The lines of `kind` held back since the last that passed, if this one may pass; else undefined. */
  pass(kind: string): number | undefined {
    const now = this.now();
    const last = this.last.get(kind);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.heldBack += 1;
      return undefined;
    }
    this.last.set(kind, { at: now, heldBack: 0 });
    return last?.heldBack ?? 0;
  }
}
