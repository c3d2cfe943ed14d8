/**
 * `npm run bench`: starts NATS, Redis, an SMTP sink and resetd (and the limit pipeline), each in a
 * process of its own, measures, prints a table and writes bench/results.json and bench/results.md.
 * `--quick` for a run of a minute or two. See bench/README.md for what each figure means.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { envSchema } from '../src/adapters/environment/env-schema.js';
import { NATS_SERVER, NatsServer, REDIS_SERVER, RedisServer } from '../test/support/processes.js';
import { serviceNodeFlags } from '../test/support/service-node-flags.js';
import { OtlpReceiver } from '../test/support/otlp-receiver.js';
import type { Bench } from './lib/bench-context.js';
import { concernCosts } from './lib/concern-costs.js';
import { dedupeMemory } from './lib/dedupe-memory.js';
import { startVariants, VARIANT_NAMES, type VariantName, type VariantRun } from './lib/e2e-variants.js';
import { LoadDriver, type LoadResult } from './lib/load.js';
import { measured, memory, NodeProcess, SinkProcess, stopAll } from './lib/processes.js';
import { callsBetween, CommandLog, commandCalls, readsProcessed, scriptNames } from './lib/redis-stats.js';
import { renderReport, type BenchResults, type CpuShare } from './lib/report.js';
import { signingCost } from './lib/signing-cost.js';
import { spread } from './lib/stats.js';
import { steadyFigure } from './lib/steady-figure.js';
import { CodePool, verifyFigure } from './lib/verify-figure.js';
import { setTimeout as sleep } from 'node:timers/promises';

const DIST = new URL('../', import.meta.url);
const ROOT = new URL('../../', import.meta.url);
const BENCH_SOURCE = new URL('bench/', ROOT);
const SERVICE_MAIN = new URL('src/app/main.js', DIST).pathname;
const LIMIT_MAIN = new URL('bench/limit-pipeline.js', DIST).pathname;
/**
 * Every stream's byte ceiling is reserved against the server's storage when it is made: the default
 * 1 + 8 GiB for each of the bench's many subject prefixes would exhaust a disk's worth, and a later
 * start would fail. The bench stores well under these.
 */
const STREAM_CEILINGS = { RESET_INBOX_MAX_BYTES: String(512 * 2 ** 20), RESET_EVENTS_MAX_BYTES: String(2 ** 30) };
const SINK_MAIN = new URL('bench/smtp-sink.js', DIST).pathname;
const OTP_SECRET = 'bench-secret-of-at-least-thirty-two-characters';

interface Plan {
  readonly quick: boolean;
  readonly runs: number;
  readonly n: number;
  readonly window: number;
  readonly warmup: number;
  readonly halfSeconds: number;
  readonly verifyPerRun: number;
  readonly verifyConcurrency: number;
  /** Seconds of each open-loop verify run (at half the peak, at twice it). */
  readonly verifySeconds: number;
  /** Requests per run of the variants (tracing on, two instances, Redis Cluster) and of the profiled run. */
  readonly variantN: number;
  readonly slowN: number;
  readonly backlogN: number;
  readonly roundTripSample: number;
  readonly smtpDelayMs: number;
  readonly poolSize: number;
  /** Mails a pooled SMTP connection sends before it is replaced (SMTP_POOL_MAX_MESSAGES; resetd's default). */
  readonly mailsPerConnection: number;
  readonly maxInFlight: number;
  readonly keep: boolean;
  /**
   * The sink offers STARTTLS with a certificate of the bench's, and resetd and the limit trust it and
   * upgrade, as in production (where resetd refuses a plaintext smtp:// server); `--no-tls` for plaintext.
   */
  readonly tls: boolean;
  /** A directory for `node --cpu-prof` profiles of resetd and the limit pipeline. */
  readonly profileDir: string | undefined;
  readonly only: ReadonlySet<string> | undefined;
}

