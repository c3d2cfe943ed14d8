import type { ConcernCosts } from './concern-costs.js';
import { CONCERNS } from './cpu-profile.js';
import type { VariantName, VariantRun } from './e2e-variants.js';
import type { LoadResult } from './load.js';
import type { CpuShare } from './processes.js';
import { int, medianOf, ms, of, percent, range, ratio, type Row, type Verdict } from './report-format.js';
import { spread } from './stats.js';
import type { SteadyFigure } from './steady-figure.js';
import type { VerifyFigure } from './verify-figure.js';

const cpuOf = (runs: readonly { cpu: CpuShare }[]) => of(runs, (run) => run.cpu.resetd ?? NaN);
const seconds = (value: number) => `${value.toFixed(2)} s`;

/** (2): resetd and the limit at one steady rate: publish → code.sent, and the caller's publish → ack. */
/** The p99 target of a steady run: at most so many ms, or at most so many times the limit's at the same rate. */
export type SteadyTarget = { readonly p99Ms: number } | { readonly timesLimit: number };

export function steadyRows(figure: SteadyFigure, verdict: Verdict, target: SteadyTarget): Row[] {
  const { rate, resetd, limit, fraction } = figure;
  const share = fraction === 0.5 ? 'half the peak' : fraction === 0.25 ? 'a quarter of the peak' : `${fraction} × the peak`;
  const p99 = of(resetd, (r) => r.latency.p99);
  const limitP99 = of(limit, (r) => r.latency.p99);
  const ack = of(resetd, (r) => r.publishAck.p99);
  const limitAck = of(limit, (r) => r.publishAck.p99);
  const latencyTarget = 'p99Ms' in target ? `≤ ${target.p99Ms} ms` : `≤ ${target.timesLimit} × the limit's`;
  const latencyPass = 'p99Ms' in target ? p99.median <= target.p99Ms : p99.median <= target.timesLimit * limitP99.median;
  const ackShare = ack.median / limitAck.median;
  return [
    [
      `(2) publish → code.sent at a steady ${int(rate)} /s (${share}): p50 · p95 · p99`,
      [of(resetd, (r) => r.latency.p50), of(resetd, (r) => r.latency.p95), p99].map((s) => ms(s.median)).join(' · '),
      `p99 ${range(p99, ms)}`,
      `limit p99 ${ms(limitP99.median)} at the same rate; resetd opened ${int(spread(figure.resetdConnections).median)} SMTP connections a run`,
      latencyTarget,
      verdict(`p99 at ${share}`, `${ms(p99.median)} (limit ${ms(limitP99.median)}: ${ratio(p99.median / limitP99.median)})`, latencyTarget, latencyPass),
    ],
    [
      `(2) caller's cost at ${int(rate)} /s: publish → JetStream ack, p99`,
      ms(ack.median),
      range(ack, ms),
      `p50 ${ms(of(resetd, (r) => r.publishAck.p50).median)}`,
      '≤ 5 ms',
      verdict(`publish-ack p99 at ${int(rate)} /s`, ms(ack.median), '≤ 5 ms', ack.median <= 5),
    ],
    [
      `(2) caller's publish → ack p99 at ${int(rate)} /s, resetd vs the limit at the same rate`,
      ratio(ackShare),
      range(limitAck, ms),
      `resetd ${ms(ack.median)}, limit ${ms(limitAck.median)} (its range beside)`,
      "≤ 1.2 × the limit's",
      verdict(`publish-ack p99 at ${int(rate)} /s vs the limit`, ratio(ackShare), '≤ 1.2 ×', ackShare <= 1.2),
    ],
  ];
}

