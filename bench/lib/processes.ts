import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every child the bench started and has not seen exit: stopped on the way out, whatever happens. */
const children = new Set<ChildProcess>();

export function remember(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Kills what is left (SIGTERM, then SIGKILL after `graceMs`), each by its own pid. */
export async function stopAll(graceMs = 5_000): Promise<void> {
  const left = [...children];
  for (const child of left) child.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (children.size > 0 && Date.now() < deadline) await sleep(50);
  for (const child of children) child.kill('SIGKILL');
}

let ticks: number | undefined;
function ticksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: count the fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** Resident memory now and its high-water mark, in bytes, from /proc/<pid>/status. */
export function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * A Node process of the bench's (the service, the limit pipeline): output goes to a log file, and
 * `start` resolves once a line of it matches `ready`.
 */
export class NodeProcess {
  private readonly log: WriteStream;
  private tail = '';
  private readyPattern: RegExp | undefined;
  private onReady: (() => void) | undefined;
  readonly exited: Promise<void>;
  readonly startedAt: number;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFile: string,
  ) {
    remember(child);
    this.startedAt = performance.now();
    this.log = createWriteStream(logFile, { flags: 'a' });
    const collect = (chunk: Buffer) => {
      this.log.write(chunk);
      if (!this.readyPattern) return;
      this.tail = (this.tail + chunk.toString('utf8')).slice(-4096);
      if (this.readyPattern.test(this.tail)) {
        this.readyPattern = undefined;
        this.onReady?.();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = once(child, 'exit').then(() => undefined);
  }

  static async start(name: string, script: string, env: Record<string, string>, logDir: string, ready: RegExp, nodeArgs: string[] = []): Promise<NodeProcess> {
    const timeoutMs = 30_000;
    const child = spawn(process.execPath, [...nodeArgs, script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const managed = new NodeProcess(name, child, join(logDir, `${name}.log`));
    await managed.waitFor(ready, timeoutMs, script);
    return managed;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} (${what}) did not start in ${timeoutMs} ms; see its log`)), timeoutMs);
      this.readyPattern = pattern;
      this.onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with ${this.child.exitCode ?? this.child.signalCode} before it was ready; see its log`));
      });
    });
  }

  /** SIGTERM, and SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.log.end();
  }
}

export interface SinkStats {
  readonly mails: number;
  readonly connections: number;
  readonly bytes: number;
}

/** The SMTP sink process (bench/smtp-sink.ts), and the codes it read from the mail. */
export class SinkProcess {
  /** resetId → code, for every mail whose recipient is `<resetId>@bench.example`. */
  readonly codes = new Map<string, string>();
  private statsWaiter: ((stats: SinkStats) => void) | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly delayMs: number,
  ) {
    child.on('message', (message: { codes?: Array<[string, string]>; stats?: SinkStats }) => {
      for (const [to, code] of message.codes ?? []) this.codes.set(to.slice(0, to.indexOf('@')), code);
      if (message.stats) this.statsWaiter?.(message.stats);
    });
  }

  static async start(script: string, delayMs: number, tls?: { key: string; cert: string }): Promise<SinkProcess> {
    const child = fork(script, [], {
      env: {
        PATH: process.env.PATH ?? '',
        BENCH_SMTP_DELAY_MS: String(delayMs),
        ...(tls ? { BENCH_SMTP_TLS_KEY: tls.key, BENCH_SMTP_TLS_CERT: tls.cert } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    remember(child);
    const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [{ ready?: number } | undefined];
    if (message?.ready === undefined) throw new Error('the SMTP sink did not start');
    return new SinkProcess(child, message.ready, delayMs);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  stats(): Promise<SinkStats> {
    return new Promise((resolve) => {
      this.statsWaiter = resolve;
      this.child.send('stats');
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.disconnect();
    await once(this.child, 'exit');
  }
}

/** CPU seconds per 1,000 outcomes, by process (resetd or limit, nats, redis, sink, bench). */
export type CpuShare = Record<string, number>;

/** Runs `work` and returns it with the CPU seconds each of `pids` spent meanwhile, per 1,000 of its outcomes. */
export async function measured<T extends { count: number }>(pids: Record<string, number>, work: () => Promise<T>): Promise<[T, CpuShare]> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const result = await work();
  const share: CpuShare = {};
  for (const [name, pid] of Object.entries(pids)) share[name] = ((cpuSeconds(pid) - before[name]!) / result.count) * 1000;
  return [result, share];
}
