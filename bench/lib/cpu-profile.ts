import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What each CPU sample of resetd is charged to. */
export const CONCERNS = ['tracing', 'metrics', 'audit', 'logging', 'validation', 'signing', 'gc', 'rest'] as const;
export type Concern = (typeof CONCERNS)[number];

/** The parts of a `.cpuprofile` (V8's format, as `node --cpu-prof` writes it) that are read here. */
interface CpuProfile {
  readonly nodes: ReadonlyArray<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  readonly samples: readonly number[];
  /** Microseconds of the monotonic clock (CLOCK_MONOTONIC on Linux, as `process.hrtime`), and between samples. */
  readonly startTime: number;
  readonly timeDeltas: readonly number[];
}

/** Now on the clock a profile's times are in: microseconds of the monotonic clock. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The module that owns a frame, by its file: first match wins, so the metrics parts of OpenTelemetry
 * are metrics before the rest of it is tracing. A file matching none is `rest` (the domain, NATS,
 * Redis, mail, the runtime's own JavaScript).
 */
const OWNERS: ReadonlyArray<[Concern, RegExp]> = [
  ['metrics', /\/src\/adapters\/otel\/reset-metrics\.|\/@opentelemetry\/(sdk-metrics|exporter-prometheus)\/|\/@opentelemetry\/api\/build\/[^/]+\/(metrics|api\/metrics)/],
  ['tracing', /\/src\/adapters\/otel\/|\/src\/adapters\/redis\/redis-spans\.|\/src\/app\/telemetry\.|\/@opentelemetry\//],
  ['audit', /\/src\/adapters\/audit\/|\/src\/adapters\/nats\/inbound-audit\./],
  ['logging', /\/node_modules\/(pino|pino-std-serializers|fast-redact|quick-format-unescaped|thread-stream|safe-stable-stringify)\//],
  ['validation', /\/node_modules\/zod\/|\/src\/contract\/schemas\./],
  ['signing', /\/src\/contract\/message-signature\.|^node:internal\/crypto\/sig$/],
];

/**
 * Frames that work for whoever calls them, so a sample in one is charged to the caller: Node's own
 * internals (but signing, above), native code, and sonic-boom, the file writer that both pino's
 * log lines and the audit trail go through.
 */
const PASS_THROUGH = /^$|^node:|\/node_modules\/sonic-boom\//;

/**
 * Shares of the CPU samples taken between `from` and `to` (idle ones left out) charged to each
 * concern, and how many samples that was. A sample is charged to
 * the innermost frame of its stack that is a module of its own, not a pass-through: a span
 * wrapped around a handler (or a Redis command) does not make the handler's work tracing; the
 * serialising and export of spans is.
 * The garbage collector's samples are `gc`, whoever allocated.
 */
export function concernShares(profile: CpuProfile, from = -Infinity, to = Infinity): ProfileShares {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owners = new Map<number, string | undefined>();
  // A concern's name, or for the rest the module that owns the frame; undefined for idle.
  const ownerOf = (id: number | undefined): string | undefined => {
    if (id === undefined) return RUNTIME;
    if (owners.has(id)) return owners.get(id);
    const { functionName, url } = byId.get(id)!.callFrame;
    let owner: string | undefined;
    if (functionName === '(idle)') owner = undefined;
    else if (functionName === '(garbage collector)') owner = 'gc';
    else if (functionName === '(program)' || functionName === '(root)') owner = RUNTIME;
    else owner = OWNERS.find(([, pattern]) => pattern.test(url))?.[0] ?? (PASS_THROUGH.test(url) ? ownerOf(parent.get(id)) : moduleOf(url));
    owners.set(id, owner);
    return owner;
  };
  const counts = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  for (const [index, id] of profile.samples.entries()) {
    at += profile.timeDeltas[index] ?? 0;
    if (at < from || at > to) continue;
    const owner = ownerOf(id);
    if (owner === undefined) continue;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    total += 1;
  }
  const share = (count: number) => count / Math.max(total, 1);
  const isConcern = (owner: string): owner is Concern => (CONCERNS as readonly string[]).includes(owner);
  const shares = Object.fromEntries(CONCERNS.map((concern) => [concern, share(counts.get(concern) ?? 0)])) as Record<Concern, number>;
  const rest = [...counts].filter(([owner]) => !isConcern(owner)).sort((a, b) => b[1] - a[1]);
  shares.rest = share(rest.reduce((sum, [, count]) => sum + count, 0));
  return { shares, samples: total, restByModule: rest.slice(0, 6).map(([owner, count]) => [owner, share(count)]) };
}

/** What the samples of a profile were charged to. */
export interface ProfileShares {
  readonly shares: Record<Concern, number>;
  readonly samples: number;
  /** The largest parts of `rest`, by the module that owns the frame. */
  readonly restByModule: Array<[string, number]>;
}

/** Stacks of Node's internals and native code alone: socket reads and writes, TLS, timers. */
const RUNTIME = '(node runtime)';

/** A package's name, or `src/<layer>/<folder>` for resetd's own files. */
function moduleOf(url: string): string {
  const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return inPackage[1]!;
  const own = /\/(src\/[^/]+(?:\/[^/.]+(?=\/))?)/.exec(url);
  return own ? own[1]! : url;
}

/** The one `.cpuprofile` `node --cpu-prof` wrote into `dir` when the process exited. */
export function readCpuProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as CpuProfile;
}
