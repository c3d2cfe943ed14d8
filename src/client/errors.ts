/** Every error the client throws on purpose; `cause` holds the NATS error underneath, if any. */
export class ResetClientError extends Error {
  override readonly name: string = 'ResetClientError';
}

/** The NATS server could not be reached at `connect`. The message names the servers, passwords masked. */
export class NatsUnreachableError extends ResetClientError {
  override readonly name = 'NatsUnreachableError';

  constructor(
    message: string,
    readonly servers: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
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
  override readonly name = 'ServiceUnavailableError';
}
