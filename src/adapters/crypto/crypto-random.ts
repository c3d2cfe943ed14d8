import { randomBytes, randomInt } from 'node:crypto';
import type { Random } from '../../domain/ports.js';

const TOKEN_BYTES = 16;
/** One draw from the CSPRNG serves 256 tokens: a draw per token cost more than the rest of a verify answer's ids. */
const TOKEN_POOL_BYTES = TOKEN_BYTES * 256;

/** Node's CSPRNG; `randomInt` draws without modulo bias. */
export class CryptoRandom implements Random {
  private pool = Buffer.alloc(0);
  private used = 0;

  digits(length: number): string {
    // One draw of a number below 10^length (at most 10^10, well inside randomInt's 2^48), zero-padded.
    return String(randomInt(10 ** length)).padStart(length, '0');
  }

  token(): string {
    if (this.used + TOKEN_BYTES > this.pool.length) {
      this.pool = randomBytes(TOKEN_POOL_BYTES);
      this.used = 0;
    }
    this.used += TOKEN_BYTES;
    return this.pool.toString('base64url', this.used - TOKEN_BYTES, this.used);
  }
}
