/**
 * A small seeded pseudo-random generator (xoshiro128** over four 32-bit words,
 * seeded through splitmix32), so every engine is fed bit-identical inputs.
 *
 * Each data set draws from its own stream, derived from the workloads seed and
 * a label, so adding a workload never shifts the numbers of another one.
 */

/** A seeded source of uniform and normal variates. */
export interface Rng {
  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A uniform double in [lo, hi). */
  uniformIn(lo: number, hi: number): number;
  /** A standard normal variate (Box–Muller). */
  normal(): number;
}

/** 32-bit FNV-1a hash of a label, used to separate streams. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 step; expands one 32-bit seed into well-mixed state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Creates the generator for one data set.
 *
 * @param seed - the workloads seed (`workloads.json`'s `seed`)
 * @param stream - a label naming the data set, e.g. `'W1 small'`
 * @returns a fresh generator; the same arguments always give the same sequence
 */
export function createRng(seed: number, stream: string): Rng {
  const mix = { s: (seed ^ hashLabel(stream)) | 0 };
  let a = splitmix32(mix);
  let b = splitmix32(mix);
  let c = splitmix32(mix);
  let d = splitmix32(mix);
  if ((a | b | c | d) === 0) a = 1;

  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };

  const uniform = (): number => {
    const hi = next32() >>> 5; // 27 bits
    const lo = next32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  };

  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    // 1 − u keeps the argument of log in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };

  return {
    uniform,
    uniformIn: (lo, hi) => lo + (hi - lo) * uniform(),
    normal,
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
