import { performance } from 'node:perf_hooks';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { aClientSpan } from '../../test/support/trace-context.js';
import { summarise, type LatencySummary } from './stats.js';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCALES = ['en', 'de', 'fr', 'es'] as const;

/** What one load run measured. */
export interface LoadResult {
  readonly label: string;
  readonly count: number;
  /** code.sent per second, from the first publish to the last code.sent. */
  readonly throughput: number;
  /** Publish (before the call) to code.sent (as the bench received it), in ms. */
  readonly latency: LatencySummary;
  /** The caller's cost: publish to JetStream's acknowledgement, in ms. */
  readonly publishAck: LatencySummary;
  /** Seconds from the first to the last publish. */
  readonly publishSeconds: number;
  readonly seconds: number;
  /** Outcomes other than code.sent (should be none). */
  readonly otherOutcomes: number;
  /** For a steady run: the rate asked for. */
  readonly offeredRate?: number;
}

export interface Progress {
  (line: string): void;
}

/** Tracks one run's requests by index: `<tag>-<index>` is each one's resetId. */
export class RunTracker {
  readonly published: Float64Array;
  readonly acked: Float64Array;
  readonly received: Float64Array;
  count = 0;
  others = 0;
  lastReceive = 0;
  private wake: (() => void) | undefined;

  constructor(
    readonly tag: string,
    readonly n: number,
  ) {
    this.published = new Float64Array(n);
    this.acked = new Float64Array(n);
    this.received = new Float64Array(n);
  }

  receive(index: number, type: 'sent' | 'other', at: number): void {
    if (index < 0 || index >= this.n || this.received[index] !== 0) return;
    this.received[index] = at;
    this.lastReceive = at;
    this.count += 1;
    if (type === 'other') this.others += 1;
    if (this.count === this.n) this.wake?.();
  }

  /** Resolves when every request has its outcome; rejects when none came for `stallMs`. */
  async done(stallMs: number, progress: () => void): Promise<void> {
    let seen = this.count;
    let lastChange = performance.now();
    while (this.count < this.n) {
      await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), sleep(2_000)]);
      progress();
      if (this.count !== seen) {
        seen = this.count;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > stallMs) {
        throw new Error(`run ${this.tag}: no outcome for ${stallMs / 1000} s; ${this.count}/${this.n} arrived`);
      }
    }
  }
}

