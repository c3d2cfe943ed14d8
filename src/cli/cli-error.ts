import { ConfigError } from '../adapters/environment/config-error.js';
import { natsSettingsHint } from '../adapters/environment/nats-security.js';
import { InvalidRequestError, NatsUnreachableError, ServiceUnavailableError, UnverifiedReplyError, VerifyKeysRequiredError } from '../client/errors.js';

/** The CLI's exit codes: scripts can tell a refused reset from a server that is down. */
export const EXIT = {
  ok: 0,
  /** The reset did not go as asked: rejected, wrong code, no outcome in time. */
  failed: 1,
  /** Bad usage or a bad setting. */
  usage: 2,
  /** NATS, Redis or the service itself cannot be reached. */
  unreachable: 3,
} as const;

/** A failure the CLI explains in one line: its message is what to print. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Prints one line for a failure (what failed and what to check), or one a problem when its message
 * has several lines, as the service prints its configuration's, and returns the exit code; the
 * stack and causes only with `--verbose`.
 */
export function reportFailure(error: unknown, verbose: boolean, write: (line: string) => void): number {
  const { message, exitCode } = explain(error);
  for (const line of message.split('\n')) write(`resetd: ${line}\n`);
  if (verbose) {
    for (let e: unknown = error; e !== undefined; e = e instanceof Error ? e.cause : undefined) {
      write(`${e instanceof Error ? (e.stack ?? String(e)) : String(e)}\n`);
      if (!(e instanceof Error)) break;
    }
  }
  return exitCode;
}

function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof NatsUnreachableError) {
    const hint = error.failure === 'unreachable' ? 'check NATS_URL (or --nats) and that nats-server is running' : natsSettingsHint(error.failure);
    return { message: `${error.message}; ${hint}`, exitCode: EXIT.unreachable };
  }
  if (error instanceof ServiceUnavailableError) return { message: error.message, exitCode: EXIT.unreachable };
  // Not a usage error: the bus answered, but not with something resetd signed.
  if (error instanceof UnverifiedReplyError) return { message: `NOT VERIFIED: ${error.message}`, exitCode: EXIT.failed };
  if (error instanceof InvalidRequestError || error instanceof ConfigError) return { message: error.message, exitCode: EXIT.usage };
  if (error instanceof VerifyKeysRequiredError) {
    return { message: `${error.message}: give --verify-key with resetd's public key (resetd keygen wrote it beside the private one)`, exitCode: EXIT.usage };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `${message} (run with --verbose for details)`, exitCode: EXIT.failed };
}
