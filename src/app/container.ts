import { jetstreamManager } from '@nats-io/jetstream';
import { Container } from 'inversify';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { CryptoRandom } from '../adapters/crypto/crypto-random.js';
import { HmacCodeHasher } from '../adapters/crypto/hmac-code-hasher.js';
import { JetStreamInbox, type InboxOptions } from '../adapters/nats/jetstream-inbox.js';
import { JetStreamPublisher } from '../adapters/nats/jetstream-publisher.js';
import { NatsVerifyResponder } from '../adapters/nats/nats-verify-responder.js';
import { subjectsFor } from '../adapters/nats/subjects.js';
import { FileOutboxMailer } from '../adapters/outbox/file-outbox-mailer.js';
import { RedisCodeStore } from '../adapters/redis/redis-code-store.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { createSmtpTransport, NodemailerMailer } from '../adapters/smtp/nodemailer-mailer.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import type { Clock, CodeHasher, CodeStore, EventPublisher, Mailer, Random, RateLimiter } from '../domain/ports.js';
import { RequestReset } from '../domain/request-reset.js';
import { VerifyCode } from '../domain/verify-code.js';
import type { Config } from './config.js';
import type { Connections } from './connections.js';
import { ResetService } from './reset-service.js';
import { TOKENS } from './tokens.js';

/** The one composition root: every object of the running service is made here. */
export function buildContainer(config: Config, connections: Connections, log: Logger): Container {
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
  container.bind(TOKENS.MailOptions).toConstantValue({ from: config.mail.from, productName: config.mail.productName });
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
  container.bind(TOKENS.FetchGate).toConstantValue(() => false);

  container.bind<Clock>(TOKENS.Clock).to(SystemClock);
  container.bind<Random>(TOKENS.Random).to(CryptoRandom);
  container.bind<CodeHasher>(TOKENS.CodeHasher).toDynamicValue(() => new HmacCodeHasher(config.otpSecrets));
  container.bind<CodeStore>(TOKENS.CodeStore).to(RedisCodeStore);
  container.bind<RateLimiter>(TOKENS.RateLimiter).to(RedisRateLimiter);
  container.bind<EventPublisher>(TOKENS.EventPublisher).to(JetStreamPublisher);
  if (config.smtp) {
    const smtp = config.smtp;
    container.bind<Transporter>(TOKENS.SmtpTransport).toDynamicValue(() => createSmtpTransport(smtp.url, { maxConnections: smtp.poolSize, pool: true }));
    container.bind<Mailer>(TOKENS.Mailer).to(NodemailerMailer);
  } else {
    container.bind<Mailer>(TOKENS.Mailer).to(FileOutboxMailer);
  }

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
  container.bind(TOKENS.Inbox).to(JetStreamInbox);
  container.bind(TOKENS.VerifyResponder).to(NatsVerifyResponder);
  container.bind(ResetService).toDynamicValue((context) => {
    const mailer = context.get<Mailer & { close?: () => void }>(TOKENS.Mailer);
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
        inbox: context.get(TOKENS.Inbox),
        verifyResponder: context.get(TOKENS.VerifyResponder),
        closeMailer: () => mailer.close?.(),
        jetstreamManager: () => jetstreamManager(connections.nc),
      });
  });
  return container;
}
