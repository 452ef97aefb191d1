// Rng: the seeded random number generator behind rand, randn and the tests.
import { ArgumentError } from './errors.ts';

/**
 * A small seeded generator, so the same seed gives the same numbers on every machine and every run.
 *
 * The algorithm is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, 32-bit
 * output), seeded from one integer through splitmix32. `uniform` returns `(next >>> 0) / 2³²` refined
 * with a second draw to 53 bits; `normal` uses the Box–Muller transform (both values of a pair are used).
 * Only integer and IEEE-754 operations are involved, so the stream is bit-identical everywhere.
 * @category Autograd
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined = undefined;

  /**
   * @param seed A safe integer, from −(2⁵³ − 1) to 2⁵³ − 1: equal seeds give equal streams, and distinct
   *   seeds distinct ones (the whole range is used, not the seed modulo 2³²).
   * @throws {@link ArgumentError} for a seed that is not a safe integer (1.5, NaN, 2⁵³, a string).
   */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      throw new ArgumentError(
        `Rng: seed must be an integer from -(2^53 - 1) to 2^53 - 1, got ${typeof seed === 'number' ? String(seed) : typeof seed}`,
      );
    }
    // seed = hi·2³² + lo. The low word seeds the state as it always has (so seeds in [0, 2³²) keep their
    // streams); the high word, through a bijection of 32-bit integers, is folded into the counter word.
    let s = seed >>> 0;
    const hi = Math.floor(seed / 4294967296);
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    if (hi !== 0) this.#d = (this.#d ^ Math.imul(hi, 0x9e3779b1)) | 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform number in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal number (Box–Muller). */
  normal(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }
}
