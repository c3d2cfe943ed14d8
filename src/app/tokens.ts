import type { JetStreamConsumeLoop } from '../adapters/nats/jetstream-consume-loop.js';
import type { MessageUseCases } from '../adapters/nats/message-use-cases.js';
import type { NatsVerifyResponder } from '../adapters/nats/nats-verify-responder.js';
import type { AuditTrail } from '../adapters/audit/audit-trail.js';
import type { MailBreaker } from '../adapters/resilience/mail-breaker.js';
import type { ResilientMailer } from '../adapters/resilience/resilient-mailer.js';
import type { NodemailerMailer } from '../adapters/smtp/nodemailer-mailer.js';
import type { Clock, CodeHasher, CodeStore, EventPublisher, NoticeLedger, OwedEvents, Random, RateLimiter } from '../domain/ports.js';
import type { OpsServer } from './ops-server.js';
import type { ResetService } from './reset-service.js';
import type { SmtpStartCheck } from './smtp-start-check.js';

declare const bound: unique symbol;

/**
 * A container key that carries the type bound under it: `provide` only accepts a factory that makes
 * that type from dependencies of the declared types, so binding a mailer where a store is asked for
 * fails the type check.
 */
export type Token<T> = symbol & { readonly [bound]?: T };

const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>;

/** Each role of the running service, by what it is. */
export const TOKENS = {
  Clock: token<Clock>('Clock'),
  Random: token<Random>('Random'),
  CodeHasher: token<CodeHasher>('CodeHasher'),
  CodeStore: token<CodeStore>('CodeStore'),
  RateLimiter: token<RateLimiter>('RateLimiter'),
  NoticeLedger: token<NoticeLedger>('NoticeLedger'),
  /** Verdicts' events JetStream did not take, published later by every instance. */
  OwedEvents: token<OwedEvents>('OwedEvents'),
  /** The SMTP mailer itself, when SMTP_URL is set: the start-up check probes the server through it. */
  SmtpMailer: token<NodemailerMailer>('SmtpMailer'),
  /** The check of the SMTP server at start, and why mail cannot go out while it has not been reached. */
  SmtpStartCheck: token<SmtpStartCheck>('SmtpStartCheck'),
  /** Why mail could not go out since the start (the SMTP server not reached yet), or undefined: for readiness. */
  MailStartProblem: token<() => string | undefined>('MailStartProblem'),
  /** The mailer that talks to the server (SMTP or the outbox) inside retries and the circuit breaker: what the use cases send through. */
  Mailer: token<ResilientMailer>('Mailer'),
  /** The mail circuit breaker's state (SMTP's or the outbox's), for the inbox's fetch gate, metrics and readiness. */
  MailBreaker: token<MailBreaker>('MailBreaker'),
  /** Writes one audit record per outcome event and per `reset.verify` answer. */
  AuditTrail: token<AuditTrail>('AuditTrail'),
  EventPublisher: token<EventPublisher>('EventPublisher'),
  /** The publisher of verdicts' events, which owe an event JetStream does not take at once rather than wait. */
  VerdictPublisher: token<EventPublisher>('VerdictPublisher'),
  /** The use cases, made for each message with ports bound to its context. */
  UseCases: token<MessageUseCases>('UseCases'),
  Inbox: token<JetStreamConsumeLoop>('Inbox'),
  VerifyResponder: token<NatsVerifyResponder>('VerifyResponder'),
  ResetService: token<ResetService>('ResetService'),
  OpsServer: token<OpsServer>('OpsServer'),
} as const;
