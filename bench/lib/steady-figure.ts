import type { Bench } from './bench-context.js';
import type { LoadResult } from './load.js';

/** resetd and the limit pipeline, in turn, at one steady rate: a fraction of resetd's peak. */
export interface SteadyFigure {
  readonly fraction: number;
  readonly rate: number;
  readonly resetd: LoadResult[];
  readonly limit: LoadResult[];
  /** SMTP connections opened during each of resetd's runs, each the successor of one that had sent its share. */
  readonly resetdConnections: number[];
}

/**
 * `runs` times: resetd (on `reset`), then the limit pipeline (on `limit`), each published to on
 * a fixed schedule at `fraction` of `peak` for `seconds` (open loop), to every outcome.
 */
export async function steadyFigure(bench: Bench, options: { figure: string; name: string; fraction: number; peak: number; runs: number; seconds: number }): Promise<SteadyFigure> {
  const { figure, name, fraction, peak, runs, seconds } = options;
  const rate = Math.max(1, Math.round(peak * fraction));
  const figureResult: SteadyFigure = { fraction, rate, resetd: [], limit: [], resetdConnections: [] };
  for (let run = 1; run <= runs; run += 1) {
    for (const [prefix, results, tag] of [['reset', figureResult.resetd, name], ['limit', figureResult.limit, `l${name}`]] as const) {
      const connectionsBefore = prefix === 'reset' ? await bench.smtpConnections() : 0;
      const result = await bench.driver.steady(prefix, `${tag}${run}`, rate, seconds, `${figure} ${prefix === 'reset' ? 'resetd' : 'limit'} at ${rate}/s, run ${run}/${runs}`);
      results.push(result);
      if (prefix === 'reset') figureResult.resetdConnections.push((await bench.smtpConnections()) - connectionsBefore);
      bench.say(
        `${figure} ${prefix === 'reset' ? 'resetd' : 'limit'} at ${rate}/s run ${run}: p50 ${result.latency.p50.toFixed(1)} ms, p95 ${result.latency.p95.toFixed(1)} ms, ` +
          `p99 ${result.latency.p99.toFixed(1)} ms, publish-ack p99 ${result.publishAck.p99.toFixed(2)} ms` +
          (prefix === 'reset' ? `, ${figureResult.resetdConnections.at(-1)} SMTP connections opened` : ''),
      );
    }
  }
  return figureResult;
}
