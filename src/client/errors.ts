/** Every error the client throws on purpose; `cause` holds the NATS error underneath, if any. */
export class ResetClientError extends Error {
  override readonly name: string = 'ResetClientError';
}

/**
 * The first connection to NATS failed at `connect`: no server answered, or one refused the login
 * or the TLS handshake (`failure` says which). The message names the servers, passwords masked,
 * and holds no secret.
 */
export class NatsUnreachableError extends ResetClientError {
  override readonly name = 'NatsUnreachableError';
  readonly failure: 'login' | 'tls' | 'unreachable';

  constructor(
    message: string,
    readonly servers: readonly string[],
    options?: ErrorOptions & { failure?: 'login' | 'tls' | 'unreachable' },
  ) {
    super(message, options);
    this.failure = options?.failure ?? 'unreachable';
  }
}

/**
 * With `NODE_ENV=production` the client reads nothing unchecked: give `verifyKeys` (resetd's public
 * key, as `resetd keygen` prints it), or anyone who may publish on the bus could forge an outcome.
 */
export class VerifyKeysRequiredError extends ResetClientError {
  override readonly name = 'VerifyKeysRequiredError';
}

/** The data breaks the contract's rules; nothing was published. The message names the field. */
export class InvalidRequestError extends ResetClientError {
  override readonly name = 'InvalidRequestError';

  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * resetd is not there to take the message: its streams do not exist (it creates them when it
 * starts), no instance answers `reset.verify`, or the server runs without JetStream.
 */
export class ServiceUnavailableError extends ResetClientError {
  override readonly name: string = 'ServiceUnavailableError';
}

/**
 * No answer to `reset.verify` in time. Unlike the `unavailable` status, this says nothing about
 * whether the code was checked: the answer may have been lost after the check, and the reset
 * completed. Asking again then answers as for a reset that is over; a `reset.completed` on the
 * outcome events tells. Do not tell the user the code was wrong.
 */
export class VerifyUnansweredError extends ServiceUnavailableError {
  override readonly name = 'VerifyUnansweredError';
}

/**
 * JetStream did not acknowledge a publish in time, though it was tried again with the same
 * `Nats-Msg-Id`: it may have been stored or not. Publish it again with the same `id` (the
 * publishing method's `{ id }` option): the stream takes it at most once, and resetd answers an
 * id once, so the retry cannot make a second reset.
 */
export class PublishUnconfirmedError extends ResetClientError {
  override readonly name = 'PublishUnconfirmedError';

  constructor(
    message: string,
    /** The event's id: give it back as `{ id }` to publish the same event again. */
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A `reset.verify` reply that cannot be trusted: its `Resetd-Signature` did not verify against the
 * keys given, or it answers another reset. Its status says nothing: do not let the user set a password.
 */
export class UnverifiedReplyError extends ResetClientError {
  override readonly name = 'UnverifiedReplyError';

  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}
