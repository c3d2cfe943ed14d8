import { createHash } from 'node:crypto';

/**
 * The SHA-256 of a `reset.verify` request's body, byte for byte as sent, in base64url. A reply
 * echoes it beside the request's `nonce`: the nonce alone, copied by someone who reads the request
 * into a request of their own (another code, or none), would make resetd's signed answer to that
 * one look like the answer to this.
 */
export function requestDigestOf(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('base64url');
}
