import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
export const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** Every child started through this module (or handed to `track`) that has not exited yet. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort when a test run ends abruptly: no server outlives the test process.
  for (const child of live) child.kill('SIGKILL');
});

/** Makes sure `child` is killed when the test process exits, if nothing stopped it before. */
export function track(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** A port no one listens on now, nor on its cluster bus twin (a small race with other processes remains). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = FIRST_PORT + randomInt(PORTS);
    if ((await canListen(port)) && (await canListen(port + CLUSTER_BUS_OFFSET))) return port;
  }
}

/*
 * Below the kernel's range for the source ports of outgoing connections (32768 and up here), where
 * listen(0) would pick too: a port picked there could be given to a connection (a Redis Cluster
 * node's to another's bus) before the server meant for it started. Its cluster bus port, 10000
 * above, is below that range as well.
 */
const FIRST_PORT = 10_000;
const PORTS = 12_000;
const CLUSTER_BUS_OFFSET = 10_000;

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  return listening;
}

/** What a child writes to stdout and to stderr, each kept whole as it comes. */
export function outputOf(child: ChildProcess): { readonly stdout: () => string; readonly stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (Linux). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** A server process started from a command line, with its output kept for error messages. */
export class ManagedProcess {
  readonly output: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    track(child);
    this.exited = once(child, 'exit').then(() => undefined);
    const collect = (chunk: Buffer) => this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  /** Starts `command` (with `env` added to the environment) and resolves once a line of its output matches `ready`. */
  static async start(name: string, command: string, args: string[], ready: RegExp, timeoutMs = 15_000, env: Record<string, string> = {}): Promise<ManagedProcess> {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const managed = new ManagedProcess(name, child);
    const deadline = Date.now() + timeoutMs;
    while (!managed.output.some((line) => ready.test(line))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not start (${command} ${args.join(' ')}):\n${managed.output.slice(-20).join('\n')}`);
      }
      await sleep(25);
    }
    return managed;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signals the process by its PID and waits for it to exit; SIGKILL if it has not after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    process.kill(this.pid, signal);
    const timer = setTimeout(() => this.running && process.kill(this.pid, 'SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A server that keeps its port and data directory across `stop()` and `start()`. */
export abstract class RestartableServer {
  protected process: ManagedProcess | undefined;

  protected constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  abstract start(): Promise<void>;

  /** Stops the server by PID: SIGTERM lets it shut down cleanly, SIGKILL is a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.process?.stop(signal);
    this.process = undefined;
  }

  /** Freezes the server (SIGSTOP): its connections stay open but nothing answers. */
  pause(): void {
    if (this.process?.running) process.kill(this.process.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.process?.running) process.kill(this.process.pid, 'SIGCONT');
  }

  async restart(downMs = 0, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    if (downMs > 0) await sleep(downMs);
    await this.start();
  }

  /** Stops the server and removes its data directory. */
  async close(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RedisServerOptions {
  /** Append-only file, fsynced on every write, as production should run it; without it a restart loses every key. */
  readonly persistent?: boolean;
}

/** `redis-server` of the test's own, on a free port, with its files in a temporary directory. */
export class RedisServer extends RestartableServer {
  private constructor(
    port: number,
    dir: string,
    private readonly persistent: boolean,
  ) {
    super(port, dir);
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'resetd-redis-')), options.persistent ?? false);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const persistence = this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, ...persistence];
    this.process = await ManagedProcess.start('redis-server', REDIS_SERVER, args, /Ready to accept connections/);
  }
}

/** `nats-server` with JetStream on a free port, its file store in a temporary directory. */
export class NatsServer extends RestartableServer {
  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'resetd-nats-')));
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir];
    this.process = await ManagedProcess.start('nats-server', NATS_SERVER, args, /Server is ready/);
  }
}

export interface NatsClusterNodeOptions {
  /** `n1`, `n2`…: the JetStream server name, which names the leader in a stream's info. */
  readonly name: string;
  readonly clusterPort: number;
  /** The cluster ports of the other nodes. */
  readonly routes: readonly number[];
  readonly clusterName?: string;
}

/** One `nats-server` of a JetStream cluster on loopback: a client port, a route port, its own store. */
export class NatsClusterNode extends RestartableServer {
  private constructor(
    port: number,
    dir: string,
    readonly options: NatsClusterNodeOptions,
  ) {
    super(port, dir);
  }

  /** Makes the node without starting it: a cluster's nodes are started together. */
  static async create(options: NatsClusterNodeOptions): Promise<NatsClusterNode> {
    return new NatsClusterNode(await freePort(), mkdtempSync(join(tmpdir(), `resetd-nats-${options.name}-`)), options);
  }

  get name(): string {
    return this.options.name;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { name, clusterPort, routes, clusterName = 'c' } = this.options;
    const args = [
      '-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir, '--server_name', name,
      '--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${clusterPort}`,
      '--routes', routes.map((route) => `nats://127.0.0.1:${route}`).join(','),
    ];
    this.process = await ManagedProcess.start(`nats-server ${name}`, NATS_SERVER, args, /Server is ready/);
  }
}

/** One `redis-server` with `--cluster-enabled yes` and (unless `persistent` is false) an fsynced append-only file, for a Redis Cluster on loopback. */
export class RedisClusterNode extends RestartableServer {
  static async create(nodeTimeoutMs: number, options: RedisServerOptions = {}): Promise<RedisClusterNode> {
    const node = new RedisClusterNode(await freePort(), mkdtempSync(join(tmpdir(), 'resetd-redis-cluster-')));
    node.nodeTimeoutMs = nodeTimeoutMs;
    node.persistent = options.persistent ?? true;
    return node;
  }

  private nodeTimeoutMs = 15_000;
  private persistent = true;

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', join(this.dir, `nodes-${this.port}.conf`), '--cluster-node-timeout', String(this.nodeTimeoutMs),
      '--save', '', '--dir', this.dir, ...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ];
    this.process = await ManagedProcess.start(`redis-server ${this.port}`, REDIS_SERVER, args, /Ready to accept connections/);
  }
}

