import { jetstreamManager } from '@nats-io/jetstream';
import { createNoopMeter } from '@opentelemetry/api';
import { Container, type MapToResolvedValueInjectOptions } from 'inversify';
import type { Logger } from 'pino';
import { AuditTrail } from '../adapters/audit/audit-trail.js';
import { createAuditSink } from '../adapters/audit/audit-sink.js';
import { AuditingPublisher } from '../adapters/audit/auditing-publisher.js';
import { CryptoRandom } from '../adapters/crypto/crypto-random.js';
import { HmacCodeHasher } from '../adapters/crypto/hmac-code-hasher.js';
import { JetStreamInboxBacklog } from '../adapters/nats/jetstream-inbox-backlog.js';
import { LogThrottle } from '../adapters/system/log-throttle.js';
import { InboxRouter } from '../adapters/nats/inbox-router.js';
import { JetStreamConsumeLoop } from '../adapters/nats/jetstream-consume-loop.js';
import { JetStreamPublisher, VERDICT_PUBLISH_RETRY } from '../adapters/nats/jetstream-publisher.js';
import { messageUseCases } from '../adapters/nats/message-use-cases.js';
import { NatsVerifyResponder } from '../adapters/nats/nats-verify-responder.js';
import { eventIdDeriver } from '../contract/cloud-event.js';
import { maskUrl } from '../contract/mask-url.js';
import { messageSigner } from '../contract/message-signature.js';
import { subjectsFor } from '../contract/subjects.js';
import { breakerStateValue, ResetMetrics } from '../adapters/otel/reset-metrics.js';
import { TracedMailer } from '../adapters/otel/traced-mailer.js';
import { FileOutboxMailer } from '../adapters/outbox/file-outbox-mailer.js';
import type { MailOptions } from '../adapters/mail/mail-message.js';
import { RedisCodeStore } from '../adapters/redis/redis-code-store.js';
import { RedisNoticeLedger } from '../adapters/redis/redis-notice-ledger.js';
import { RedisOwedEvents } from '../adapters/redis/redis-owed-events.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { ResilientCodeStore } from '../adapters/resilience/resilient-code-store.js';
import { isTransientRedisFault } from '../adapters/redis/redis-faults.js';
import { ResilientMailer } from '../adapters/resilience/resilient-mailer.js';
import { createSmtpTransport, NodemailerMailer, smtpServerOf } from '../adapters/smtp/nodemailer-mailer.js';
import { OwedEventsLoop } from '../adapters/system/owed-events-loop.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import { PublishOwedEvents } from '../domain/owed-events.js';
import type { Config } from './config.js';
import { ConfigError } from '../adapters/environment/config-error.js';
import type { Connections } from './connections.js';
import { OpsServer, runChecks } from './ops-server.js';
import { mailProblem, readinessChecks } from './readiness.js';
import { ResetService } from './reset-service.js';
import { SmtpStartCheck } from './smtp-start-check.js';
import type { Observability } from './telemetry.js';
import { TOKENS, type Token } from './tokens.js';

type Dependencies<A extends unknown[]> = { [K in keyof A]: Token<A[K]> };

/** Binds `token` to what `make` builds from the listed dependencies: the one way anything is bound. */
function provider(container: Container) {
  return <T, A extends unknown[]>(token: Token<T>, dependencies: [...Dependencies<A>], make: (...args: A) => T): void => {
    container.bind<T>(token).toResolvedValue(make, dependencies as MapToResolvedValueInjectOptions<A>);
  };
}

/** What the container made under `token`, typed as the token says. */
export function resolve<T>(container: Container, token: Token<T>): T {
  return container.get<T>(token);
}