/** The bench's NATS client: publishes requests as a caller would and watches the outcome events. */
export class LoadDriver {
  private readonly runs = new Map<string, RunTracker>();
  private readonly watched = new Set<string>();
  private readonly tracedCallers = new Set<string>();
  private ipCounter = 0;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    private readonly progress: Progress,
  ) {}

  static async connect(servers: string, progress: Progress): Promise<LoadDriver> {
    // A lean client, as resetd is one: no stack trace captured for every request in case it fails.
    const nc = await connect({ servers, name: 'bench', maxReconnectAttempts: -1, noAsyncTraces: true });
    return new LoadDriver(nc, jetstream(nc, { timeout: 60_000 }), progress);
  }

  /** Core subscriptions to a deployment's outcomes: JetStream publishes reach them too, at no cost to the streams. */
  watch(prefix: string): void {
    if (this.watched.has(prefix)) return;
    this.watched.add(prefix);
    const decoder = new TextDecoder();
    for (const [event, type] of [['code.sent', 'sent'], ['rejected', 'other'], ['delivery.failed', 'other']] as const) {
      this.nc.subscribe(`${prefix}.${event}`, {
        callback: (_error, msg) => {
          const at = performance.now();
          const resetId = (JSON.parse(decoder.decode(msg.data)) as { data: { resetId: string } }).data.resetId;
          const dash = resetId.lastIndexOf('-');
          this.runs.get(resetId.slice(0, dash))?.receive(Number(resetId.slice(dash + 1)), type, at);
        },
      });
    }
  }

  /**
   * Requests to this deployment carry a sampled W3C `traceparent` of a span of the caller's own, as
   * an auth service that traces would send: resetd's spans continue the caller's trace.
   */
  traceCallers(prefix: string): void {
    this.tracedCallers.add(prefix);
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  private body(resetId: string, index: number): string {
    const ip = (this.ipCounter += 1);
    return JSON.stringify({
      specversion: '1.0',
      id: resetId,
      source: 'urn:resetd-bench',
      type: 'reset.requested',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: {
        userId: `user-${resetId}`,
        email: `${resetId}@bench.example`,
        locale: LOCALES[index % LOCALES.length],
        displayName: 'Ada Lovelace',
        clientIp: `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`,
        userAgent: 'resetd-bench/1',
      },
    });
  }

  private publishOne(prefix: string, run: RunTracker, index: number): Promise<void> {
    const resetId = `${run.tag}-${index}`;
    const body = this.body(resetId, index);
    const start = performance.now();
    run.published[index] = start;
    const options = this.tracedCallers.has(prefix) ? { msgID: resetId, headers: traceHeaders() } : { msgID: resetId };
    return this.js.publish(`${prefix}.requested`, body, options).then(() => {
      run.acked[index] = performance.now() - start;
    });
  }

  private track(tag: string, n: number): RunTracker {
    const run = new RunTracker(tag, n);
    this.runs.set(tag, run);
    return run;
  }

  /**
   * Publishes `n` requests as fast as JetStream acknowledges them, with at most `window`
   * unacknowledged, then waits for every outcome. With `waitForOutcomes` false it returns once
   * all are acknowledged (the backlog), and `collect` waits for the outcomes later.
   */
  async burst(prefix: string, tag: string, n: number, window: number, label: string): Promise<LoadResult> {
    const run = await this.publishAll(prefix, tag, n, window, label);
    return this.collect(run, label);
  }

  async publishAll(prefix: string, tag: string, n: number, window: number, label: string): Promise<RunTracker> {
    const run = this.track(tag, n);
    let next = 0;
    let acked = 0;
    const ticker = setInterval(() => this.progress(`${label}: published ${acked}/${n}, outcomes ${run.count}/${n}`), 2_000);
    try {
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        const pump = () => {
          while (inFlight < window && next < n) {
            inFlight += 1;
            this.publishOne(prefix, run, next++).then(() => {
              inFlight -= 1;
              acked += 1;
              if (acked === n) resolve();
              else pump();
            }, reject);
          }
        };
        pump();
      });
    } finally {
      clearInterval(ticker);
    }
    return run;
  }

  async collect(run: RunTracker, label: string, startedAt = run.published[0]!): Promise<LoadResult> {
    await run.done(90_000, () => this.progress(`${label}: outcomes ${run.count}/${run.n}`));
    return this.result(run, label, startedAt);
  }

  /** Publishes at a steady `rate` per second for `seconds` (open loop: on schedule, whatever the acks), then waits for every outcome. */
  async steady(prefix: string, tag: string, rate: number, seconds: number, label: string): Promise<LoadResult> {
    const n = Math.max(1, Math.round(rate * seconds));
    const run = this.track(tag, n);
    const pending: Promise<void>[] = [];
    const ticker = setInterval(() => this.progress(`${label}: ${rate.toFixed(0)}/s, published ${pending.length}/${n}, outcomes ${run.count}/${n}`), 2_000);
    try {
      await paced(n, rate, (i) => pending.push(this.publishOne(prefix, run, i)));
      await Promise.all(pending);
    } finally {
      clearInterval(ticker);
    }
    const result = await this.collect(run, label);
    return { ...result, offeredRate: rate };
  }

  /** One request at a time, each published once the one before has its outcome: nothing overlaps. */
  async sequential(prefix: string, tag: string, n: number, label: string): Promise<LoadResult> {
    const run = this.track(tag, n);
    for (let i = 0; i < n; i += 1) {
      await this.publishOne(prefix, run, i);
      while (run.received[i] === 0) await sleep(1);
    }
    return this.collect(run, label);
  }

  private result(run: RunTracker, label: string, startedAt: number): LoadResult {
    const latencies = new Float64Array(run.n);
    let lastPublish = 0;
    for (let i = 0; i < run.n; i += 1) {
      latencies[i] = run.received[i]! - run.published[i]!;
      lastPublish = Math.max(lastPublish, run.published[i]!);
    }
    const seconds = (run.lastReceive - startedAt) / 1000;
    this.runs.delete(run.tag);
    return {
      label,
      count: run.n,
      throughput: run.n / seconds,
      latency: summarise(latencies),
      publishAck: summarise(Float64Array.from(run.acked)),
      publishSeconds: (lastPublish - run.published[0]!) / 1000,
      seconds,
      otherOutcomes: run.others,
    };
  }

  /**
   * `reset.verify` with `concurrency` requests in flight (closed loop), one per (resetId, code)
   * pair: requests per second over the whole run, the latency of each, and how each was answered.
   */
  async verify(prefix: string, pairs: ReadonlyArray<readonly [string, string]>, concurrency: number, label: string): Promise<VerifyResult> {
    const answers = new VerifyAnswers(pairs.length);
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < pairs.length) {
        const index = next++;
        answers.record(index, await this.verifyOne(prefix, pairs[index]!));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    this.progress(`${label}: ${pairs.length} answered in ${seconds.toFixed(2)} s`);
    return { label, count: pairs.length, rate: pairs.length / seconds, latency: answers.latency(), statuses: answers.statuses };
  }

  /**
   * `reset.verify` on a fixed schedule of `rate` per second (open loop: on time whatever the
   * answers), one request per pair. The latency is of the requests answered other than
   * `unavailable` (an instance past its maximum sheds at once); the pairs shed come back unused.
   */
  async verifyAt(prefix: string, pairs: ReadonlyArray<readonly [string, string]>, rate: number, label: string): Promise<[VerifyResult, Array<readonly [string, string]>]> {
    const answers = new VerifyAnswers(pairs.length);
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    await paced(pairs.length, rate, (index) => pending.push(this.verifyOne(prefix, pairs[index]!).then((answer) => answers.record(index, answer))));
    const sendSeconds = (performance.now() - t0) / 1000;
    await Promise.all(pending);
    const seconds = (performance.now() - t0) / 1000;
    this.progress(`${label}: ${pairs.length} sent in ${sendSeconds.toFixed(2)} s, all answered in ${seconds.toFixed(2)} s`);
    const unused = pairs.filter((_, index) => answers.status[index] === 'unavailable');
    const result = {
      label,
      count: pairs.length,
      rate: pairs.length / seconds,
      offeredRate: pairs.length / Math.max(sendSeconds, 1 / rate),
      latency: answers.latency((status) => status !== 'unavailable'),
      statuses: answers.statuses,
    };
    return [result, unused];
  }

  /** One request-reply; a timeout is an answer too (`timeout`), so an overload cannot stop the run. */
  private async verifyOne(prefix: string, [resetId, code]: readonly [string, string]): Promise<{ ms: number; status: string }> {
    const start = performance.now();
    try {
      const reply = await this.nc.request(`${prefix}.verify`, JSON.stringify({ resetId, code }), { timeout: 10_000 });
      return { ms: performance.now() - start, status: (JSON.parse(DECODER.decode(reply.data)) as { status: string }).status };
    } catch {
      return { ms: performance.now() - start, status: 'timeout' };
    }
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}

