import { describe, expect, it } from 'vitest';
import { CryptoRandom } from '../../../src/adapters/crypto/crypto-random.js';

describe('CryptoRandom', () => {
  const random = new CryptoRandom();

  it.each([4, 6, 10])('draws %i decimal digits, leading zeros kept', (length) => {
    for (let i = 0; i < 200; i += 1) expect(random.digits(length)).toMatch(new RegExp(`^\\d{${length}}$`));
  });

  it('draws every digit in every position', () => {
    const seen = Array.from({ length: 6 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i += 1) [...random.digits(6)].forEach((digit, position) => seen[position]!.add(digit));
    for (const digits of seen) expect(digits.size).toBe(10);
  });
});
