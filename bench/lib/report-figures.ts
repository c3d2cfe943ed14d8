import { int, ms, of, range, ratio, type Row, type Verdict } from './report-format.js';
import type { SteadyFigure } from './steady-figure.js';

/** (2): resetd and the limit at one steady rate: publish → code.sent, and the caller's publish → ack. */
export function steadyRows(figure: SteadyFigure, verdict: Verdict, target: { p99: number; notAboveLimit: boolean }): Row[] {
  const { rate, resetd, limit, fraction } = figure;
  const share = fraction === 0.5 ? 'half the peak' : fraction === 0.25 ? 'a quarter of the peak' : `${fraction} × the peak`;
  const p99 = of(resetd, (r) => r.latency.p99);
  const limitP99 = of(limit, (r) => r.latency.p99);
  const ack = of(resetd, (r) => r.publishAck.p99);
  const limitAck = of(limit, (r) => r.publishAck.p99);
  const latencyTarget = target.notAboveLimit ? `≤ ${target.p99} ms and ≤ the limit's` : `≤ ${target.p99} ms`;
  const latencyPass = p99.median <= target.p99 && (!target.notAboveLimit || p99.median <= limitP99.median);
  const ackShare = ack.median / limitAck.median;
  return [
    [
      `(2) publish → code.sent at a steady ${int(rate)} /s (${share}): p50 · p95 · p99`,
      [of(resetd, (r) => r.latency.p50), of(resetd, (r) => r.latency.p95), p99].map((s) => ms(s.median)).join(' · '),
      `p99 ${range(p99, ms)}`,
      `limit p99 ${ms(limitP99.median)} at the same rate`,
      latencyTarget,
      verdict(`p99 at ${share}`, `${ms(p99.median)} (limit ${ms(limitP99.median)})`, latencyTarget, latencyPass),
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
