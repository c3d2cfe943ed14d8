/**
 * resetd's request path alone (see `bench/request-path.ts`, which prints what this measures): the
 * inbox router, the domain and every adapter of a request as the composition root wires them, with
 * Redis, JetStream and SMTP answering at once.
 */
import { generateKeyPairSync } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Command } from 'ioredis';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { destination, pino } from 'pino';
import { envSchema } from '../../src/adapters/environment/env-schema.js';
import { AuditTrail } from '../../src/adapters/audit/audit-trail.js';
import { AuditingPublisher } from '../../src/adapters/audit/auditing-publisher.js';
import { CryptoRandom } from '../../src/adapters/crypto/crypto-random.js';
import { HmacCodeHasher } from '../../src/adapters/crypto/hmac-code-hasher.js';
import type { Delivery } from '../../src/adapters/nats/jetstream-consume-loop.js';
import { InboxRouter } from '../../src/adapters/nats/inbox-router.js';
import { messageUseCases } from '../../src/adapters/nats/message-use-cases.js';
import { JetStreamPublisher } from '../../src/adapters/nats/jetstream-publisher.js';
import { eventIdDeriver } from '../../src/contract/cloud-event.js';
import { SynchronousContextManager } from '../../src/adapters/otel/message-context.js';
import { ResetMetrics } from '../../src/adapters/otel/reset-metrics.js';
import { TracedMailer } from '../../src/adapters/otel/traced-mailer.js';
import type { RedisClient } from '../../src/adapters/redis/redis-client.js';
import { finishScript } from '../../src/adapters/redis/scripts/finish-script.js';
import { issueScript } from '../../src/adapters/redis/scripts/issue-script.js';
import { reserveScript } from '../../src/adapters/redis/scripts/reserve-script.js';
import { takeCurrentScript } from '../../src/adapters/redis/scripts/take-current-script.js';
import { RedisCodeStore } from '../../src/adapters/redis/redis-code-store.js';
import { isTransientRedisFault } from '../../src/adapters/redis/redis-faults.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { ResilientCodeStore } from '../../src/adapters/resilience/resilient-code-store.js';
import { MAIL_BACKOFF, ResilientMailer } from '../../src/adapters/resilience/resilient-mailer.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { messageSigner } from '../../src/contract/message-signature.js';
import { subjectsFor } from '../../src/contract/subjects.js';
import { defaultPolicy } from '../../src/domain/policy.js';
import type { NoticeLedger, OwedEvents } from '../../src/domain/ports.js';

export interface RequestPathOptions {
  /** Requests measured, after `warmUp` more that are not. */
  readonly n: number;
  readonly warmUp: number;
  /** Events signed as shipped; else a signature that costs nothing. */
  readonly signing: boolean;
  /** Spans recorded as shipped and serialised as the OTLP/HTTP exporter does, not sent. */
  readonly tracing: boolean;
}

export interface RequestPathCost {
  /** CPU (user and system) of this process per measured request. */
  readonly cpuMicros: number;
  /** Spans exported per request routed, the warm-up's included; 0 with tracing off. */
  readonly spansPerRequest: number;
}

/**
 * Routes `warmUp` then `n` new requests, 64 at a time as the inbox holds them, each of which must be
 * acked, and measures the second part. Sets OpenTelemetry's globals up for the run and takes them down after.
 * One traced run per process: resetd's tracer (`spans.ts`) is taken once, from the first provider.
 */
