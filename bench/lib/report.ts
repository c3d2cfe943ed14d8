import type { ConcernCosts } from './concern-costs.js';
import type { VariantName, VariantRun } from './e2e-variants.js';
import type { LoadResult } from './load.js';
import type { CpuShare } from './processes.js';
import { concernRows, steadyRows, variantRows, verifyRows } from './report-figures.js';
import { int, medianOf, ms, of, range, ratio, type Row } from './report-format.js';
import type { DedupeMemory } from './dedupe-memory.js';
import type { SigningCost } from './signing-cost.js';
import type { SteadyFigure } from './steady-figure.js';
import { spread } from './stats.js';
import type { VerifyFigure } from './verify-figure.js';

export type { CpuShare };

export interface BenchResults {
  meta: {
    date: string;
    quick: boolean;
    node: string;
    cores: number;
    cpu: string;
    loadBefore: number[];
    loadAfter: number[];
    nats: string;
    redis: string;
    commit: string;
    smtpDelayMs: number;
    smtpTls: boolean;
    poolSize: number;
    mailsPerConnection: number;
    maxInFlight: number;
    n: number;
    runs: number;
    window: number;
    seconds: number;
  };
  e2e?: {
    resetd: LoadResult[];
    limit: LoadResult[];
    cpuResetd: CpuShare[];
    cpuLimit: CpuShare[];
    /** Every command Redis ran per reset, those inside scripts included (INFO commandstats). */
    commandsPerReset: number[];
    commandBreakdown: Array<[string, number]>;
  };
  half?: SteadyFigure;
  quarter?: SteadyFigure;
  slow?: { runs: LoadResult[]; cpu: CpuShare[] };
  verify?: VerifyFigure;
  /** (9), (11), (12): resetd deployed otherwise, `n` requests a run, in the rounds of (1). */
  variants?: { n: number; runs: Partial<Record<VariantName, VariantRun[]>> };
  /** (10) */
  concerns?: ConcernCosts;
  /** `rssTimeline`: [seconds since the process was started, resident MB], once a second. */
  backlog?: { result: LoadResult; cpu: CpuShare; peakRssBytes: number; startSeconds: number; rssTimeline: Array<[number, number]> };
  /** (8) The CPU of one `Resetd-Signature`, made and checked, per run. */
  signing?: SigningCost[];
  /** (13) */
  dedupe?: DedupeMemory;
  roundTrips?: { sample: number; commandsSent: number; serverReads: number; byCommand: Array<[string, number]>; limitServerReads?: number };
  targets?: Target[];
}

export interface Target {
  readonly name: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
}

