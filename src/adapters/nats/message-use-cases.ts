import type { Context } from '@opentelemetry/api';
import { NotifyPasswordChanged, type NotifyPasswordChangedDeps } from '../../domain/notify-password-changed.js';
import type { EventPublisher, OwedEvents } from '../../domain/ports.js';
import { RequestReset, type ResetRequestDeps } from '../../domain/request-reset.js';
import { VerifyCode } from '../../domain/verify-code.js';
import { bindToContext } from '../otel/message-context.js';

/**
 * The use cases as one message gets them: made for the message's context, with the ports that
 * record something of it (spans, audit) bound to that context, so what they record is that
 * message's however many are in flight. A use case is a few fields: making one per message costs
 * less than carrying the context through every promise of the process.
 */
export interface MessageUseCases {
  requestReset(context: Context): RequestReset;
  verifyCode(context: Context): VerifyCode;
  notifyPasswordChanged(context: Context): NotifyPasswordChanged;
  /** For a rejection, which no use case publishes. */
  publisher(context: Context): EventPublisher;
}

/** Everything the use cases need, unbound; clock, random and hasher record nothing and are shared as they are. */
export type UseCasePorts = ResetRequestDeps &
  Pick<NotifyPasswordChangedDeps, 'ledger'> & {
    readonly owed: OwedEvents;
    /** Publishes a verdict's event without waiting out a leader election: one not taken is owed instead. */
    readonly verdictPublisher: EventPublisher;
  };

export function messageUseCases(ports: UseCasePorts): MessageUseCases {
  const { store, limiter, ledger, owed, mailer, publisher, verdictPublisher, hasher, clock, random, policy } = ports;
  return {
    requestReset: (context) =>
      new RequestReset({
        store: bindToContext(store, context),
        limiter: bindToContext(limiter, context),
        mailer: bindToContext(mailer, context),
        publisher: bindToContext(publisher, context),
        hasher,
        clock,
        random,
        policy,
      }),
    verifyCode: (context) =>
      new VerifyCode({ store: bindToContext(store, context), publisher: bindToContext(verdictPublisher, context), owed: bindToContext(owed, context), hasher, policy }),
    notifyPasswordChanged: (context) =>
      new NotifyPasswordChanged({
        ledger: bindToContext(ledger, context),
        mailer: bindToContext(mailer, context),
        publisher: bindToContext(publisher, context),
        clock,
        policy,
      }),
    publisher: (context) => bindToContext(publisher, context),
  };
}