/** (5): reset.verify's peak (closed loop), its CPU per answer, and open loop at half and twice the peak. */
export function verifyRows(figure: VerifyFigure, verdict: Verdict): Row[] {
  const rows: Row[] = [];
  if (figure.runs.length === 0) return rows;
  const rate = of(figure.runs, (r) => r.rate);
  const p99 = of(figure.runs, (r) => r.latency.p99);
  const cpu = of(figure.cpu, (share) => share.resetd ?? NaN);
  const others = ['nats', 'redis', 'bench'].map((name) => `${name} ${medianOf(figure.cpu, name).toFixed(3)}`).join(', ');
  rows.push(
    [
      `(5) reset.verify, ${figure.concurrency} in flight (closed loop), right codes: the peak answers/s · p99`,
      `${int(rate.median)} /s · ${ms(p99.median)}`,
      `${range(rate, (v) => `${int(v)}`)} · ${range(p99, ms)}`,
      `p50 ${ms(of(figure.runs, (r) => r.latency.p50).median)}; the p99 is queueing (≥ ${figure.concurrency} ÷ the rate)`,
      '≥ 6,000 /s',
      verdict('reset.verify peak', `${int(rate.median)} /s`, '≥ 6,000 /s', rate.median >= 6000),
    ],
    ['(5) reset.verify: CPU-seconds per 1,000 answers (resetd process, closed-loop runs)', `${cpu.median.toFixed(3)} s`, range(cpu, (v) => v.toFixed(3)), `meanwhile: ${others}`, '', ''],
  );
  if (figure.half.length > 0) {
    const halfP99 = of(figure.half, (r) => r.latency.p99);
    const sent = of(figure.half, (r) => r.offeredRate ?? NaN);
    rows.push([
      `(5) reset.verify open loop at half the peak (${int(sent.median)} /s sent, ${int(figure.half[0]!.count)} a run): p50 · p99`,
      `${ms(of(figure.half, (r) => r.latency.p50).median)} · ${ms(halfP99.median)}`,
      `p99 ${range(halfP99, ms)}`,
      `answers: ${JSON.stringify(figure.half[0]!.statuses)}`,
      '≤ 10 ms',
      verdict('reset.verify p99 at half the peak', ms(halfP99.median), '≤ 10 ms', halfP99.median <= 10),
    ]);
  }
  if (figure.overload.length > 0) {
    const shed = of(figure.overload, (r) => (r.statuses.unavailable ?? 0) / r.count);
    const answeredP99 = of(figure.overload, (r) => r.latency.p99);
    const sent = of(figure.overload, (r) => r.offeredRate ?? NaN);
    rows.push([
      `(5) reset.verify open loop at twice the peak (${int(sent.median)} /s sent, ${int(figure.overload[0]!.count)} a run): share shed (unavailable) · p99 of the rest`,
      `${percent(shed.median)} · ${ms(answeredP99.median)}`,
      `${range(shed, percent)} · ${range(answeredP99, ms)}`,
      `answers: ${JSON.stringify(figure.overload[0]!.statuses)}`,
      '(reported)',
      '',
    ]);
  }
  return rows;
}

