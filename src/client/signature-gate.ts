import type { MsgHdrs } from '@nats-io/transport-node';
import { SIGNATURE_HEADER, SignatureVerifier, SigningKeyError, type VerifyKey } from '../contract/message-signature.js';
import { ResetClientError, VerifyKeysRequiredError } from './errors.js';

/** A message the client dropped because its `Resetd-Signature` did not verify. */
export interface UnverifiedMessage {
  readonly subject: string;
  /** The stream sequence of an outcome event. */
  readonly seq: number;
  readonly reason: string;
}

/** Why a message is not let through; `unknownKey` when it names a key the client does not hold (yet). */
export interface Refusal {
  readonly reason: string;
  readonly unknownKey: boolean;
}

/**
 * Lets through only what resetd signed, when the caller gave its public keys. Without keys every
 * message passes, as before signatures existed, and the first one to pass says so once: a consumer
 * that trusts unsigned messages trusts whoever can publish on the bus. With `NODE_ENV=production`
 * nothing is read unchecked (`assertChecking`), as resetd publishes nothing unsigned there.
 */
export class SignatureGate {
  private warned = false;

  private constructor(private readonly verifier: SignatureVerifier | undefined) {}

  /** @throws ResetClientError when a key is not an Ed25519 key, before anything connects. */
  static of(keys: readonly VerifyKey[] | undefined): SignatureGate {
    if (keys === undefined) return new SignatureGate(undefined);
    if (keys.length === 0) throw new ResetClientError('verifyKeys is empty: give resetd’s public key(s), or leave verifyKeys unset');
    try {
      return new SignatureGate(new SignatureVerifier(keys));
    } catch (error) {
      if (error instanceof SigningKeyError) throw new ResetClientError(`a verifyKeys entry is unusable: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** Whether messages are checked at all. */
  get checking(): boolean {
    return this.verifier !== undefined;
  }

  /** @throws VerifyKeysRequiredError when `what` would be read unchecked with `NODE_ENV=production`. */
  assertChecking(what: string): void {
    if (this.verifier !== undefined || process.env.NODE_ENV !== 'production') return;
    throw new VerifyKeysRequiredError(
      `${what} would be read unchecked: verifyKeys is required with NODE_ENV=production (resetd’s public key, as \`resetd keygen\` prints it); without it anyone who may publish on the bus can forge a completed reset`,
    );
  }

  /** Why the message must be dropped, or undefined when it may be used. */
  refusal(body: Uint8Array, headers: MsgHdrs | undefined): Refusal | undefined {
    if (this.verifier === undefined) {
      this.warnOnce();
      return undefined;
    }
    const check = this.verifier.check(body, headers?.get(SIGNATURE_HEADER) || undefined);
    return check.ok ? undefined : { reason: check.reason, unknownKey: check.unknownKey === true };
  }

  private warnOnce(): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning('resetd client: no verifyKeys given, so outcome events and verify replies are not checked; anyone who may publish on the bus can forge them', {
      code: 'RESETD_UNVERIFIED',
    });
  }
}

/** Where a dropped message is told when the caller gave no callback: never silently. */
export function warnUnverified(message: UnverifiedMessage): void {
  process.emitWarning(`resetd client dropped message ${message.seq} on ${message.subject}: ${message.reason}`, { code: 'RESETD_UNVERIFIED' });
}