/** A plain `redis-server` on a given port, optionally the replica of another, for a Sentinel group. */
export class RedisReplicaServer extends RestartableServer {
  private replicaOf: number | undefined;

  static async create(replicaOf?: number): Promise<RedisReplicaServer> {
    const server = new RedisReplicaServer(await freePort(), mkdtempSync(join(tmpdir(), 'resetd-redis-')));
    server.replicaOf = replicaOf;
    return server;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always',
      ...(this.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(this.replicaOf)]),
    ];
    this.process = await ManagedProcess.start(`redis-server ${this.port}`, REDIS_SERVER, args, /Ready to accept connections/);
  }
}

/** `redis-server --sentinel` watching one master on loopback, its config file (which Sentinel rewrites) in `dir`. */
export class SentinelServer extends RestartableServer {
  private masterPort = 0;
  private masterName = 'mymaster';

  static async create(masterName: string, masterPort: number): Promise<SentinelServer> {
    const server = new SentinelServer(await freePort(), mkdtempSync(join(tmpdir(), 'resetd-sentinel-')));
    server.masterName = masterName;
    server.masterPort = masterPort;
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const file = join(this.dir, `sentinel-${this.port}.conf`);
    if (!existsSync(file)) {
      writeFileSync(
        file,
        [
          `port ${this.port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${this.masterName} 127.0.0.1 ${this.masterPort} 2`,
          `sentinel down-after-milliseconds ${this.masterName} 1000`,
          `sentinel failover-timeout ${this.masterName} 10000`,
          `sentinel parallel-syncs ${this.masterName} 1`,
          '',
        ].join('\n'),
      );
    }
    this.process = await ManagedProcess.start(`redis-sentinel ${this.port}`, REDIS_SERVER, [file, '--sentinel'], /Sentinel ID is/);
  }
}