export async function measureRequestPath({ n, warmUp, signing, tracing }: RequestPathOptions): Promise<RequestPathCost> {
  context.setGlobalContextManager(new SynchronousContextManager());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  let spansExported = 0;
  let provider: NodeTracerProvider | undefined;
  if (tracing) {
    const exporter: SpanExporter = {
      export(spans, done) {
        ProtobufTraceSerializer.serializeRequest(spans);
        spansExported += spans.length;
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => undefined,
    };
    // Batches as resetd's (OTEL_BSP_MAX_EXPORT_BATCH_SIZE); a queue long enough that no span is dropped while 64 requests end at once.
    const maxExportBatchSize = envSchema.shape.OTEL_BSP_MAX_EXPORT_BATCH_SIZE.parse(process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE);
    provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize, maxQueueSize: 65_536, scheduledDelayMillis: 100 })] });
    trace.setGlobalTracerProvider(provider);
  }

  // Each server answers at once, as the request path expects of a new reset that is admitted. Scripts
  // arrive as EVALSHA commands (`runScript`), known by their digest: [sha, number of keys, ...keys, ...args].
  const scriptReplies = new Map<string, (keysAndArgs: unknown[]) => unknown>([
    [reserveScript.sha, () => ['counted']],
    [issueScript.sha, () => ['issued', Date.now() + 600_000, 0, 1]],
    [takeCurrentScript.sha, () => ['current', []]],
    // Finish answers with the outcome it stored, its third argument after the one key.
    [finishScript.sha, (keysAndArgs) => keysAndArgs[3]],
  ]);
  const redis = {
    isCluster: false,
    options: { host: '127.0.0.1', port: 6379 },
    hgetall: async () => ({}),
    sendCommand(command: Command) {
      const [sha, , ...keysAndArgs] = command.args as unknown[];
      const reply = scriptReplies.get(sha as string);
      if (!reply) throw new Error(`request-path: no answer for ${command.name} ${String(sha)}`);
      command.resolve(reply(keysAndArgs));
      return command.promise;
    },
  } as unknown as RedisClient;
  const js = { publish: async () => ({ duplicate: false }) } as unknown as JetStreamClient;
  const smtp = { send: async () => ({ kind: 'accepted' as const }) };

  const log = pino({ level: 'info' }, destination('/dev/null'));
  const metrics = new ResetMetrics(new MeterProvider().getMeter('resetd'));
  const subjects = subjectsFor('path');
  const clock = new SystemClock();
  const signer = !signing ? { kid: 'none', sign: () => 'none' } : messageSigner(generateKeyPairSync('ed25519').privateKey);
  const publisher = new AuditingPublisher(
    new JetStreamPublisher(js, subjects, clock, 'urn:resetd:path', signer, eventIdDeriver('request-path event id key, 32 chars or more')),
    new AuditTrail({ write: () => undefined, close: () => undefined }, clock),
  );
  const mailer = new ResilientMailer(
    new TracedMailer(smtp, { address: '127.0.0.1', port: 25 }, metrics),
    { attempts: 3, ...MAIL_BACKOFF, breakerThreshold: 5, halfOpenAfterMs: 1_000 },
    log,
  );
  // Only requests come through here: the ledger and the owed events are never called.
  const useCases = messageUseCases({
    store: new ResilientCodeStore(new RedisCodeStore(redis, 'path'), log, isTransientRedisFault),
    limiter: new RedisRateLimiter(redis, 'path', 64),
    ledger: {} as NoticeLedger,
    owed: {} as OwedEvents,
    mailer,
    publisher,
    verdictPublisher: publisher,
    hasher: new HmacCodeHasher(['x'.repeat(32)]),
    clock,
    random: new CryptoRandom(),
    policy: defaultPolicy,
  });
  const router = new InboxRouter(subjects, { consumer: 'resetd', maxDeliver: -1, baseMs: 1_000, maxMs: 30_000 }, useCases, log, metrics);

  const encoder = new TextEncoder();
  const delivery = (i: number): Delivery => ({
    subject: subjects.requested,
    headers: tracing ? sampled(i) : undefined,
    seq: i,
    deliveryCount: 1,
    storedAt: new Date(),
    data: encoder.encode(
      JSON.stringify({
        specversion: '1.0',
        id: `path-${i}`,
        source: 'urn:bench',
        type: 'reset.requested',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { userId: `u-${i}`, email: `user${i}@example.com`, clientIp: `203.0.113.${i & 255}`, locale: 'en' },
      }),
    ),
  });

  /** The headers of a caller that samples its trace. */
  function sampled(i: number) {
    const headers = natsHeaders();
    headers.set('traceparent', `00-${(i + 1).toString(16).padStart(32, '0')}-00f067aa0ba902b7-01`);
    return headers;
  }

  /** Routes `count` requests, 64 at a time as the inbox holds them; every one must be acked. */
  async function route(from: number, count: number): Promise<void> {
    const inputs = Array.from({ length: count }, (_, i) => delivery(from + i));
    for (let i = 0; i < count; i += 64) {
      const dispositions = await Promise.all(inputs.slice(i, i + 64).map((each) => router.route(each)));
      if (dispositions.some((disposition) => disposition.kind !== 'ack')) throw new Error(`not acked: ${JSON.stringify(dispositions)}`);
    }
  }

  try {
    await route(0, warmUp);
    const started = process.cpuUsage();
    await route(1_000_000, n);
    // The spans of the last requests are exported with the measured ones.
    await provider?.forceFlush();
    const used = process.cpuUsage(started);
    return { cpuMicros: (used.user + used.system) / n, spansPerRequest: spansExported / (n + warmUp) };
  } finally {
    if (provider) {
      await provider.shutdown();
      trace.disable();
    }
    propagation.disable();
    context.disable();
  }
}