/** The table of figures and targets, as aligned text for the terminal and as Markdown. */
export function renderReport(results: BenchResults): { table: string; markdown: string } {
  const rows: Row[] = [];
  const targets: Target[] = [];
  const verdict = (name: string, measured: string, target: string, pass: boolean) => {
    targets.push({ name, measured, target, pass });
    return pass ? 'PASS' : 'FALLS SHORT';
  };
  const { meta } = results;

  let peak = NaN;
  if (results.e2e && results.e2e.resetd.length > 0) {
    const { resetd, limit } = results.e2e;
    const throughput = of(resetd, (r) => r.throughput);
    const limitThroughput = of(limit, (r) => r.throughput);
    peak = throughput.median;
    const share = throughput.median / limitThroughput.median;
    rows.push([
      `(1) end-to-end throughput, ${int(meta.n)} requests, first publish → last code.sent`,
      `${int(throughput.median)} /s`,
      range(throughput, (v) => `${int(v)}`),
      `limit ${int(limitThroughput.median)} /s: ${ratio(share)}`,
      '≥ 0.8 × limit',
      verdict('throughput vs the limit', ratio(share), '≥ 0.8 ×', share >= 0.8),
    ]);
    const p99 = of(resetd, (r) => r.latency.p99);
    rows.push([
      '(1) publish → code.sent, all published at once: p50 · p95 · p99 · max',
      [of(resetd, (r) => r.latency.p50), of(resetd, (r) => r.latency.p95), p99, of(resetd, (r) => r.latency.max)].map((s) => ms(s.median)).join(' · '),
      `p99 ${range(p99, ms)}`,
      `limit p99 ${ms(of(limit, (r) => r.latency.p99).median)}`,
      '',
      '',
    ]);
    const ack = of(resetd, (r) => r.publishAck.p99);
    rows.push([
      `(1) caller's cost: publish → JetStream ack, p99 (${meta.window} publishes in flight)`,
      ms(ack.median),
      range(ack, ms),
      `p50 ${ms(of(resetd, (r) => r.publishAck.p50).median)}`,
      '≤ 5 ms',
      verdict(`publish-ack p99, all published at once (${meta.window} in flight)`, ms(ack.median), '≤ 5 ms', ack.median <= 5),
    ]);
    rows.push([
      '(3) the limit pipeline: throughput (the ceiling)',
      `${int(limitThroughput.median)} /s`,
      range(limitThroughput, (v) => `${int(v)}`),
      `${medianOf(results.e2e.cpuLimit, 'limit').toFixed(2)} CPU-s per 1,000; ${results.roundTrips?.limitServerReads?.toFixed(2) ?? '?'} Redis round trips a reset, as resetd`,
      '',
      '',
    ]);
  }

  if (results.half) rows.push(...steadyRows(results.half, verdict, { timesLimit: 1.2 }));
  if (results.quarter) rows.push(...steadyRows(results.quarter, verdict, { p99Ms: 50 }));

  if (results.slow && results.slow.runs.length > 0) {
    const slow = of(results.slow.runs, (r) => r.throughput);
    const share = peak / slow.median;
    rows.push([
      `(4) the slow way: one SMTP connection per mail, ${int(results.slow.runs[0]!.count)} requests`,
      `${int(slow.median)} /s`,
      range(slow, (v) => `${int(v)}`),
      `pooled resetd: ${ratio(share)}`,
      '≥ 4 ×',
      verdict('pooled vs one connection per mail', ratio(share), '≥ 4 ×', share >= 4),
    ]);
  }

  if (results.verify) rows.push(...verifyRows(results.verify, verdict));

  if (results.backlog) {
    const { result, peakRssBytes } = results.backlog;
    const share = result.throughput / peak;
    const mb = peakRssBytes / 1e6;
    rows.push([
      `(6) backlog of ${int(result.count)}, published while stopped: drain rate (from process start) · peak RSS`,
      `${int(result.throughput)} /s · ${mb.toFixed(0)} MB`,
      '(1 run)',
      `${ratio(share)} the end-to-end throughput`,
      '≥ 0.8 ×, ≤ 150 MB',
      verdict('backlog drain', `${ratio(share)}, ${mb.toFixed(0)} MB`, '≥ 0.8 ×, ≤ 150 MB', share >= 0.8 && mb <= 150),
    ]);
  }

  if (results.e2e && results.e2e.resetd.length > 0) {
    const cpu = spread(results.e2e.cpuResetd.map((share) => share.resetd ?? NaN));
    const others = ['nats', 'redis', 'sink', 'bench'].map((name) => `${name} ${medianOf(results.e2e!.cpuResetd, name).toFixed(2)}`).join(', ');
    const limitCpu = medianOf(results.e2e.cpuLimit, 'limit');
    const share = cpu.median / limitCpu;
    // Each round runs resetd and the limit back to back: the ratio of each pair shows how far a round moves it.
    const perRound = results.e2e.cpuResetd.map((run, i) => (run.resetd ?? NaN) / (results.e2e!.cpuLimit[i]?.limit ?? NaN));
    const rounds = perRound.length > 1 ? `, round by round ${perRound.map((r) => r.toFixed(2)).join(', ')}` : '';
    rows.push([
      '(7) CPU-seconds per 1,000 resets (resetd process, end-to-end runs, tracing off)',
      `${cpu.median.toFixed(2)} s`,
      range(cpu, (v) => v.toFixed(2)),
      `limit ${limitCpu.toFixed(2)} s: ${ratio(share)}${rounds}; meanwhile: ${others}`,
      '≤ 1.2 × limit',
      verdict('CPU per reset vs the limit, tracing off', ratio(share), '≤ 1.2 ×', share <= 1.2),
    ]);
    const commands = spread(results.e2e.commandsPerReset);
    rows.push([
      '(7) Redis commands per reset, those run inside scripts included (INFO commandstats)',
      commands.median.toFixed(1),
      range(commands, (v) => v.toFixed(1)),
      results.e2e.commandBreakdown.slice(0, 6).map(([name, calls]) => `${name} ${calls.toFixed(1)}`).join(', '),
      '',
      '',
    ]);
  }
  if (results.signing && results.signing.length > 0) {
    const sign = of(results.signing, (cost) => cost.signUs);
    const check = of(results.signing, (cost) => cost.verifyUs);
    // A request publishes one signed event (code.sent); a code checked with reset.verify two more
    // signed messages (completed and the reply): three for a whole reset.
    const perThousand = (signatures: number) => (sign.median * signatures * 1000) / 1e6;
    const e2eCpu = results.e2e && results.e2e.resetd.length > 0 ? spread(results.e2e.cpuResetd.map((share) => share.resetd ?? NaN)).median : NaN;
    rows.push([
      `(8) Resetd-Signature: CPU to sign · to verify (${results.signing[0]!.bodyBytes}-byte event)`,
      `${sign.median.toFixed(1)} µs · ${check.median.toFixed(1)} µs`,
      range(sign, (v) => `${v.toFixed(1)} µs`),
      Number.isFinite(e2eCpu)
        ? `per 1,000 requests ${perThousand(1).toFixed(3)} CPU-s of (7)'s ${e2eCpu.toFixed(2)}: ${e2eCpu.toFixed(2)} with, ${(e2eCpu - perThousand(1)).toFixed(2)} without; a whole reset (3 signatures) ${perThousand(3).toFixed(3)} CPU-s per 1,000`
        : `a whole reset signs 3 messages: ${perThousand(3).toFixed(3)} CPU-s per 1,000`,
      '',
      '',
    ]);
  }
  if (results.dedupe) {
    const { messages, bytesPerId, inboxWindowSeconds, eventsWindowSeconds } = results.dedupe;
    // Held at once per reset a second: its command for the inbox's window, and two events (code.sent, then completed) for the events'.
    const heldPerRate = inboxWindowSeconds + 2 * eventsWindowSeconds;
    rows.push([
      `(13) nats-server memory per Nats-Msg-Id held in a duplicate window (${messages.toLocaleString('en-US')} events to resetd's events stream, with ids against without)`,
      `${bytesPerId.toFixed(0)} B`,
      '(1 run)',
      `windows: inbox ${inboxWindowSeconds} s, events ${eventsWindowSeconds} s; a reset a second holds ${heldPerRate.toLocaleString('en-US')} ids (a request, two events): ${((heldPerRate * bytesPerId * 1000) / 1e6).toFixed(0)} MB per NATS node per 1,000 resets/s`,
      '',
      '',
    ]);
  }
  if (results.e2e && results.e2e.resetd.length > 0 && results.variants) rows.push(...variantRows(results.e2e, results.variants, verdict));
  if (results.concerns) rows.push(...concernRows(results.concerns, results.variants?.runs.tracing));
  if (results.roundTrips) {
    const { serverReads, commandsSent, byCommand, sample } = results.roundTrips;
    rows.push([
      `(7) Redis round trips per reset (server reads, ${sample} resets one at a time)`,
      serverReads.toFixed(2),
      '(1 run)',
      `${commandsSent.toFixed(2)} commands sent: ${byCommand.map(([name, calls]) => `${name} ${calls.toFixed(2)}`).join(', ')}`,
      '≤ 4',
      verdict('Redis round trips per reset', serverReads.toFixed(2), '≤ 4', serverReads <= 4.05),
    ]);
  }
  results.targets = targets;

  const header: Row = ['figure', 'resetd (median)', 'min – max', 'compared with', 'target', 'result'];
  const conditions =
    `${meta.cores} cores (${meta.cpu}), Node ${meta.node}, ${meta.nats}, ${meta.redis.replace(/ sha=.*$/, '')}; ` +
    `load average ${meta.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${meta.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; ` +
    `SMTP sink replies ${meta.smtpDelayMs} ms late (each reply)${meta.smtpTls ? ', STARTTLS' : ', no TLS'}; pool of ${meta.poolSize} SMTP connections, each replaced after ${meta.mailsPerConnection} mails; ` +
    `${meta.maxInFlight} messages in flight; median of ${meta.runs} run(s)${meta.quick ? ' (--quick)' : ''}; ` +
    `commit ${meta.commit}, ${meta.date}, ${meta.seconds.toFixed(0)} s in all.`;
  const markdown = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`),
    '',
    conditions,
    '',
  ].join('\n');

  const widths = header.map((_, column) => Math.min(60, Math.max(...[header, ...rows].map((row) => row[column]!.length))));
  const line = (row: Row) => row.map((cell, column) => (cell.length > widths[column]! ? `${cell.slice(0, widths[column]! - 1)}…` : cell.padEnd(widths[column]!))).join('  ');
  const table = [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    conditions,
    '',
    ...targets.map((t) => `${t.pass ? 'PASS        ' : 'FALLS SHORT '} ${t.name}: ${t.measured} (target ${t.target})`),
  ].join('\n');
  return { table, markdown };
}
