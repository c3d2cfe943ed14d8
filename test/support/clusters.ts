import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Cluster, Redis } from 'ioredis';
import { freePort, NatsClusterNode, RedisClusterNode, RedisReplicaServer, SentinelServer } from './processes.js';
import { setTimeout as sleep } from 'node:timers/promises';

export const REDIS_CLI = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(intervalMs);
  }
}

/** Three `nats-server` processes with JetStream, clustered on loopback, each with its own store. */
export class NatsCluster {
  private constructor(readonly nodes: readonly NatsClusterNode[]) {}

  static async start(size = 3): Promise<NatsCluster> {
    const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
    const nodes = await Promise.all(
      clusterPorts.map((clusterPort, i) =>
        NatsClusterNode.create({ name: `n${i + 1}`, clusterPort, routes: clusterPorts.filter((port) => port !== clusterPort) }),
      ),
    );
    const cluster = new NatsCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => node.start()));
      await cluster.waitForJetStream();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Every node's client URL, comma-separated, as `NATS_URL` takes them. */
  get url(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  node(name: string): NatsClusterNode {
    const found = this.nodes.find((node) => node.name === name);
    if (!found) throw new Error(`no NATS node ${name}`);
    return found;
  }

  /** Resolves once the JetStream meta group has a leader, so streams can be made. */
  async waitForJetStream(timeoutMs = 30_000): Promise<void> {
    const nc = await connect({ servers: this.nodes.filter((node) => node.running).map((node) => node.url), maxReconnectAttempts: -1 });
    try {
      await waitUntil('JetStream answers in the NATS cluster', async () => {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return true;
      }, timeoutMs, 250);
    } finally {
      await nc.close();
    }
  }

  /** The server name (`n1`…) leading `stream`, and the names of its replicas, as the stream's info tells. */
  async streamCluster(stream: string, timeoutMs = 5_000): Promise<{ leader: string; replicas: { name: string; current: boolean }[] }> {
    const nc = await connect({ servers: this.nodes.filter((node) => node.running).map((node) => node.url) });
    try {
      const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
      const info = await jsm.streams.info(stream);
      return {
        leader: info.cluster?.leader ?? '',
        replicas: (info.cluster?.replicas ?? []).map((peer) => ({ name: peer.name, current: peer.current })),
      };
    } finally {
      await nc.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}

/** Runs `redis-cli` with `args`; rejects with its output if it exits with another code than 0. */
export async function redisCli(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const child = spawn(REDIS_CLI, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited with ${code}:\n${output.join('')}`);
  return output.join('');
}

/**
 * A Redis Cluster of three masters and three replicas on loopback, made with
 * `redis-cli --cluster create … --cluster-replicas 1`. `nodeTimeoutMs` is `cluster-node-timeout`:
 * how long a master may be silent before its replica takes over. The bench asks for no replicas
 * and no append-only file (`replicas: 0, persistent: false`), to match its single Redis.
 */
export class RedisClusterGroup {
  private constructor(readonly nodes: readonly RedisClusterNode[]) {}

  static async start(options: { masters?: number; replicas?: number; nodeTimeoutMs?: number; persistent?: boolean } = {}): Promise<RedisClusterGroup> {
    const replicas = options.replicas ?? 1;
    const count = (options.masters ?? 3) * (1 + replicas);
    const nodes = await Promise.all(
      Array.from({ length: count }, () => RedisClusterNode.create(options.nodeTimeoutMs ?? 2_000, { persistent: options.persistent ?? true })),
    );
    const group = new RedisClusterGroup(nodes);
    try {
      await Promise.all(nodes.map((node) => node.start()));
      await redisCli(['--cluster', 'create', ...nodes.map((node) => node.address), '--cluster-replicas', String(replicas), '--cluster-yes']);
      await group.waitUntilHealthy();
    } catch (error) {
      await group.close();
      throw error;
    }
    return group;
  }

  /** What points resetd at this cluster: every node in `REDIS_CLUSTER_NODES`. */
  serviceEnv(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.nodes.map((node) => node.address).join(',') };
  }

  /** A client of the cluster, for a test to look at keys. */
  client(): Cluster {
    return new Cluster(
      this.nodes.filter((node) => node.running).map((node) => ({ host: '127.0.0.1', port: node.port })),
      { redisOptions: { maxRetriesPerRequest: 2 }, retryDelayOnFailover: 200, slotsRefreshInterval: 1_000 },
    );
  }

  /** Every running node agrees the cluster is `ok`, all slots served, with three masters holding replicas. */
  async waitUntilHealthy(timeoutMs = 60_000): Promise<void> {
    await waitUntil('the Redis Cluster is ok on every node', async () => {
      for (const node of this.nodes.filter((each) => each.running)) {
        const info = await redisCli(['-p', String(node.port), 'cluster', 'info'], 5_000);
        if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
      }
      return true;
    }, timeoutMs, 250);
  }

  /** The node that is master of `key`'s slot now, as the running nodes see it. */
  async masterOf(key: string): Promise<RedisClusterNode> {
    const anyNode = this.nodes.find((node) => node.running)!;
    const slot = Number((await redisCli(['-p', String(anyNode.port), 'cluster', 'keyslot', key], 5_000)).trim());
    const slots = await redisCli(['-p', String(anyNode.port), '--json', 'cluster', 'slots'], 5_000).catch(() => '');
    const ranges = slots ? (JSON.parse(slots) as [number, number, [string, number, string]][]) : await this.slotsByClient(anyNode.port);
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    const port = range?.[2][1];
    const node = this.nodes.find((each) => each.port === port);
    if (!node) throw new Error(`no master found for slot ${slot}`);
    return node;
  }

  private async slotsByClient(port: number): Promise<[number, number, [string, number, string]][]> {
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    try {
      await redis.connect();
      return (await redis.cluster('SLOTS')) as unknown as [number, number, [string, number, string]][];
    } finally {
      redis.disconnect();
    }
  }

  /** The role a node reports (`master` or `slave`). */
  async roleOf(node: RedisClusterNode): Promise<string> {
    return (await redisCli(['-p', String(node.port), 'role'], 5_000)).split('\n')[0]!.trim();
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}

/** One master, one replica and three Sentinels watching them, on loopback. */
export class RedisSentinelGroup {
  private constructor(
    readonly name: string,
    readonly master: RedisReplicaServer,
    readonly replica: RedisReplicaServer,
    readonly sentinels: readonly SentinelServer[],
  ) {}

  static async start(name = 'resetdmaster'): Promise<RedisSentinelGroup> {
    const master = await RedisReplicaServer.create();
    await master.start();
    const replica = await RedisReplicaServer.create(master.port);
    const sentinels = await Promise.all(Array.from({ length: 3 }, () => SentinelServer.create(name, master.port)));
    const group = new RedisSentinelGroup(name, master, replica, sentinels);
    try {
      await replica.start();
      await Promise.all(sentinels.map((sentinel) => sentinel.start()));
      await group.waitUntilWatched();
    } catch (error) {
      await group.close();
      throw error;
    }
    return group;
  }

  /** What points resetd at this group: the Sentinels and the name of the master they watch. */
  serviceEnv(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinels.map((sentinel) => sentinel.address).join(','), REDIS_SENTINEL_NAME: this.name };
  }

  /** The port of the master the Sentinels name now. */
  async masterPort(): Promise<number> {
    const answer = await redisCli(['-p', String(this.sentinels[0]!.port), 'sentinel', 'get-master-addr-by-name', this.name], 5_000);
    return Number(answer.trim().split('\n')[1]);
  }

  /** Every Sentinel knows the replica and the other Sentinels, so a failover can be agreed. */
  private async waitUntilWatched(timeoutMs = 30_000): Promise<void> {
    await waitUntil('the Sentinels see the replica and each other', async () => {
      const replication = await redisCli(['-p', String(this.master.port), 'info', 'replication'], 5_000);
      if (!/connected_slaves:1/.test(replication) || !/state=online/.test(replication)) return false;
      for (const sentinel of this.sentinels) {
        const master = await redisCli(['-p', String(sentinel.port), 'sentinel', 'master', this.name], 5_000);
        const fields = master.split('\n').map((line) => line.trim());
        const value = (field: string) => fields[fields.indexOf(field) + 1];
        if (value('num-slaves') !== '1' || value('num-other-sentinels') !== '2') return false;
      }
      return true;
    }, timeoutMs, 250);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sentinels, this.replica, this.master].map((server) => server.close()));
  }
}
