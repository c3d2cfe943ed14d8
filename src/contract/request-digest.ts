import { createHash } from 'node:crypto';

/**
 * The SHA-256 of a `reset.verify` request's body, byte for byte as sent, in base64url. A reply
 * gives it beside the request's `nonce` when the request carries a `salt`: the nonce alone, copied
 * by someone who reads the request into a request of their own (another code, or none), would make
 * resetd's signed answer to that one look like the answer to this. The salt is random and never
 * repeated: without it the code would be the one unknown in the digest, a million tries away.
 */
export function requestDigestOf(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('base64url');
}
