import { randomInt } from 'node:crypto';
import type { Random } from '../../domain/ports.js';

/** Node's CSPRNG; `randomInt` draws without modulo bias. */
export class CryptoRandom implements Random {
  digits(length: number): string {
    // One draw of a number below 10^length (at most 10^10, well inside randomInt's 2^48), zero-padded.
    return String(randomInt(10 ** length)).padStart(length, '0');
  }
}
