import { jetstreamManager } from '@nats-io/jetstream';
import { createNoopMeter } from '@opentelemetry/api';
import { Container } from 'inversify';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { AuditTrail } from '../adapters/audit/audit-trail.js';
import { createAuditSink } from '../adapters/audit/audit-sink.js';
import { AuditingPublisher } from '../adapters/audit/auditing-publisher.js';
import { CryptoRandom } from '../adapters/crypto/crypto-random.js';
import { HmacCodeHasher } from '../adapters/crypto/hmac-code-hasher.js';
import { JetStreamConsumerPending } from '../adapters/nats/jetstream-consumer-pending.js';
import { JetStreamInbox, type InboxOptions } from '../adapters/nats/jetstream-inbox.js';
import { JetStreamPublisher } from '../adapters/nats/jetstream-publisher.js';
import { NatsVerifyResponder } from '../adapters/nats/nats-verify-responder.js';
import { subjectsFor } from '../contract/subjects.js';
import { breakerStateValue, ResetMetrics } from '../adapters/otel/reset-metrics.js';
import { TracedMailer } from '../adapters/otel/traced-mailer.js';
import { FileOutboxMailer } from '../adapters/outbox/file-outbox-mailer.js';
import { RedisCodeStore } from '../adapters/redis/redis-code-store.js';
import { RedisNoticeLedger } from '../adapters/redis/redis-notice-ledger.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import type { MailBreaker } from '../adapters/resilience/mail-breaker.js';
import { ResilientCodeStore } from '../adapters/resilience/resilient-code-store.js';
import { ResilientMailer } from '../adapters/resilience/resilient-mailer.js';
import { createSmtpTransport, NodemailerMailer, smtpServerOf } from '../adapters/smtp/nodemailer-mailer.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import { NotifyPasswordChanged } from '../domain/notify-password-changed.js';
import type { Clock, CodeHasher, CodeStore, EventPublisher, Mailer, NoticeLedger, Random, RateLimiter } from '../domain/ports.js';
import { RequestReset } from '../domain/request-reset.js';
import { VerifyCode } from '../domain/verify-code.js';
import type { Config } from './config.js';
import type { Connections } from './connections.js';
import { OpsServer } from './ops-server.js';
import { readinessChecks } from './readiness.js';
import { ResetService } from './reset-service.js';
import type { Observability } from './telemetry.js';
import { TOKENS } from './tokens.js';

