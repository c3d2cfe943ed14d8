import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { NATS_URL } from './nats.js';
import { outputOf, track } from './processes.js';
import { serviceNodeFlags } from './service-node-flags.js';

export const TEST_OTP_SECRET = 'test-secret-of-at-least-thirty-two-characters';
const MAIN = new URL('../../dist/src/app/main.js', import.meta.url).pathname;
const NODE_FLAGS = serviceNodeFlags(new URL('../../', import.meta.url));

/** The real entry point, run as `npm start` runs it, in a process of its own. */
export class ServiceProcess {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    // A chunk may end mid-line: keep the tail of each stream until its line is complete.
    const collector = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop()!;
        this.output.push(...lines.filter(Boolean));
      };
    };
    child.stdout!.on('data', collector());
    child.stderr!.on('data', collector());
  }

  static start(env: Record<string, string | undefined>, options: { waitForStart?: boolean } = {}): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
      env: {
        PATH: process.env.PATH,
        NATS_URL,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        OTP_SECRET: TEST_OTP_SECRET,
        OPS_HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        // No collector listens in tests; the tests of tracing set their own.
        OTEL_TRACES_EXPORTER: 'none',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child);
    return options.waitForStart === false ? Promise.resolve(service) : service.waitForLog(/resetd started/).then(() => service);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.output.find((l) => pattern.test(l));
      if (line) return line;
      if (this.child.exitCode !== null) throw new Error(`service exited with ${this.child.exitCode}:\n${this.output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${this.output.slice(-20).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  exit(): Promise<number | null> {
    return this.exited;
  }
}

export interface ServiceRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real entry point, as `npm start` runs it, with `env` until it exits by itself, as it
 * does when it cannot start; kills it after `timeoutMs` (then `code` is null). stdout and stderr
 * are kept apart.
 */
export async function runServiceToExit(env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<ServiceRun> {
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
    env: { PATH: process.env.PATH, OTP_SECRET: TEST_OTP_SECRET, OPS_HTTP_PORT: '0', OTEL_TRACES_EXPORTER: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const output = outputOf(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'close');
  clearTimeout(timer);
  return { code: code as number | null, stdout: output.stdout(), stderr: output.stderr() };
}
