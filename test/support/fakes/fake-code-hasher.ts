import { createHmac } from 'node:crypto';
import type { CodeHasher } from '../../../src/domain/ports.js';

export const DEFAULT_TEST_KEYS: ReadonlyArray<readonly [keyId: string, secret: string]> = [
  ['k1', 'test-secret-k1-0123456789abcdefghijklmnop'],
];

/**
 * HMAC-SHA-256 of `resetId:code` under named keys, newest first, as the real hasher does with
 * OTP_SECRETS. `rotate` adds a newer key; `remove` drops one, so its codes can no longer match.
 */
export class FakeCodeHasher implements CodeHasher {
  private keys: Array<readonly [string, string]>;

  constructor(keys: ReadonlyArray<readonly [keyId: string, secret: string]> = DEFAULT_TEST_KEYS) {
    if (keys.length === 0) throw new Error('a hasher needs at least one key');
    this.keys = [...keys];
  }

  get currentKeyId(): string {
    const newest = this.keys[0];
    if (!newest) throw new Error('every key has been removed');
    return newest[0];
  }

  get keyIds(): string[] {
    return this.keys.map(([id]) => id);
  }

  rotate(keyId: string, secret: string): this {
    this.keys = [[keyId, secret], ...this.keys.filter(([id]) => id !== keyId)];
    return this;
  }

  remove(keyId: string): this {
    this.keys = this.keys.filter(([id]) => id !== keyId);
    return this;
  }

  digest(resetId: string, code: string): string {
    return this.hmac(this.secretOf(this.currentKeyId) ?? '', resetId, code);
  }

  digests(resetId: string, code: string): Readonly<Record<string, string>> {
    return Object.fromEntries(this.keys.map(([id, secret]) => [id, this.hmac(secret, resetId, code)]));
  }

  private secretOf(keyId: string): string | undefined {
    return this.keys.find(([id]) => id === keyId)?.[1];
  }

  private hmac(secret: string, resetId: string, code: string): string {
    return createHmac('sha256', secret).update(`${resetId}:${code}`).digest('hex');
  }
}
