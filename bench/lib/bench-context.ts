import type { LoadDriver, Progress } from './load.js';
import type { NodeProcess } from './processes.js';

/** What a figure needs of the running bench: the caller, a way to start resetd, the other processes. */
export interface Bench {
  readonly driver: LoadDriver;
  readonly say: Progress;
  /** A directory for logs and profiles, removed at the end unless `--keep`. */
  readonly tmp: string;
  readonly warmup: number;
  readonly window: number;
  /** resetd as the bench runs it (tracing off), on the subjects and keys of `prefix`, with `extra` environment and node flags. */
  startService(name: string, prefix: string, extra?: Record<string, string>, extraNodeArgs?: string[]): Promise<NodeProcess>;
  /** The limit pipeline as (3) runs it, on the subjects and keys of `prefix`; once (7) has counted resetd's round trips. */
  startLimit(name: string, prefix: string): Promise<NodeProcess>;
  /** SMTP connections the sink has taken so far, from every sender. */
  smtpConnections(): Promise<number>;
  /** The pids of NATS, Redis, the SMTP sink and the bench, to show what they spent meanwhile. */
  processes(): Record<string, number>;
  /** Something to undo if the bench stops early (a server it started). */
  onExit(cleanup: () => Promise<void>): void;
}
