import { CliError, EXIT } from './cli-error.js';

/** Where the commands write: the process's streams, or a test's buffers. */
export interface CliOutput {
  /** A line (or lines) of the command's result, to stdout. */
  out(text: string): void;
  /** Progress and failures, to stderr, so stdout stays clean for pipes. */
  err(text: string): void;
  /** Aborted, with the write's error, once stdout takes no more: a command waiting for more to print stops. */
  readonly closed?: AbortSignal;
}

/**
 * The process's streams. A write that fails ends the output, not the process with an unhandled
 * 'error' and its stack: `closed` aborts and nothing more is written (see `stdoutFailure`).
 */
export class ProcessOutput implements CliOutput {
  private readonly ended = new AbortController();
  readonly closed: AbortSignal = this.ended.signal;

  constructor(
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    stdout.on('error', (error: Error) => this.ended.abort(error));
    // A failure to write progress or a failure has nowhere left to be told.
    stderr.on('error', () => undefined);
  }

  out(text: string): void {
    if (!this.closed.aborted) this.stdout.write(asLine(text));
  }

  err(text: string): void {
    this.stderr.write(asLine(text));
  }
}

/**
 * How a stdout that failed with `reason` ends the CLI. EPIPE is its reader gone after reading what
 * it wanted (`resetd watch | head -1`): no failure, so undefined, as Unix tools end then. Anything
 * else (a full disk) lost output: a CliError to tell, exit 1.
 */
export function stdoutFailure(reason: unknown): CliError | undefined {
  if ((reason as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return undefined;
  return new CliError(`cannot write to standard output: ${reason instanceof Error ? reason.message : String(reason)}`, EXIT.failed, { cause: reason });
}

const asLine = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
