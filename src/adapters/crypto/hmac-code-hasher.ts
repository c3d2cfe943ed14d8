import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CodeHasher } from '../../domain/ports.js';

/**
 * HMAC-SHA-256 of the reset id and the code under a server secret. Keys are newest first; a key's
 * id is a short digest of it, so records name their key without revealing it.
 */
export class HmacCodeHasher implements CodeHasher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  constructor(secretsNewestFirst: readonly string[]) {
    const [newest] = secretsNewestFirst;
    if (newest === undefined) throw new Error('HmacCodeHasher needs at least one secret');
    this.keys = new Map(secretsNewestFirst.map((secret) => [keyIdOf(secret), Buffer.from(secret, 'utf8')]));
    this.currentKeyId = keyIdOf(newest);
  }

  digest(resetId: string, code: string): string {
    return this.hmac(this.currentKeyId, resetId, code)!.toString('base64url');
  }

  matches(resetId: string, code: string, keyId: string, digest: string): 'match' | 'mismatch' | 'unknown_key' {
    const expected = this.hmac(keyId, resetId, code);
    if (!expected) return 'unknown_key';
    const given = Buffer.from(digest, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'match' : 'mismatch';
  }

  private hmac(keyId: string, resetId: string, code: string): Buffer | undefined {
    const key = this.keys.get(keyId);
    // The separator keeps (resetId, code) pairs from colliding when concatenated.
    return key && createHmac('sha256', key).update(`${resetId}\u0000${code}`).digest();
  }
}

function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}
