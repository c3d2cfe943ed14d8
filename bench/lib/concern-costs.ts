import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OtlpReceiver } from '../../test/support/otlp-receiver.js';
import type { Bench } from './bench-context.js';
import { concernShares, monotonicMicros, readCpuProfile, type ProfileShares } from './cpu-profile.js';
import { tracingOn, untilQuiet, warm } from './e2e-variants.js';
import { measured } from './processes.js';

/** What the CPU profile of one end-to-end run of resetd, tracing on, charged to each concern. */
export interface ConcernCosts extends ProfileShares {
  readonly count: number;
  /** CPU-seconds per 1,000 resets of the profiled process, as /proc counted them (the profiler's own cost included). */
  readonly profiledCpu: number;
}

/**
 * Runs resetd with tracing on as shipped under `node --cpu-prof` for one burst of `n` after a
 * warm-up, stops it (the profile is written at exit) and charges each sample to a concern.
 */
export async function concernCosts(bench: Bench, receiver: OtlpReceiver, n: number): Promise<ConcernCosts> {
  const prefix = 'profiled';
  const dir = join(bench.tmp, 'concerns-profile');
  mkdirSync(dir, { recursive: true });
  const service = await bench.startService('profiled', prefix, tracingOn(receiver), ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  bench.driver.traceCallers(prefix);
  await warm(bench, prefix, 'warm-prof');
  await untilQuiet(receiver);
  // The profile covers the process's life; only the samples of the measured burst are counted.
  const from = monotonicMicros();
  const [result, cpu] = await measured({ resetd: service.pid }, async () => {
    const loaded = await bench.driver.burst(prefix, 'prof', n, bench.window, 'profiled resetd, tracing on');
    await untilQuiet(receiver);
    return loaded;
  });
  const to = monotonicMicros();
  await service.stop();
  receiver.spans.length = 0;
  receiver.bodies.length = 0;
  return { count: result.count, profiledCpu: cpu.resetd!, ...concernShares(readCpuProfile(dir), from, to) };
}