/** The one composition root: every object of the running service is made here. */
export function buildContainer(
  config: Config,
  connections: Connections,
  log: Logger,
  observability: Observability = { metrics: new ResetMetrics(createNoopMeter()) },
): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const subjects = subjectsFor(config.nats.subjectPrefix, { inbox: config.nats.inboxStream, events: config.nats.eventsStream });

  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(log);
  container.bind(TOKENS.Nats).toConstantValue(connections.nc);
  container.bind(TOKENS.JetStream).toConstantValue(connections.js);
  container.bind(TOKENS.Redis).toConstantValue(connections.redis);
  container.bind(TOKENS.RedisKeyPrefix).toConstantValue(config.redisKeyPrefix);
  container.bind(TOKENS.Subjects).toConstantValue(subjects);
  container.bind(TOKENS.EventSource).toConstantValue(`urn:resetd:${config.serviceName}`);
  container.bind(TOKENS.Policy).toConstantValue(config.policy);
  container.bind(TOKENS.Metrics).toConstantValue(observability.metrics);
  container.bind(TOKENS.MailOptions).toConstantValue({ from: config.mail.from, productName: config.mail.productName, dkim: config.mail.dkim });
  container.bind(TOKENS.OutboxDir).toConstantValue(config.mail.outboxDir);
  container.bind(TOKENS.InboxOptions).toConstantValue({
    consumer: config.nats.consumer,
    maxInFlight: config.nats.maxInFlight,
    maxDeliver: config.nats.maxDeliver,
    fetchExpiresMs: 3_000,
    workingIntervalMs: Math.max(1_000, Math.floor(config.nats.ackWaitMs / 3)),
    baseMs: 1_000,
    maxMs: 30_000,
  } satisfies InboxOptions);
  // Backpressure: while SMTP is down, the backlog waits in JetStream rather than in this process.
  container.bind(TOKENS.FetchGate).toDynamicValue((context) => {
    const breaker = context.get<MailBreaker>(TOKENS.MailBreaker);
    return () => breaker.holdingBack;
  });

  container.bind<Clock>(TOKENS.Clock).to(SystemClock);
  container.bind<Random>(TOKENS.Random).to(CryptoRandom);
  container.bind<CodeHasher>(TOKENS.CodeHasher).toDynamicValue(() => new HmacCodeHasher(config.otpSecrets));
  container.bind(RedisCodeStore).toSelf();
  container.bind<CodeStore>(TOKENS.CodeStore).toDynamicValue((context) => new ResilientCodeStore(context.get(RedisCodeStore), log));
  container.bind<RateLimiter>(TOKENS.RateLimiter).to(RedisRateLimiter);
  container.bind(TOKENS.AuditTrail).toDynamicValue((context) => new AuditTrail(createAuditSink(config.audit.file), context.get(TOKENS.Clock)));
  container.bind(JetStreamPublisher).toSelf();
  container
    .bind<EventPublisher>(TOKENS.EventPublisher)
    .toDynamicValue((context) => new AuditingPublisher(context.get(JetStreamPublisher), context.get(TOKENS.AuditTrail)));
  container.bind<NoticeLedger>(TOKENS.NoticeLedger).to(RedisNoticeLedger);
  if (config.smtp) {
    const smtp = config.smtp;
    container.bind<Transporter>(TOKENS.SmtpTransport).toDynamicValue(() => createSmtpTransport(smtp.url, { maxConnections: smtp.poolSize, pool: smtp.pool, security: smtp.security }));
    container.bind(NodemailerMailer).toSelf();
    // Traced inside the retries and the breaker: one span per real exchange with the server.
    container
      .bind<Mailer>(TOKENS.BaseMailer)
      .toDynamicValue((context) => new TracedMailer(context.get(NodemailerMailer), smtpServerOf(smtp.url), observability.metrics));
  } else {
    container.bind<Mailer>(TOKENS.BaseMailer).to(FileOutboxMailer);
  }
  container.bind(TOKENS.MailResilienceOptions).toConstantValue(config.mailResilience);
  container.bind(ResilientMailer).toSelf();
  container.bind<Mailer>(TOKENS.Mailer).toService(ResilientMailer);
  container.bind<MailBreaker>(TOKENS.MailBreaker).toDynamicValue((context) => context.get(ResilientMailer).breaker);

  container.bind(TOKENS.RequestReset).toDynamicValue(
    (context) =>
      new RequestReset({
        store: context.get(TOKENS.CodeStore),
        limiter: context.get(TOKENS.RateLimiter),
        mailer: context.get(TOKENS.Mailer),
        publisher: context.get(TOKENS.EventPublisher),
        hasher: context.get(TOKENS.CodeHasher),
        clock: context.get(TOKENS.Clock),
        random: context.get(TOKENS.Random),
        policy: config.policy,
      }),
  );
  container.bind(TOKENS.VerifyCode).toDynamicValue(
    (context) =>
      new VerifyCode({
        store: context.get(TOKENS.CodeStore),
        publisher: context.get(TOKENS.EventPublisher),
        hasher: context.get(TOKENS.CodeHasher),
        clock: context.get(TOKENS.Clock),
        random: context.get(TOKENS.Random),
      }),
  );
  container.bind(TOKENS.NotifyPasswordChanged).toDynamicValue(
    (context) =>
      new NotifyPasswordChanged({
        ledger: context.get(TOKENS.NoticeLedger),
        mailer: context.get(TOKENS.Mailer),
        publisher: context.get(TOKENS.EventPublisher),
        clock: context.get(TOKENS.Clock),
        policy: config.policy,
      }),
  );
  container.bind(TOKENS.Inbox).to(JetStreamInbox);
  container.bind(TOKENS.VerifyResponder).to(NatsVerifyResponder);
  container.bind(ResetService).toDynamicValue((context) => {
    const mailer = context.get<Mailer & { close?: () => void }>(TOKENS.BaseMailer);
    const inbox = context.get<JetStreamInbox>(TOKENS.Inbox);
    const breaker = context.get<MailBreaker>(TOKENS.MailBreaker);
    const pending = new JetStreamConsumerPending(() => jetstreamManager(connections.nc, { timeout: 1_000 }), subjects.inboxStream, config.nats.consumer);
    observability.metrics.observe({
      messagesInFlight: () => inbox.messagesInFlight,
      breakerState: () => breakerStateValue(breaker.state),
      consumerPending: () => pending.read(),
    });
    return new ResetService({
        log,
        connections,
        subjects,
        streams: {
          replicas: config.nats.replicas,
          consumer: config.nats.consumer,
          ackWaitMs: config.nats.ackWaitMs,
          maxDeliver: config.nats.maxDeliver,
          maxAckPending: Math.max(1000, config.nats.maxInFlight * 4),
        },
        inbox,
        verifyResponder: context.get(TOKENS.VerifyResponder),
        closeMailer: () => mailer.close?.(),
        jetstreamManager: () => jetstreamManager(connections.nc),
      });
  });
  container.bind(OpsServer).toDynamicValue((context) => {
    const service = context.get(ResetService);
    const breaker = context.get<MailBreaker>(TOKENS.MailBreaker);
    return new OpsServer({
      host: config.ops.host,
      port: config.ops.port,
      log,
      serveMetrics: observability.serveMetrics,
      checks: readinessChecks({
        nc: connections.nc,
        redis: connections.redis,
        // The outbox writes files: only an SMTP server can be away.
        mailUsable: () => !config.smtp || breaker.state !== 'open',
        serving: () => service.isServing,
      }),
    });
  });
  return container;
}