function readPlan(argv: readonly string[]): Plan {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string): string | undefined => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const number = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} takes a number, not ${raw}`);
    return parsed;
  };
  const quick = flag('quick');
  // The service's own defaults: the limit pipeline runs with the same.
  const defaults = envSchema.parse({});
  const only = value('only');
  return {
    quick,
    runs: number('runs', quick ? 1 : 3),
    n: number('n', quick ? 3_000 : 20_000),
    window: number('window', 64),
    warmup: number('warmup', quick ? 500 : 2_000),
    halfSeconds: number('half-seconds', quick ? 5 : 15),
    verifyPerRun: number('verify', quick ? 2_000 : 10_000),
    verifyConcurrency: 64,
    verifySeconds: number('verify-seconds', quick ? 0.5 : 2),
    variantN: number('variant-n', quick ? 3_000 : 10_000),
    slowN: number('slow-n', quick ? 1_000 : 5_000),
    backlogN: number('backlog', quick ? 10_000 : 100_000),
    roundTripSample: number('sample', quick ? 50 : 200),
    smtpDelayMs: number('delay', 5),
    // At 5 ms a reply a pooled mail holds its connection ~22 ms: resetd's default of 5 would cap
    // both pipelines near 230 mails/s, far below what the CPU allows. Both get the same pool.
    poolSize: number('pool', 32),
    mailsPerConnection: number('mails-per-connection', defaults.SMTP_POOL_MAX_MESSAGES),
    maxInFlight: number('in-flight', defaults.RESET_MAX_IN_FLIGHT),
    keep: flag('keep'),
    tls: !flag('no-tls'),
    profileDir: value('profile'),
    only: only === undefined ? undefined : new Set(only.split(',')),
  };
}

const t0 = performance.now();
const say = (line: string) => process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const version = (command: string, args: string[]) => {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
};

async function main(): Promise<void> {
  const plan = readPlan(process.argv.slice(2));
  const wanted = (phase: string) => plan.only === undefined || plan.only.has(phase);
  const tmp = mkdtempSync(join(tmpdir(), 'resetd-bench-'));
  const loadBefore = loadavg();
  say(`resetd bench${plan.quick ? ' (quick)' : ''}: ${cpus().length} cores, Node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; logs in ${tmp}`);
  say(`SMTP sink replies ${plan.smtpDelayMs} ms late${plan.tls ? ' and offers STARTTLS' : ', no TLS'}; pool ${plan.poolSize} connections, each replaced after ${plan.mailsPerConnection} mails; ${plan.maxInFlight} messages in flight; ${plan.runs} run(s) of each figure`);

  const nats = await NatsServer.start();
  cleanups.push(() => nats.close());
  const redisServer = await RedisServer.start();
  cleanups.push(() => redisServer.close());
  const tls = plan.tls ? makeCertificate(tmp) : undefined;
  const sink = await SinkProcess.start(SINK_MAIN, plan.smtpDelayMs, tls);
  const admin = new Redis(redisServer.url);
  const driver = await LoadDriver.connect(nats.url, say);
  say(`nats-server on ${nats.port}, redis-server on ${redisServer.port}, SMTP sink on ${sink.port}`);

  // resetd and the limit run under `npm start`'s node flags (the heap's ceiling); BENCH_NODE_ARGS
  // adds more for both (say --trace-gc), space-separated.
  const nodeArgs = [
    ...serviceNodeFlags(ROOT),
    ...(plan.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${plan.profileDir}`] : []),
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const serviceEnv = (prefix: string, extra: Record<string, string> = {}): Record<string, string> => ({
    NATS_URL: nats.url,
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: prefix,
    RESET_SUBJECT_PREFIX: prefix,
    SMTP_URL: sink.url,
    SMTP_POOL_SIZE: String(plan.poolSize),
    SMTP_POOL_MAX_MESSAGES: String(plan.mailsPerConnection),
    RESET_MAX_IN_FLIGHT: String(plan.maxInFlight),
    OTP_SECRET,
    OTP_TTL_SECONDS: '3600',
    MAIL_FROM: 'resetd <no-reply@bench.example>',
    OPS_HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    OTEL_TRACES_EXPORTER: 'none',
    // Limits far above what the bench sends, no cooldown: every request is admitted.
    RATE_USER_PER_HOUR: '1000000',
    RATE_USER_PER_DAY: '1000000',
    RATE_IP_PER_HOUR: '1000000',
    RATE_GLOBAL_PER_HOUR: '1000000000',
    RESET_COOLDOWN_SECONDS: '0',
    AUDIT_LOG_FILE: join(tmp, `audit-${prefix}.log`),
    ...STREAM_CEILINGS,
    ...(tls ? { SMTP_TLS_CA_FILE: tls.cert } : {}),
    ...extra,
  });
  const startService = (name: string, prefix: string, extra?: Record<string, string>, extraNodeArgs: string[] = []) =>
    NodeProcess.start(name, SERVICE_MAIN, serviceEnv(prefix, extra), tmp, /resetd started/, [...nodeArgs, ...extraNodeArgs]);
  const startLimit = (name: string, prefix: string) => {
    if (!results.roundTrips) throw new Error('the limit pipeline starts once resetd\'s round trips are counted');
    return NodeProcess.start(
      name,
      LIMIT_MAIN,
      {
        NATS_URL: nats.url,
        REDIS_URL: redisServer.url,
        SMTP_URL: sink.url,
        SMTP_POOL_SIZE: String(plan.poolSize),
        SMTP_POOL_MAX_MESSAGES: String(plan.mailsPerConnection),
        BENCH_MAX_IN_FLIGHT: String(plan.maxInFlight),
        BENCH_PREFIX: prefix,
        ...STREAM_CEILINGS,
        REDIS_KEY_PREFIX: prefix,
        BENCH_REDIS_ROUND_TRIPS: String(Math.round(results.roundTrips.serverReads)),
        OTP_SECRET,
        MAIL_FROM: 'resetd <no-reply@bench.example>',
        ...(tls ? { SMTP_TLS_CA_FILE: tls.cert } : {}),
      },
      tmp,
      /limit started/,
      nodeArgs,
    );
  };
  const processes = () => ({ nats: nats.pid!, redis: redisServer.pid!, sink: sink.pid, bench: process.pid });
  const smtpConnections = async () => (await sink.stats()).connections;
  const bench: Bench = { driver, say, tmp, warmup: plan.warmup, window: plan.window, startService, startLimit, smtpConnections, processes, onExit: (cleanup) => cleanups.push(cleanup) };
  let receiver: OtlpReceiver | undefined;
  const otlpReceiver = async () => {
    if (!receiver) {
      receiver = await OtlpReceiver.start();
      cleanups.push(() => receiver!.stop());
      say(`OTLP/HTTP receiver on ${receiver.url}`);
    }
    return receiver;
  };

  const results: BenchResults = {
    meta: {
      date: new Date().toISOString(),
      quick: plan.quick,
      node: process.version,
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      loadBefore,
      loadAfter: [],
      nats: version(NATS_SERVER, ['--version']),
      redis: version(REDIS_SERVER, ['--version']),
      commit: version('git', ['rev-parse', '--short', 'HEAD']),
      smtpDelayMs: plan.smtpDelayMs,
      smtpTls: plan.tls,
      poolSize: plan.poolSize,
      mailsPerConnection: plan.mailsPerConnection,
      maxInFlight: plan.maxInFlight,
      n: plan.n,
      runs: plan.runs,
      window: plan.window,
      seconds: 0,
    },
  };

  const resetd = await startService('resetd', 'reset');
  for (const prefix of ['reset', 'limit', 'slow', 'backlog']) driver.watch(prefix);
  await driver.flush();

  say('warming up resetd (not measured)');
  await driver.burst('reset', 'warm-r', plan.warmup, plan.window, 'warm-up resetd');

  // (7): Redis round trips of a reset, one reset at a time, from the server's read count, and the
  // commands as MONITOR sees them. First: the limit pipeline makes as many round trips.
  const scripts = await scriptNames(new URL('src/adapters/redis/scripts/', DIST));
  const roundTripsOf = async (run: () => Promise<unknown>): Promise<{ reads: number; log: CommandLog }> => {
    const log = new CommandLog(scripts);
    await log.start(admin.duplicate());
    const readsBefore = await readsProcessed(admin);
    await run();
    // The one INFO command of the reading below is the bench's own read.
    const allReads = (await readsProcessed(admin)) - readsBefore - 1;
    await sleep(200);
    log.finish();
    // What resetd sends on its timers meanwhile (it runs throughout) is one read each, and no reset's.
    return { reads: allReads - log.backgroundTotal, log };
  };
  {
    const { reads, log } = await roundTripsOf(() => driver.sequential('reset', 'rt', plan.roundTripSample, `(7) round trips, ${plan.roundTripSample} resets one at a time`));
    results.roundTrips = {
      sample: plan.roundTripSample,
      commandsSent: log.total / plan.roundTripSample,
      serverReads: reads / plan.roundTripSample,
      byCommand: [...log.sent].sort((a, b) => b[1] - a[1]).map(([name, calls]) => [name, calls / plan.roundTripSample]),
    };
    say(`(7) per reset: ${results.roundTrips.commandsSent.toFixed(2)} commands sent, ${results.roundTrips.serverReads.toFixed(2)} server reads: ${results.roundTrips.byCommand.map(([n, c]) => `${n} ${c.toFixed(2)}`).join(', ')}; not counted, sent on timers meanwhile: ${[...log.background].map(([n, c]) => `${n} ${c}`).join(', ') || 'none'}`);
  }

  const limit = await startLimit('limit', 'limit');
  say(`warming up the limit pipeline, with ${Math.round(results.roundTrips!.serverReads)} Redis round trips a reset as resetd (not measured)`);
  await driver.burst('limit', 'warm-l', plan.warmup, plan.window, 'warm-up limit');
  {
    // The same reading of the limit's round trips, to show they match.
    const { reads } = await roundTripsOf(() => driver.sequential('limit', 'lrt', plan.roundTripSample, `(3) the limit's round trips, ${plan.roundTripSample} resets one at a time`));
    results.roundTrips!.limitServerReads = reads / plan.roundTripSample;
    say(`(3) the limit pipeline: ${results.roundTrips!.limitServerReads.toFixed(2)} Redis round trips per reset`);
  }

  // (1), (3), (7): resetd and the limit in turn, so that whatever else loads the machine weighs on both alike.
  const e2e: LoadResult[] = [];
  const limitRuns: LoadResult[] = [];
  const cpuResetd: CpuShare[] = [];
  const cpuLimit: CpuShare[] = [];
  const commandsPerReset: number[] = [];
  let commandBreakdown: Array<[string, number]> = [];
  // The tags of every run on resetd's own subjects: their codes serve the verify figure.
  const resetdTags: string[] = ['warm-r', 'rt'];
  const variantNames = VARIANT_NAMES.filter((name) => plan.only?.has(name) ?? true);
  const variantRuns: Partial<Record<VariantName, VariantRun[]>> = {};
  if (wanted('e2e') || variantNames.length > 0) {
    // (9), (11), (12): resetd deployed otherwise, in the same rounds as (1) and the limit.
    const variants = await startVariants(bench, variantNames, otlpReceiver);
    for (let run = 1; run <= plan.runs; run += 1) {
      const tag = `e2e${run}`;
      const resetdRun = async () => {
        const before = await commandCalls(admin);
        const [result, cpu] = await measured({ resetd: resetd.pid, ...processes() }, () =>
          driver.burst('reset', tag, plan.n, plan.window, `(1) resetd run ${run}/${plan.runs}`),
        );
        const calls = callsBetween(before, await commandCalls(admin));
        commandsPerReset.push(calls.reduce((sum, [, count]) => sum + count, 0) / plan.n);
        commandBreakdown = calls.map(([name, count]) => [name, count / plan.n]);
        resetdTags.push(tag);
        e2e.push(result);
        cpuResetd.push(cpu);
        say(`(1) resetd run ${run}: ${result.throughput.toFixed(0)}/s, p99 ${result.latency.p99.toFixed(0)} ms, publish-ack p99 ${result.publishAck.p99.toFixed(2)} ms, ${cpu.resetd!.toFixed(2)} CPU-s per 1,000`);
      };
      const limitRun = async () => {
        const [limitResult, limitCpu] = await measured({ limit: limit.pid, ...processes() }, () =>
          driver.burst('limit', `lim${run}`, plan.n, plan.window, `(3) limit run ${run}/${plan.runs}`),
        );
        limitRuns.push(limitResult);
        cpuLimit.push(limitCpu);
        say(`(3) limit run ${run}: ${limitResult.throughput.toFixed(0)}/s, p99 ${limitResult.latency.p99.toFixed(0)} ms, ${limitCpu.limit!.toFixed(2)} CPU-s per 1,000`);
      };
      // resetd and the limit back to back, each first in every other round: the machine drifts
      // within minutes, and a ratio is fair only between runs made under the same conditions.
      if (run % 2 === 1) {
        await resetdRun();
        await limitRun();
      } else {
        await limitRun();
        await resetdRun();
      }
      for (const variant of variants) {
        const measuredRun = await variant.burst(`${variant.name}${run}`, plan.variantN, `${variant.describe}, run ${run}/${plan.runs}`);
        (variantRuns[variant.name] ??= []).push(measuredRun);
        const extra =
          measuredRun.spansPerReset !== undefined
            ? `, ${measuredRun.spansPerReset.toFixed(2)} spans per reset; its twin with tracing off ${measuredRun.untracedCpu!.toFixed(2)} CPU-s per 1,000`
            : measuredRun.commandsPerReset !== undefined
              ? `, ${measuredRun.commandsPerReset.toFixed(1)} Redis commands per reset`
              : measuredRun.limitPairCpu !== undefined
                ? `; two limit pipelines ${measuredRun.limitPairCpu.toFixed(2)} CPU-s per 1,000`
                : '';
        say(`${variant.describe}, run ${run}: ${measuredRun.result.throughput.toFixed(0)}/s, ${measuredRun.cpu.resetd!.toFixed(2)} CPU-s per 1,000${extra}`);
      }
    }
    results.e2e = { resetd: e2e, limit: limitRuns, cpuResetd, cpuLimit, commandsPerReset, commandBreakdown };
    results.variants = { n: plan.variantN, runs: variantRuns };
    for (const variant of variants) await variant.stop();
  }

  // (10): a CPU profile of resetd, tracing on, charged to each concern.
  if (wanted('concerns')) {
    const costs = await concernCosts(bench, await otlpReceiver(), plan.variantN);
    results.concerns = costs;
    say(`(10) ${costs.samples} samples: ${Object.entries(costs.shares).map(([name, share]) => `${name} ${(share * 100).toFixed(1)} %`).join(', ')} of ${costs.profiledCpu.toFixed(2)} CPU-s per 1,000 (profiled)`);
  }

  // (8): what Resetd-Signature costs, resetd's signer and the client's verifier in this process.
  if (wanted('signing')) {
    const iterations = plan.quick ? 20_000 : 100_000;
    results.signing = Array.from({ length: plan.runs }, () => signingCost(iterations));
    for (const [i, cost] of results.signing.entries()) {
      say(`(8) signing run ${i + 1}: ${cost.signUs.toFixed(1)} µs CPU to sign, ${cost.verifyUs.toFixed(1)} µs to verify, a ${cost.bodyBytes}-byte event`);
    }
  }

  // (13): what nats-server keeps per Nats-Msg-Id while the duplicate windows last, on servers of its own.
  if (wanted('dedupe')) {
    results.dedupe = await dedupeMemory(plan.quick ? 100_000 : 300_000);
    say(`(13) ${results.dedupe.messages} events: ${results.dedupe.bytesPerId.toFixed(0)} bytes of nats-server memory per Nats-Msg-Id held`);
  }

  // (2): steady rates, a half and a quarter of resetd's peak, resetd and the limit at the same rate.
  const peak = e2e.length > 0 ? spread(e2e.map((r) => r.throughput)).median : Number(process.env.BENCH_PEAK ?? 400);
  for (const [name, fraction] of [['half', 1 / 2], ['quarter', 1 / 4]] as const) {
    if (!wanted(name)) continue;
    results[name] = await steadyFigure(bench, { figure: '(2)', name, fraction, peak, runs: plan.runs, seconds: plan.halfSeconds });
    resetdTags.push(...Array.from({ length: plan.runs }, (_, run) => `${name}${run + 1}`));
  }
  await limit.stop();

  // (5): reset.verify with the codes of the resets mailed so far (more are sent if too few are left).
  if (wanted('verify')) {
    await sleep(300);
    // The codes of the warm-up resets warm the verify path up, as the warm-up burst did the request path.
    const codes = new CodePool(bench, sink, resetdTags);
    await driver.verify('reset', await codes.take(Math.min(plan.warmup, 2_000)), plan.verifyConcurrency, 'warm-up verify (not measured)');
    results.verify = await verifyFigure(bench, resetd, codes, {
      runs: plan.runs,
      perRun: plan.verifyPerRun,
      concurrency: plan.verifyConcurrency,
      openSeconds: plan.verifySeconds,
    });
  }

  // (4): the same resetd with one SMTP connection per mail.
  if (wanted('slow')) {
    const slow = await startService('slow', 'slow', { SMTP_POOL: 'false' });
    await driver.burst('slow', 'warm-s', Math.min(plan.warmup, 500), plan.window, 'warm-up the slow way');
    const slowRuns: LoadResult[] = [];
    const slowCpu: CpuShare[] = [];
    for (let run = 1; run <= plan.runs; run += 1) {
      const [result, cpu] = await measured({ resetd: slow.pid, ...processes() }, () =>
        driver.burst('slow', `slow${run}`, plan.slowN, plan.window, `(4) one connection per mail, run ${run}/${plan.runs}`),
      );
      slowRuns.push(result);
      slowCpu.push(cpu);
      say(`(4) one connection per mail run ${run}: ${result.throughput.toFixed(0)}/s, p99 ${result.latency.p99.toFixed(0)} ms`);
    }
    await slow.stop();
    results.slow = { runs: slowRuns, cpu: slowCpu };
  }
  await resetd.stop();

  // (6): a backlog published while the service is down, then drained by a fresh one.
  if (wanted('backlog')) {
    // The first start makes the streams and the consumer; the backlog waits in them.
    await (await startService('backlog-setup', 'backlog')).stop();
    const published = await driver.publishAll('backlog', 'bl', plan.backlogN, 256, `(6) publishing ${plan.backlogN} while resetd is stopped`);
    say(`(6) ${plan.backlogN} requests wait in the inbox; starting resetd`);
    const started = performance.now();
    const service = await startService('backlog', 'backlog');
    let peakRss = 0;
    const timeline: Array<[number, number]> = [];
    const sampler = setInterval(() => {
      try {
        const { rss } = memory(service.pid);
        peakRss = Math.max(peakRss, rss);
        const second = Math.floor((performance.now() - started) / 1000);
        if (timeline.length === 0 || timeline[timeline.length - 1]![0] !== second) timeline.push([second, Math.round(rss / 1e6)]);
      } catch {
        // The process is gone; the high-water mark was read before.
      }
    }, 100);
    const [result, cpu] = await measured({ resetd: service.pid, ...processes() }, () => driver.collect(published, '(6) backlog drain', started));
    clearInterval(sampler);
    const { hwm } = memory(service.pid);
    await service.stop();
    results.backlog = { result, cpu, peakRssBytes: Math.max(peakRss, hwm), startSeconds: (service.startedAt - started) / 1000, rssTimeline: timeline };
    say(`(6) backlog drained at ${result.throughput.toFixed(0)}/s (from the start of the process), peak RSS ${(Math.max(peakRss, hwm) / 2 ** 20).toFixed(0)} MiB`);
  }

  results.meta.loadAfter = loadavg();
  results.meta.seconds = (performance.now() - t0) / 1000;
  const sinkStats = await sink.stats();
  say(`the SMTP sink took ${sinkStats.mails} mails over ${sinkStats.connections} connections`);

  await driver.close();
  admin.disconnect();
  await sink.stop();
  await nats.close();
  await redisServer.close();

  const { table, markdown } = renderReport(results);
  process.stdout.write(`\n${table}\n`);
  writeFileSync(new URL('results.json', BENCH_SOURCE), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(new URL('results.md', BENCH_SOURCE), markdown);
  say(`wrote bench/results.json and bench/results.md in ${results.meta.seconds.toFixed(0)} s`);
  if (!plan.keep) rmSync(tmp, { recursive: true, force: true });
}

/** A self-signed P-256 certificate for 127.0.0.1, made with `openssl`: the sink's, and the CA resetd trusts. */
function makeCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, 'smtp.key');
  const cert = join(dir, 'smtp.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { key, cert };
}

/** What to undo if the bench stops early: the servers and their directories. */
const cleanups: Array<() => Promise<void>> = [];

let exiting = false;
async function bail(reason: unknown, code: number): Promise<never> {
  if (!exiting) {
    exiting = true;
    process.stderr.write(`bench: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
    await stopAll();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  process.exit(code);
}

process.on('SIGINT', () => void bail('interrupted; stopping every process it started', 130));
// A reader that goes away (`npm run bench | head`) or any other fault must not leave resetd running.
process.stdout.on('error', (error) => void bail(error, 1));
process.on('uncaughtException', (error) => void bail(error, 1));
process.on('SIGTERM', () => void bail('terminated; stopping every process it started', 143));
main().then(
  async () => {
    await stopAll();
    process.exit(0);
  },
  (error: unknown) => void bail(error, 1),
);
