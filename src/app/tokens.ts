/** Typed identifiers for the container; each names one role. */
export const TOKENS = {
  Config: Symbol.for('Config'),
  Logger: Symbol.for('Logger'),
  Redis: Symbol.for('Redis'),
  RedisKeyPrefix: Symbol.for('RedisKeyPrefix'),
  Nats: Symbol.for('Nats'),
  JetStream: Symbol.for('JetStream'),
  EventSource: Symbol.for('EventSource'),
  SmtpTransport: Symbol.for('SmtpTransport'),
  MailOptions: Symbol.for('MailOptions'),
  OutboxDir: Symbol.for('OutboxDir'),
  Subjects: Symbol.for('Subjects'),
  Policy: Symbol.for('Policy'),
  CodeStore: Symbol.for('CodeStore'),
  RateLimiter: Symbol.for('RateLimiter'),
  Mailer: Symbol.for('Mailer'),
  /** The mailer that talks to the server (SMTP or the outbox), before the resilience policies wrap it. */
  BaseMailer: Symbol.for('BaseMailer'),
  MailResilienceOptions: Symbol.for('MailResilienceOptions'),
  /** The SMTP circuit breaker's state, for the inbox's fetch gate, metrics and readiness. */
  MailBreaker: Symbol.for('MailBreaker'),
  EventPublisher: Symbol.for('EventPublisher'),
  Clock: Symbol.for('Clock'),
  Random: Symbol.for('Random'),
  CodeHasher: Symbol.for('CodeHasher'),
  RequestReset: Symbol.for('RequestReset'),
  VerifyCode: Symbol.for('VerifyCode'),
  NoticeLedger: Symbol.for('NoticeLedger'),
  NotifyPasswordChanged: Symbol.for('NotifyPasswordChanged'),
  /** Writes one audit record per outcome event and per `reset.verify` answer. */
  AuditTrail: Symbol.for('AuditTrail'),
  Inbox: Symbol.for('Inbox'),
  InboxOptions: Symbol.for('InboxOptions'),
  FetchGate: Symbol.for('FetchGate'),
  /** resetd's metric instruments (`ResetMetrics`), recorded where outcomes are known. */
  Metrics: Symbol.for('Metrics'),
  VerifyResponder: Symbol.for('VerifyResponder'),
} as const;
