import type { Random } from '../../../src/domain/ports.js';

/**
 * Deterministic stand-in for the CSPRNG: digits come from a queue of codes the test chose, then from
 * a seeded generator. `made` and `lastDigits` tell a test which codes were made.
 */
export class SeededRandom implements Random {
  readonly made: string[] = [];
  private readonly queue: string[];
  private readonly next: () => number;

  constructor(options: { seed?: number; codes?: readonly string[] } = {}) {
    this.queue = [...(options.codes ?? [])];
    this.next = mulberry32(options.seed ?? 1);
  }

  get lastDigits(): string | undefined {
    return this.made.at(-1);
  }

  /** Queues codes for the next calls of `digits`. */
  willMake(...codes: string[]): this {
    this.queue.push(...codes);
    return this;
  }

  digits(length: number): string {
    const queued = this.queue.shift();
    if (queued !== undefined && queued.length !== length) {
      throw new Error(`queued code ${queued} is not ${length} digits long`);
    }
    const code = queued ?? Array.from({ length }, () => String(Math.floor(this.next() * 10))).join('');
    this.made.push(code);
    return code;
  }
}

/** A small, well-known 32-bit generator: the same seed always gives the same sequence. */
function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