/** The one composition root: every object of the running service is made here. */
export function buildContainer(
  config: Config,
  connections: Connections,
  log: Logger,
  observability: Observability = { metrics: new ResetMetrics(createNoopMeter()) },
): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const provide = provider(container);
  const { metrics } = observability;
  const subjects = subjectsFor(config.nats.subjectPrefix, { inbox: config.nats.inboxStream, events: config.nats.eventsStream });
  const mailOptions = { from: config.mail.from, productName: config.mail.productName, dkim: config.mail.dkim };
  const { redis, nc, js } = connections;
  // Parsed once: each event and reply then costs one Ed25519 signature.
  const signer = messageSigner(config.signingKey);
  const eventId = eventIdDeriver(connections.eventIdKey);

  provide(TOKENS.Clock, [], () => new SystemClock());
  provide(TOKENS.Random, [], () => new CryptoRandom());
  provide(TOKENS.CodeHasher, [], () => new HmacCodeHasher(config.otpSecrets));
  provide(TOKENS.CodeStore, [], () => {
    const keyLines = new LogThrottle(60_000);
    const onKeyNotHeld = (keyId: string) => {
      const heldBack = keyLines.pass(keyId);
      if (heldBack === undefined) return;
      log.warn(
        { keyId, heldBack, held: config.otpSecrets.length },
        'a code still in its lifetime was made with a code key this instance does not hold, so it answered expired: unless that key was retired on purpose, give every instance the same OTP_SECRETS',
      );
    };
    return new ResilientCodeStore(new RedisCodeStore(redis, config.redisKeyPrefix, { onKeyNotHeld }), log, isTransientRedisFault);
  });
  provide(TOKENS.RateLimiter, [], () => new RedisRateLimiter(redis, config.redisKeyPrefix, config.ipv6PrefixLength));
  provide(TOKENS.NoticeLedger, [], () => new RedisNoticeLedger(redis, config.redisKeyPrefix));
  provide(TOKENS.OwedEvents, [], () => new RedisOwedEvents(redis, config.redisKeyPrefix, config.nats.limits.eventsMaxAgeMs));
  provide(TOKENS.AuditTrail, [TOKENS.Clock], (clock) => new AuditTrail(auditSink(config.audit.file, log), clock));
  const source = `urn:resetd:${config.serviceName}`;
  provide(TOKENS.EventPublisher, [TOKENS.Clock, TOKENS.AuditTrail], (clock, audit) =>
    new AuditingPublisher(new JetStreamPublisher(js, subjects, clock, source, signer, eventId), audit),
  );
  provide(TOKENS.VerdictPublisher, [TOKENS.Clock, TOKENS.AuditTrail], (clock, audit) =>
    new AuditingPublisher(new JetStreamPublisher(js, subjects, clock, source, signer, eventId, VERDICT_PUBLISH_RETRY), audit),
  );

  const smtp = config.smtp;
  if (smtp) {
    // One SMTP mailer for the start-up check and the mail, so what the check learns (SMTPUTF8) serves the mail.
    provide(TOKENS.SmtpMailer, [], () => {
      const transport = createSmtpTransport(smtp.url, { maxConnections: smtp.poolSize, maxMessages: smtp.maxMessages, pool: smtp.pool, name: smtp.name, security: smtp.security });
      return new NodemailerMailer(transport, mailOptions);
    });
    provide(TOKENS.SmtpStartCheck, [TOKENS.SmtpMailer], (mailer) => new SmtpStartCheck(mailer, maskUrl(smtp.url), log));
    provide(TOKENS.MailStartProblem, [TOKENS.SmtpStartCheck], (check) => () => check.reason);
    // Traced inside the retries and the breaker: one span per real exchange with the server. An
    // open breaker with nothing to send is probed by a login alone, so readiness follows the server's return.
    provide(TOKENS.Mailer, [TOKENS.SmtpMailer], (mailer) =>
      new ResilientMailer(new TracedMailer(mailer, smtpServerOf(smtp.url), metrics), config.mailResilience, log, { name: 'SMTP', check: () => mailer.checkServer() }),
    );
  } else {
    // The outbox's directory is checked as the mailer is made, and probed by a file written while its breaker is open.
    provide(TOKENS.Mailer, [], () => {
      const outbox = outboxMailer(config.mail.outboxDir, mailOptions);
      return new ResilientMailer(outbox, config.mailResilience, log, { name: 'outbox', check: async () => outbox.ensureWritable() });
    });
    provide(TOKENS.MailStartProblem, [], () => () => undefined);
  }
  provide(TOKENS.MailBreaker, [TOKENS.Mailer], (mailer) => mailer.breaker);

  provide(
    TOKENS.UseCases,
    [
      TOKENS.CodeStore,
      TOKENS.RateLimiter,
      TOKENS.NoticeLedger,
      TOKENS.OwedEvents,
      TOKENS.Mailer,
      TOKENS.EventPublisher,
      TOKENS.VerdictPublisher,
      TOKENS.CodeHasher,
      TOKENS.Clock,
      TOKENS.Random,
    ],
    (store, limiter, ledger, owed, mailer, publisher, verdictPublisher, hasher, clock, random) =>
      messageUseCases({ store, limiter, ledger, owed, mailer, publisher, verdictPublisher, hasher, clock, random, policy: config.policy }),
  );
  provide(
    TOKENS.Inbox,
    [TOKENS.UseCases, TOKENS.MailBreaker],
    (useCases, breaker) => {
      const router = new InboxRouter(
        subjects,
        { consumer: config.nats.consumer, maxDeliver: config.nats.maxDeliver, baseMs: 1_000, maxMs: 30_000 },
        useCases,
        log,
        metrics,
      );
      return new JetStreamConsumeLoop(
        js,
        {
          stream: subjects.inboxStream,
          consumer: config.nats.consumer,
          maxInFlight: config.nats.maxInFlight,
          fetchExpiresMs: 3_000,
          workingIntervalMs: Math.max(1_000, Math.floor(config.nats.ackWaitMs / 3)),
        },
        (delivery) => router.route(delivery),
        // Backpressure: while SMTP is down, the backlog waits in JetStream rather than in this process.
        () => breaker.holdingBack,
        log,
      );
    },
  );
  provide(
    TOKENS.VerifyResponder,
    [TOKENS.UseCases, TOKENS.AuditTrail],
    (useCases, audit) => new NatsVerifyResponder(nc, subjects, useCases, log, metrics, audit, signer, { maxInFlight: config.nats.verifyMaxInFlight }),
  );
  provide(
    TOKENS.ResetService,
    [TOKENS.Mailer, TOKENS.Inbox, TOKENS.VerifyResponder, TOKENS.OwedEvents, TOKENS.VerdictPublisher],
    (mailer, inbox, verifyResponder, owed, publisher) =>
      new ResetService({
        log,
        connections,
        subjects,
        streams: {
          replicas: config.nats.replicas,
          consumer: config.nats.consumer,
          ackWaitMs: config.nats.ackWaitMs,
          maxDeliver: config.nats.maxDeliver,
          maxAckPending: Math.max(1000, config.nats.maxInFlight * 4),
          limits: config.nats.limits,
        },
        inbox,
        verifyResponder,
        // Through the verdicts' publisher: a stop during an outage must not wait out a leader election.
        owedEvents: new OwedEventsLoop(new PublishOwedEvents({ owed, publisher }), log),
        closeMailer: () => mailer.close(),
        jetstreamManager: () => jetstreamManager(nc),
      }),
  );
  provide(TOKENS.OpsServer, [TOKENS.ResetService, TOKENS.Inbox, TOKENS.MailBreaker, TOKENS.MailStartProblem], (service, inbox, breaker, startProblem) => {
    const checks = readinessChecks({
      nc,
      natsLink: connections.natsLink,
      redis,
      mailProblem: () => mailProblem(startProblem(), breaker.state, smtp ? 'SMTP' : 'outbox'),
      serving: () => service.isServing,
    });
    // The gauges are read at each scrape of this server's /metrics, from the same state it serves.
    // Unreadable while NATS is away (its own lines say so); for a missing permission or a wrong
    // consumer name this is the one word of why the backlog gauges are absent, every ten minutes.
    const backlogLines = new LogThrottle(600_000);
    const onUnreadable = (error: unknown) => {
      const heldBack = backlogLines.pass('unreadable');
      if (heldBack !== undefined) log.warn({ err: error, heldBack }, 'could not read the inbox backlog; its gauges are absent until it can be read');
    };
    const backlog = new JetStreamInboxBacklog(() => jetstreamManager(nc, { timeout: 1_000 }), subjects.inboxStream, config.nats.consumer, { onUnreadable });
    metrics.observe({
      messagesInFlight: () => inbox.messagesInFlight,
      breakerState: () => breakerStateValue(breaker.state),
      inboxBacklog: () => backlog.read(),
      readiness: () => runChecks(checks),
    });
    return new OpsServer({ host: config.ops.host, port: config.ops.port, log, serveMetrics: observability.serveMetrics, checks });
  });
  return container;
}

/** The audit sink; a file that cannot be opened (a path through a file, no permission) is the start's one line about AUDIT_LOG_FILE. */
function auditSink(file: string | undefined, log: Logger) {
  try {
    return createAuditSink(file, log);
  } catch (error) {
    throw cannotBeWritten('AUDIT_LOG_FILE', file, error);
  }
}

/** The outbox; a directory that cannot take a file is the start's one line about MAIL_OUTBOX_DIR, not a breaker opened by every mail. */
function outboxMailer(dir: string, options: MailOptions): FileOutboxMailer {
  const mailer = new FileOutboxMailer(dir, options);
  try {
    mailer.ensureWritable();
  } catch (error) {
    throw cannotBeWritten('MAIL_OUTBOX_DIR', dir, error);
  }
  return mailer;
}

function cannotBeWritten(variable: string, path: string | undefined, error: unknown): ConfigError {
  return new ConfigError(`${variable} ${JSON.stringify(path)} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
}
