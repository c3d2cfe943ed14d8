import { randomUUID } from 'node:crypto';
import { TestClient, uniquePrefix } from './nats.js';
import { NatsServer, RedisServer, track } from './processes.js';
import { ServiceProcess } from './service-process.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { onTestFailed } from 'vitest';

/** The events that end a `reset.requested`: each request must get exactly one of them. */
export const OUTCOME_TYPES = ['reset.code.sent', 'reset.rejected', 'reset.delivery.failed'] as const;
export type OutcomeType = (typeof OUTCOME_TYPES)[number];

/** An event as it sits in `<PREFIX>_EVENTS`. */
export interface StoredEvent {
  readonly seq: number;
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly data: Record<string, unknown> & { resetId: string };
  /** When the stream stored it, ms since the epoch. */
  readonly storedAt: number;
}

export interface FaultWorldOptions {
  readonly label: string;
  /** Redis with an fsynced append-only file, so its data survives a restart (as in production). */
  readonly persistentRedis?: boolean;
  readonly sink?: SmtpSinkOptions;
}

/**
 * What every world of service processes shares: an SMTP sink, a client of resetd under a prefix of
 * its own, the service processes started against them, and the requests made. A subclass says
 * where NATS and Redis are.
 */
export abstract class ServiceWorld {
  readonly services: ServiceProcess[] = [];
  /** Request index → reset id, for the requests made through `request`. */
  readonly resetIds: string[] = [];

  protected constructor(
    readonly label: string,
    readonly prefix: string,
    readonly sink: SmtpSink,
    readonly client: TestClient,
  ) {}

  /** The variables that point a service at this world's NATS and Redis. */
  protected abstract backendEnv(): Record<string, string>;

  /** The environment of a service process in this world, with `extra` on top. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.backendEnv(),
      RESET_SUBJECT_PREFIX: this.prefix,
      REDIS_KEY_PREFIX: this.prefix,
      SMTP_URL: this.sink.url,
      RATE_IP_PER_HOUR: '100000',
      RATE_GLOBAL_PER_HOUR: '1000000',
      OTEL_TRACES_EXPORTER: 'none',
      ...extra,
    };
  }

  async startService(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.start(this.env(extra));
    track(service.child);
    this.services.push(service);
    reportOutputOnFailure(this.label, service);
    return service;
  }

  /** Starts the client reading every event (once a service has made the streams); later calls do nothing. */
  watchEvents(): Promise<void> {
    return (this.watching ??= this.client.watchEvents());
  }

  private watching: Promise<void> | undefined;

  /** Publishes of `request` that failed and were tried again with the same id. */
  publishRetries = 0;

  email(index: number): string {
    return `${this.label}-${index}@example.com`;
  }

  /**
   * Publishes request `index` as the auth service would, retrying a failed publish with the same
   * id (and so the same Nats-Msg-Id) until the server acknowledges it.
   */
  async request(index: number, timeoutMs = 60_000): Promise<string> {
    const resetId = (this.resetIds[index] ??= randomUUID());
    const data = { userId: `u-${this.label}-${index}`, email: this.email(index) };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.client.requestReset(data, { id: resetId });
        return resetId;
      } catch (error) {
        this.publishRetries += 1;
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }

  /** Publishes requests `from` … `from + count - 1`, one every `spacingMs` (0: as fast as acknowledged). */
  async requestMany(count: number, options: { from?: number; spacingMs?: number } = {}): Promise<string[]> {
    const from = options.from ?? 0;
    const ids: string[] = [];
    for (let index = from; index < from + count; index += 1) {
      ids.push(await this.request(index));
      if (options.spacingMs) await sleep(options.spacingMs);
    }
    return ids;
  }

  /** Every event in the events stream, read afresh: the stream is the record, whatever a watcher missed. */
  async readEvents(): Promise<StoredEvent[]> {
    const stream = this.client.subjects.eventsStream;
    const info = await this.client.jsm.streams.info(stream).catch(() => undefined);
    if (!info || info.state.messages === 0) return [];
    const last = info.state.last_seq;
    const consumer = await this.client.js.consumers.get(stream);
    const messages = await consumer.consume();
    const events: StoredEvent[] = [];
    try {
      for await (const msg of messages) {
        const body = msg.json<Omit<StoredEvent, 'seq' | 'storedAt'>>();
        events.push({ seq: msg.seq, id: body.id, source: body.source, type: body.type, data: body.data, storedAt: msg.info.timestampNanos / 1e6 });
        if (msg.seq >= last) break;
      }
    } finally {
      await messages.close();
    }
    return events;
  }

