import { createHash, createHmac } from 'node:crypto';
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
    return this.hmac(this.keys.get(this.currentKeyId)!, resetId, code);
  }

  digests(resetId: string, code: string): Readonly<Record<string, string>> {
    const byKey: Record<string, string> = {};
    for (const [keyId, key] of this.keys) byKey[keyId] = this.hmac(key, resetId, code);
    return byKey;
  }

  private hmac(key: Buffer, resetId: string, code: string): string {
    // The separator keeps (resetId, code) pairs from colliding when concatenated.
    return createHmac('sha256', key).update(`${resetId}\u0000${code}`).digest('base64url');
  }
}

function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}
