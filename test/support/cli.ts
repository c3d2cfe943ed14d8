import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { NATS_URL } from './nats.js';
import { outputOf } from './processes.js';

export const CLI = new URL('../../dist/src/cli/cli.js', import.meta.url).pathname;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Non-empty stdout lines. */
  readonly lines: string[];
}

/** The environment of a CLI run: the local servers and the given deployment's prefix. */
export function cliEnv(prefix: string, env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NATS_URL,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    RESET_SUBJECT_PREFIX: prefix,
    REDIS_KEY_PREFIX: prefix,
    ...env,
  };
}

/** Starts `node dist/src/cli/cli.js …`, as the `resetd` bin runs it. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<CliRun>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = outputOf(child);
  const done = once(child, 'close').then(([code]) => ({
    code: code as number | null,
    stdout: output.stdout(),
    stderr: output.stderr(),
    lines: output.stdout().split('\n').filter(Boolean),
  }));
  return { child, done, stderrSoFar: output.stderr };
}

/** Runs the CLI to its end; kills it after `timeoutMs`. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliRun> {
  const { child, done } = startCli(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}