  /** Waits until every reset in `resetIds` has an outcome in the stream; returns the stream's events. */
  async waitForOutcomes(resetIds: readonly string[], timeoutMs: number): Promise<StoredEvent[]> {
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [...resetIds];
    for (;;) {
      const stored = await this.client.jsm.streams
        .info(this.client.subjects.eventsStream)
        .then((info) => info.state.messages)
        .catch(() => 0);
      if (stored >= missing.length) {
        const events = await this.readEvents().catch(() => undefined);
        if (events) {
          const done = new Set(events.filter((e) => isOutcome(e.type)).map((e) => e.data.resetId));
          missing = resetIds.filter((id) => !done.has(id));
          if (missing.length === 0) return events;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`${missing.length} of ${resetIds.length} requests have no outcome after ${timeoutMs} ms, e.g. ${missing.slice(0, 3).join(', ')}`);
      }
      await sleep(500);
    }
  }

  /** Accepted mails per recipient address. */
  mailCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const delivery of this.sink.deliveries) {
      for (const to of delivery.rcptTo) counts.set(to.toLowerCase(), (counts.get(to.toLowerCase()) ?? 0) + 1);
    }
    return counts;
  }

  /** Lines of every service's output matching `pattern`. */
  logLines(pattern: RegExp): string[] {
    return this.services.flatMap((service) => service.output.filter((line) => pattern.test(line)));
  }

  /** Stops every service still running (SIGKILL: the test is over), the client and the sink. */
  protected async closeServices(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop('SIGKILL')));
    await this.client.nc.close().catch(() => undefined);
    await this.sink.stop();
  }
}

/** Lines of a service's output printed when the test that started it fails: what it saw, for a failure that will not come back. */
const OUTPUT_ON_FAILURE = 60;

function reportOutputOnFailure(label: string, service: ServiceProcess): void {
  try {
    onTestFailed(() => {
      console.info(`[${label}] the last ${OUTPUT_ON_FAILURE} lines of service ${service.pid}:\n${service.output.slice(-OUTPUT_ON_FAILURE).join('\n')}`);
    });
  } catch {
    // Started by a beforeAll hook: no one test to report to.
  }
}

/**
 * One fault test's own world: a redis-server, a nats-server with a file store and an SMTP sink on
 * free ports, a client of resetd, and the service processes started against them. `close()` stops
 * every process it started, by PID.
 */
export class FaultWorld extends ServiceWorld {
  private constructor(
    label: string,
    prefix: string,
    readonly redis: RedisServer,
    readonly nats: NatsServer,
    sink: SmtpSink,
    client: TestClient,
  ) {
    super(label, prefix, sink, client);
  }

  static async start(options: FaultWorldOptions): Promise<FaultWorld> {
    const redis = await RedisServer.start({ persistent: options.persistentRedis });
    const nats = await NatsServer.start().catch(async (error: unknown) => {
      await redis.close();
      throw error;
    });
    const sink = await startSmtpSink(options.sink);
    const client = await TestClient.connect(uniquePrefix(options.label), nats.url);
    return new FaultWorld(options.label, client.subjects.prefix, redis, nats, sink, client);
  }

  protected backendEnv(): Record<string, string> {
    return { NATS_URL: this.nats.url, REDIS_URL: this.redis.url };
  }

  /** Stops every service still running (SIGKILL: the test is over), the client, the sink and both servers. */
  async close(): Promise<void> {
    await this.closeServices();
    await Promise.all([this.nats.close(), this.redis.close()]);
  }
}

export function isOutcome(type: string): type is OutcomeType {
  return (OUTCOME_TYPES as readonly string[]).includes(type);
}

/** resetId → outcome type → the distinct CloudEvent ids of that type (the stream may hold a repeat). */
export function outcomesByReset(events: readonly StoredEvent[]): Map<string, Map<OutcomeType, Set<string>>> {
  const byReset = new Map<string, Map<OutcomeType, Set<string>>>();
  for (const event of events) {
    if (!isOutcome(event.type)) continue;
    const byType = byReset.get(event.data.resetId) ?? new Map<OutcomeType, Set<string>>();
    byReset.set(event.data.resetId, byType);
    const ids = byType.get(event.type) ?? new Set<string>();
    byType.set(event.type, ids);
    ids.add(event.id);
  }
  return byReset;
}

/**
 * The requests that do not have exactly one outcome, each with what it has: [] when every request
 * has exactly one (one type, one distinct event id).
 */
export function outcomeProblems(events: readonly StoredEvent[], resetIds: readonly string[]): string[] {
  const byReset = outcomesByReset(events);
  const problems: string[] = [];
  for (const resetId of resetIds) {
    const byType = byReset.get(resetId);
    const count = byType ? [...byType.values()].reduce((sum, ids) => sum + ids.size, 0) : 0;
    if (count !== 1) problems.push(`${resetId}: ${byType ? JSON.stringify([...byType].map(([type, ids]) => [type, ids.size])) : 'no outcome'}`);
  }
  return problems;
}

/** The one outcome of each request, by reset id (the first when there are several). */
export function outcomeOf(events: readonly StoredEvent[]): Map<string, StoredEvent> {
  const outcomes = new Map<string, StoredEvent>();
  for (const event of events) if (isOutcome(event.type) && !outcomes.has(event.data.resetId)) outcomes.set(event.data.resetId, event);
  return outcomes;
}