/** (9), (11), (12): each variant's runs beside (1)'s resetd (one instance, one Redis, tracing off) and the limit's, from the same rounds. */
export function variantRows(
  e2e: { resetd: LoadResult[]; cpuResetd: CpuShare[]; cpuLimit: CpuShare[]; commandsPerReset: number[] },
  variants: { n: number; runs: Partial<Record<VariantName, VariantRun[]>> },
  verdict: Verdict,
): Row[] {
  const rows: Row[] = [];
  const one = of(e2e.cpuResetd, (share) => share.resetd ?? NaN).median;
  const oneThroughput = of(e2e.resetd, (r) => r.throughput).median;
  const limit = medianOf(e2e.cpuLimit, 'limit');
  const n = int(variants.n);
  const { tracing, instances, cluster } = variants.runs;
  if (tracing && tracing.length > 0) {
    const cpu = cpuOf(tracing);
    const spans = of(tracing, (run) => run.spansPerReset ?? NaN).median;
    const twin = of(tracing, (run) => run.untracedCpu ?? NaN).median;
    const share = cpu.median / limit;
    rows.push([
      `(9) CPU-seconds per 1,000 resets, tracing on (OTLP/HTTP to the bench's receiver, sampled traceparent from the caller), ${n} a run`,
      seconds(cpu.median),
      range(cpu, (v) => v.toFixed(2)),
      `limit ${limit.toFixed(2)} s: ${ratio(share)}; tracing off: its twin ${twin.toFixed(2)} s, ${ratio(cpu.median / twin)}, (7) ${one.toFixed(2)} s, ${ratio(cpu.median / one)}; ${spans.toFixed(2)} spans per reset received; ${int(of(tracing, (run) => run.result.throughput).median)} /s`,
      '≤ 1.2 × limit',
      verdict('CPU per reset vs the limit, tracing on', ratio(share), '≤ 1.2 ×', share <= 1.2),
    ]);
  }
  if (instances && instances.length > 0) {
    const cpu = cpuOf(instances);
    const throughput = of(instances, (run) => run.result.throughput);
    const share = cpu.median / one;
    const limitPair = of(instances, (run) => run.limitPairCpu ?? NaN).median;
    rows.push([
      `(11) two resetd on one consumer, ${n} a run: throughput · CPU-seconds per 1,000 resets (both processes)`,
      `${int(throughput.median)} /s · ${seconds(cpu.median)}`,
      `${range(throughput, (v) => `${int(v)}`)} · ${range(cpu, (v) => v.toFixed(2))}`,
      `one instance (1): ${int(oneThroughput)} /s · ${seconds(one)}; CPU ${ratio(share)}; two limit pipelines the same way: ${limitPair.toFixed(2)} s, ${ratio(limitPair / limit)} one's`,
      "≤ 1.1 × one's",
      verdict('CPU per reset, two instances vs one', ratio(share), '≤ 1.1 ×', share <= 1.1),
    ]);
  }
  if (cluster && cluster.length > 0) {
    const cpu = cpuOf(cluster);
    const commands = of(cluster, (run) => run.commandsPerReset ?? NaN).median;
    const oneCommands = of(e2e.commandsPerReset, (value) => value).median;
    const redis = of(cluster, (run) => run.cpu.redis ?? NaN).median;
    rows.push([
      `(12) Redis Cluster of 3 masters, ${n} a run: CPU-seconds per 1,000 resets · Redis commands per reset`,
      `${seconds(cpu.median)} · ${commands.toFixed(1)}`,
      range(cpu, (v) => v.toFixed(2)),
      `one Redis (1): ${seconds(one)}, ${ratio(cpu.median / one)}; ${oneCommands.toFixed(1)} commands; Redis CPU ${redis.toFixed(2)} s (3 masters) vs ${medianOf(e2e.cpuResetd, 'redis').toFixed(2)} s; ${int(of(cluster, (run) => run.result.throughput).median)} /s`,
      '(reported)',
      '',
    ]);
  }
  return rows;
}

/** (10): the CPU per 1,000 resets charged to each concern by the profile, scaled to (9)'s CPU (else the profiled run's own). */
export function concernRows(costs: ConcernCosts, tracing: readonly VariantRun[] | undefined): Row[] {
  const traced = tracing && tracing.length > 0 ? cpuOf(tracing).median : NaN;
  const base = Number.isFinite(traced) ? traced : costs.profiledCpu;
  const source = Number.isFinite(traced) ? `(9)'s ${seconds(traced)}` : `the profiled run's ${seconds(costs.profiledCpu)}`;
  const restByModule = costs.restByModule.map(([owner, share]) => `${owner} ${percent(share)}`).join(', ');
  return CONCERNS.map((concern) => [
    `(10) CPU per 1,000 resets charged to ${concern} (CPU profile, tracing on, ${int(costs.count)} resets, ${int(costs.samples)} samples)`,
    `${(costs.shares[concern] * base).toFixed(3)} s`,
    '(1 run)',
    `${percent(costs.shares[concern])} of ${source}${concern === 'rest' ? `; most of it: ${restByModule}` : ''}`,
    '',
    '',
  ]);
}
