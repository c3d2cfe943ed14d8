import { randomBytes, randomInt } from 'node:crypto';
import type { Random } from '../../domain/ports.js';

/** Node's CSPRNG; `randomInt` draws each digit without modulo bias. */
export class CryptoRandom implements Random {
  digits(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String(randomInt(10));
    return out;
  }

  token(): string {
    return randomBytes(16).toString('base64url');
  }
}
