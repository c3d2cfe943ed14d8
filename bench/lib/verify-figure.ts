import type { Bench } from './bench-context.js';
import type { VerifyResult } from './load.js';
import { measured, type CpuShare, type NodeProcess, type SinkProcess } from './processes.js';
import { spread } from './stats.js';
import { setTimeout as sleep } from 'node:timers/promises';

type Pair = readonly [resetId: string, code: string];

/** (5): reset.verify closed loop (the peak), then open loop at half of it and at twice it. */
export interface VerifyFigure {
  readonly concurrency: number;
  /** Closed loop, `concurrency` in flight: the peak. */
  readonly runs: VerifyResult[];
  /** resetd's CPU (and the others') per 1,000 answers of the closed-loop runs. */
  readonly cpu: CpuShare[];
  /** Open loop at half the peak. */
  readonly half: VerifyResult[];
  /** Open loop at twice the peak: past VERIFY_MAX_IN_FLIGHT, answered `unavailable` at once. */
  readonly overload: VerifyResult[];
}

/**
 * The right codes of resets mailed on resetd's `reset` subjects, as the sink read them, each used
 * once (a right code completes its reset). Those a shed request left unread go back in. When too
 * few are left, more resets are sent first, to mint them.
 */
export class CodePool {
  private readonly pairs: Pair[];
  private minted = 0;

  constructor(
    private readonly bench: Bench,
    private readonly sink: SinkProcess,
    tags: readonly string[],
  ) {
    this.pairs = [...sink.codes].filter(([resetId]) => tags.some((tag) => resetId.startsWith(`${tag}-`)));
  }

  async take(n: number): Promise<Pair[]> {
    if (this.pairs.length < n) await this.mint(n - this.pairs.length);
    return this.pairs.splice(0, n);
  }

  giveBack(pairs: readonly Pair[]): void {
    this.pairs.push(...pairs);
  }

  private async mint(missing: number): Promise<void> {
    const tag = `mint${(this.minted += 1)}`;
    const n = Math.ceil(missing * 1.02) + 10;
    await this.bench.driver.burst('reset', tag, n, this.bench.window, `(5) ${n} more resets, for their codes (not measured)`);
    while ([...this.sink.codes.keys()].filter((resetId) => resetId.startsWith(`${tag}-`)).length < n) await sleep(100);
    this.pairs.push(...[...this.sink.codes].filter(([resetId]) => resetId.startsWith(`${tag}-`)));
  }
}

export async function verifyFigure(
  bench: Bench,
  resetd: NodeProcess,
  codes: CodePool,
  options: { runs: number; perRun: number; concurrency: number; openSeconds: number },
): Promise<VerifyFigure> {
  const { runs, perRun, concurrency, openSeconds } = options;
  const figure: VerifyFigure = { concurrency, runs: [], cpu: [], half: [], overload: [] };
  for (let run = 1; run <= runs; run += 1) {
    const pairs = await codes.take(perRun);
    const [result, cpu] = await measured({ resetd: resetd.pid, ...bench.processes() }, () =>
      bench.driver.verify('reset', pairs, concurrency, `(5) verify run ${run}/${runs}, ${concurrency} in flight`),
    );
    figure.runs.push(result);
    figure.cpu.push(cpu);
    const spent = Object.entries(cpu).map(([name, seconds]) => `${name} ${(seconds * 1000).toFixed(0)} µs`).join(', ');
    bench.say(`(5) verify run ${run}: ${result.rate.toFixed(0)}/s, p99 ${result.latency.p99.toFixed(2)} ms, ${JSON.stringify(result.statuses)}; CPU per answer: ${spent}`);
  }
  const peak = spread(figure.runs.map((result) => result.rate)).median;
  for (let run = 1; run <= runs; run += 1) {
    for (const [fraction, results] of [[0.5, figure.half], [2, figure.overload]] as const) {
      const rate = Math.round(peak * fraction);
      const pairs = await codes.take(Math.max(1, Math.round(rate * openSeconds)));
      const [result, unread] = await bench.driver.verifyAt('reset', pairs, rate, `(5) verify open loop at ${rate}/s, run ${run}/${runs}`);
      codes.giveBack(unread);
      results.push(result);
      const shed = (result.statuses.unavailable ?? 0) / result.count;
      bench.say(
        `(5) verify at ${rate}/s run ${run}: sent at ${result.offeredRate!.toFixed(0)}/s, ${(shed * 100).toFixed(1)} % unavailable, ` +
          `answered p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(2)} ms, ${JSON.stringify(result.statuses)}`,
      );
    }
  }
  return figure;
}