export interface VerifyResult {
  readonly label: string;
  readonly count: number;
  /** Requests answered per second, from the first request to the last answer. */
  readonly rate: number;
  /** Open loop: the rate the requests were sent at, as achieved. */
  readonly offeredRate?: number;
  readonly latency: LatencySummary;
  readonly statuses: Record<string, number>;
}

const DECODER = new TextDecoder();

/** Each verify request's latency and status, by index. */
class VerifyAnswers {
  readonly ms: Float64Array;
  readonly status: string[];
  readonly statuses: Record<string, number> = {};

  constructor(n: number) {
    this.ms = new Float64Array(n);
    this.status = new Array<string>(n);
  }

  record(index: number, answer: { ms: number; status: string }): void {
    this.ms[index] = answer.ms;
    this.status[index] = answer.status;
    this.statuses[answer.status] = (this.statuses[answer.status] ?? 0) + 1;
  }

  latency(include: (status: string) => boolean = () => true): LatencySummary {
    return summarise(this.ms.filter((_, index) => include(this.status[index]!)));
  }
}

/** Calls `send(i)` for i in 0…n-1 on a fixed schedule of `rate` per second, whatever each call does. */
async function paced(n: number, rate: number, send: (index: number) => void): Promise<void> {
  const interval = 1000 / rate;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) {
    const wait = t0 + i * interval - performance.now();
    if (wait >= 1) await sleep(wait);
    send(i);
  }
}

/** Headers with a sampled `traceparent` of a new client span. */
function traceHeaders() {
  const h = headers();
  h.set('traceparent', aClientSpan().traceparent);
  return h;
}
