import { Redis } from 'ioredis';
import { RedisClusterGroup } from '../../test/support/clusters.js';
import type { OtlpReceiver } from '../../test/support/otlp-receiver.js';
import type { Bench } from './bench-context.js';
import type { LoadResult } from './load.js';
import { measured, type CpuShare, type NodeProcess } from './processes.js';
import { callsBetween, commandCalls } from './redis-stats.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** The end-to-end runs of resetd deployed otherwise, each compared with (1)'s in the same run. */
export const VARIANT_NAMES = ['tracing', 'instances', 'cluster'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

/** One burst through a variant. */
export interface VariantRun {
  readonly result: LoadResult;
  /** Per 1,000 resets, by process; `resetd` is the sum over the variant's resetd processes. */
  readonly cpu: CpuShare;
  /** tracing: spans the OTLP receiver took per reset. */
  readonly spansPerReset?: number;
  /** tracing: CPU-seconds per 1,000 resets of its twin with tracing off, the same burst just before. */
  readonly untracedCpu?: number;
  /** instances: CPU-seconds per 1,000 resets of two limit pipelines on one consumer, the same burst after resetd's. */
  readonly limitPairCpu?: number;
  /** cluster: Redis commands per reset, summed over the masters (INFO commandstats). */
  readonly commandsPerReset?: number;
}

/** A deployment of resetd that takes bursts on its own subjects, started and warmed up once. */
export interface Variant {
  readonly name: VariantName;
  readonly describe: string;
  burst(tag: string, n: number, label: string): Promise<VariantRun>;
  stop(): Promise<void>;
}

/** How long the batch span processor may hold spans before it exports them (OTEL_BSP_SCHEDULE_DELAY's default), and a margin. */
const SPAN_QUIET_MS = 5_000 + 1_000;

/**
 * Tracing on as shipped: `OTEL_TRACES_EXPORTER=otlp` to the bench's OTLP receiver, the default
 * parent-based sampler and batch span processor; every request carries a sampled `traceparent`.
 * A run lasts until the receiver has heard nothing for longer than the processor's schedule
 * delay, so the CPU of the last export is counted; spans per reset prove they arrived.
 *
 * A twin with tracing off, its callers sending the same `traceparent`, takes the same burst just
 * before: a process as young, a burst as large and the machine as it is then, so the two tell
 * tracing's cost apart from the drift between (1)'s run and this one.
 */
async function tracedVariant(bench: Bench, receiver: OtlpReceiver): Promise<Variant> {
  const prefix = 'traced';
  const twinPrefix = 'untraced';
  const service = await bench.startService('traced', prefix, tracingOn(receiver));
  const twin = await bench.startService('untraced', twinPrefix);
  bench.driver.traceCallers(prefix);
  bench.driver.traceCallers(twinPrefix);
  await warm(bench, twinPrefix, 'warm-u');
  await warm(bench, prefix, 'warm-t');
  await untilQuiet(receiver);
  return {
    name: 'tracing',
    describe: 'resetd with tracing on (OTLP/HTTP to the bench\'s receiver, parent-based sampler, batch export; callers send a sampled traceparent)',
    async burst(tag, n, label) {
      const [, twinCpu] = await measured({ resetd: twin.pid }, () => bench.driver.burst(twinPrefix, `u${tag}`, n, bench.window, 'its twin with tracing off'));
      receiver.spans.length = 0;
      receiver.bodies.length = 0;
      const [result, cpu] = await measured({ resetd: service.pid, ...bench.processes() }, async () => {
        const loaded = await bench.driver.burst(prefix, tag, n, bench.window, label);
        await untilQuiet(receiver);
        return loaded;
      });
      const spansPerReset = receiver.spans.length / n;
      receiver.spans.length = 0;
      receiver.bodies.length = 0;
      return { result, cpu, spansPerReset, untracedCpu: twinCpu.resetd! };
    },
    stop: async () => void (await Promise.all([service.stop(), twin.stop()])),
  };
}

/** resetd's environment for tracing as shipped, exporting to `receiver`. */
export function tracingOn(receiver: OtlpReceiver): Record<string, string> {
  return { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
}

/**
 * Two resetd processes on one subject prefix: one durable consumer, the work shared between them.
 * Two limit pipelines on one prefix of their own take the same burst after them, so that what two
 * processes cost on this machine anyway (smaller batches a turn, more switching between them on two
 * cores) can be told from what resetd adds.
 */
async function pairVariant(bench: Bench): Promise<Variant> {
  const prefix = 'pair';
  const limitPrefix = 'lpair';
  const first = await bench.startService('pair-a', prefix);
  const second = await bench.startService('pair-b', prefix);
  // One after the other: the first makes the streams and the consumer, the second finds them.
  const firstLimit = await bench.startLimit('limit-pair-a', limitPrefix);
  const secondLimit = await bench.startLimit('limit-pair-b', limitPrefix);
  await warm(bench, prefix, 'warm-p');
  await warm(bench, limitPrefix, 'warm-lp');
  return {
    name: 'instances',
    describe: 'two resetd processes on one consumer',
    async burst(tag, n, label) {
      const [result, cpu] = await measured({ a: first.pid, b: second.pid, ...bench.processes() }, () => bench.driver.burst(prefix, tag, n, bench.window, label));
      const [, limitCpu] = await measured({ a: firstLimit.pid, b: secondLimit.pid }, () =>
        bench.driver.burst(limitPrefix, `l${tag}`, n, bench.window, 'two limit pipelines on one consumer'),
      );
      return { result, cpu: { ...cpu, resetd: cpu.a! + cpu.b! }, limitPairCpu: limitCpu.a! + limitCpu.b! };
    },
    stop: async () => void (await Promise.all([first.stop(), second.stop(), firstLimit.stop(), secondLimit.stop()])),
  };
}

/** resetd on a Redis Cluster of three masters (no replicas, no append-only file, as the single Redis). */
async function clusterVariant(bench: Bench): Promise<Variant> {
  const prefix = 'cluster';
  const cluster = await RedisClusterGroup.start({ masters: 3, replicas: 0, persistent: false });
  bench.onExit(() => cluster.close());
  const service: NodeProcess = await bench.startService('cluster', prefix, cluster.serviceEnv());
  const masters = cluster.nodes.map((node) => new Redis({ host: '127.0.0.1', port: node.port }));
  const calls = async () => {
    const total = new Map<string, number>();
    for (const each of await Promise.all(masters.map((master) => commandCalls(master)))) {
      for (const [name, count] of each) total.set(name, (total.get(name) ?? 0) + count);
    }
    return total;
  };
  const redisPids = Object.fromEntries(cluster.nodes.map((node, i) => [`redis${i + 1}`, node.pid!]));
  await warm(bench, prefix, 'warm-c');
  return {
    name: 'cluster',
    describe: 'resetd on a Redis Cluster of 3 masters',
    async burst(tag, n, label) {
      const before = await calls();
      // The single Redis idles through this run: the masters stand in its place.
      const others = Object.fromEntries(Object.entries(bench.processes()).filter(([name]) => name !== 'redis'));
      const [result, cpu] = await measured({ resetd: service.pid, ...redisPids, ...others }, () => bench.driver.burst(prefix, tag, n, bench.window, label));
      const commands = callsBetween(before, await calls()).reduce((sum, [, count]) => sum + count, 0);
      const redis = Object.keys(redisPids).reduce((sum, name) => sum + cpu[name]!, 0);
      return { result, cpu: { ...cpu, redis }, commandsPerReset: commands / n };
    },
    async stop() {
      await service.stop();
      for (const master of masters) master.disconnect();
      await cluster.close();
    },
  };
}

/** Watches the prefix's outcomes and sends a warm-up burst, not measured, as (1) does. */
export async function warm(bench: Bench, prefix: string, tag: string): Promise<void> {
  bench.driver.watch(prefix);
  await bench.driver.flush();
  await bench.driver.burst(prefix, tag, bench.warmup, bench.window, `warm-up ${prefix} (not measured)`);
}

/** Resolves once the receiver has taken no span for `SPAN_QUIET_MS`. */
export async function untilQuiet(receiver: OtlpReceiver): Promise<void> {
  let seen = -1;
  let since = performance.now();
  while (performance.now() - since < SPAN_QUIET_MS) {
    if (receiver.spans.length !== seen) {
      seen = receiver.spans.length;
      since = performance.now();
    }
    await sleep(250);
  }
}

/** Starts the variants asked for, each warmed up. */
export async function startVariants(bench: Bench, names: readonly VariantName[], receiver: () => Promise<OtlpReceiver>): Promise<Variant[]> {
  const started: Variant[] = [];
  for (const name of names) {
    bench.say(`starting the ${name} variant`);
    if (name === 'tracing') started.push(await tracedVariant(bench, await receiver()));
    if (name === 'instances') started.push(await pairVariant(bench));
    if (name === 'cluster') started.push(await clusterVariant(bench));
  }
  return started;
}
