import { describe, expect, it } from 'vitest';
import {
  sigmoidInto, sigmoidJs, sigmoidScalar, sigmoidScalarF32, sigmoidWasm, sigmoidWasmAvailable,
} from '../../../packages/core/src/kernels/sigmoid.ts';

type Ctor = typeof Float64Array | typeof Float32Array;

const SPECIAL = [
  0, -0, 5e-324, -5e-324, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 20, -20, 36.5, -36.5, 40, -40,
  87, -87, 88.7, -88.7, 103, -103, 104, -104, 105, -105, 708, -708, 709.8, -709.8, 745, -745, 745.2, -745.2,
  746, -746, 1000, -1000, 1e300, -1e300, Infinity, -Infinity, Number.NaN,
];

/** Dense sweep over [−lim, lim] (irregular step, so every range-reduction branch k is hit) plus SPECIAL. */
function sweep(ctor: Ctor, lim: number, count: number): Float64Array | Float32Array {
  const x = new ctor(count + SPECIAL.length);
  for (let i = 0; i < count; i++) x[i] = -lim + (2 * lim * i) / count + 1e-3 * Math.sin(i);
  x.set(SPECIAL, count);
  return x;
}

function sameBits(a: Float64Array | Float32Array, b: Float64Array | Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Spacing of doubles at |y| (normal range). */
function ulp(y: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(y))) - 52);
}

it('loads the WebAssembly kernel (run `pnpm exec tsx scripts/build-wasm.ts` if this fails)', () => {
  expect(sigmoidWasmAvailable()).toBe(true);
});

describe.each([
  { name: 'float64', ctor: Float64Array as Ctor, lim: 760 },
  { name: 'float32', ctor: Float32Array as Ctor, lim: 110 },
])('$name', ({ ctor, lim }) => {
  it('Wasm equals the TypeScript reference bit for bit over a dense sweep', () => {
    const x = sweep(ctor, lim, 200_003);
    const js = new ctor(x.length);
    const wasm = new ctor(x.length);
    sigmoidJs(x, js);
    expect(sigmoidWasm(x, wasm)).toBe(true);
    expect(sameBits(wasm, js)).toBe(true);
  });

  it.each([1, 2, 3, 4, 5, 7, 63, 64, 65, 131])('any length (%i), in place, without touching neighbours', (n) => {
    const buf = sweep(ctor, 30, n + 2);
    const x = buf.subarray(1, n + 1);
    const expected = new ctor(n);
    sigmoidJs(x, expected);
    const out = new ctor(n + 2).fill(7);
    expect(sigmoidWasm(x, out.subarray(1, n + 1))).toBe(true);
    expect(sameBits(out.subarray(1, n + 1), expected)).toBe(true);
    expect([out[0], out[n + 1]]).toEqual([7, 7]);
    const copy = x.slice();
    sigmoidInto(copy, copy);
    expect(sameBits(copy, expected)).toBe(true);
  });

  it('saturates cleanly and propagates NaN', () => {
    const x = ctor.of(Infinity, -Infinity, 1000, -1000, 0, -0, Number.NaN);
    for (const kernel of [sigmoidJs, sigmoidWasm, sigmoidInto]) {
      const y = new ctor(x.length);
      kernel(x, y);
      expect(Array.from(y)).toEqual([1, 0, 1, 0, 0.5, 0.5, Number.NaN]);
    }
  });
});

describe('float64 accuracy', () => {
  // Each of the two is within about 1.5 ulps of σ (ours: e^{−|x|} is rounded to double before
  // the division, so where e/(1 + e) drops a binade below e that rounding counts double);
  // apart they reach 3 ulps, about 4.4e-16 relative at worst (x ≈ −3.44).
  it('is within 3 ulps of 1/(1 + Math.exp(−x))', () => {
    const x = sweep(Float64Array, 708, 400_000);
    let worst = 0;
    for (const v of x) {
      if (!(Math.abs(v) <= 708)) continue;
      const ref = 1 / (1 + Math.exp(-v));
      const err = Math.abs(sigmoidScalar(v) - ref) / ulp(ref);
      if (!(err <= worst)) worst = err;
    }
    expect(worst).toBeLessThanOrEqual(3);
  });

  it('is within 4e-16 relative of 1/(1 + Math.exp(−x)) at the listed points', () => {
    for (const v of [0, -0, 1e-300, -1e-300, 1e-8, -1e-8, 20, -20, 40, -40, 700, -700]) {
      const ref = 1 / (1 + Math.exp(-v));
      expect(Math.abs(sigmoidScalar(v) - ref)).toBeLessThanOrEqual(4e-16 * ref);
    }
  });

  it('is within 2 ulps of σ computed to 60 digits', () => {
    // Correctly rounded σ(x), from Python's decimal module at 60 significant digits.
    const exact: [number, number][] = [
      [-36.92471991897484, 9.200213238865493e-17], [-1.3675, 0.20302405934350617], [-0.5, 0.37754066879814546],
      [0.1, 0.52497918747894], [1e-8, 0.5000000025], [0.7, 0.668187772168166], [2.5, 0.9241418199787564],
      [-5.25, 0.005220125693558397], [12.75, 0.9999970976880148], [-20, 2.0611536181902037e-9],
      [-40, 4.248354255291589e-18], [-300, 5.148200222412013e-131], [-700, 9.85967654375977e-305],
      [30, 0.9999999999999064], [36.5, 0.9999999999999999], [-3.4413537367329834, 0.031027758166242314],
    ];
    for (const [v, y] of exact) expect(Math.abs(sigmoidScalar(v) - y)).toBeLessThanOrEqual(2 * ulp(y));
  });

  it('follows e^x into the subnormals and gives exactly 0 below e^−745', () => {
    // For x < −40, σ(x) = eˣ/(1 + eˣ) equals eˣ to double precision; 1/(1 + e⁻ˣ) already overflows.
    for (let v = -708; v >= -745.1; v -= 0.37) {
      expect(Math.abs(sigmoidScalar(v) - Math.exp(v))).toBeLessThanOrEqual(Math.max(ulp(Math.exp(v)), 5e-324));
    }
    expect(sigmoidScalar(-745.2)).toBe(0);
    expect(sigmoidScalar(-745)).toBe(5e-324);
  });

  it('is what sigmoidJs writes into a Float64Array', () => {
    const x = sweep(Float64Array, 50, 1000);
    const y = new Float64Array(x.length);
    sigmoidJs(x, y);
    expect(sameBits(y, Float64Array.from(x, sigmoidScalar))).toBe(true);
  });
});

describe('float32 accuracy', () => {
  it('is within 2 float32 ulps of the rounded float64 σ in the normal range', () => {
    const x = sweep(Float32Array, 87, 200_000);
    for (const v of x) {
      if (!(Math.abs(v) <= 87)) continue;
      const ref = Math.fround(1 / (1 + Math.exp(-v)));
      const ulp32 = 2 ** (Math.floor(Math.log2(ref)) - 23);
      const y = sigmoidScalarF32(v);
      if (!(Math.abs(y - ref) <= 2 * ulp32)) expect({ v, y, ref }).toBeUndefined();
    }
  });

  it('gives exactly 0 where e^x is below half the smallest float32 subnormal', () => {
    expect(sigmoidScalarF32(-104)).toBe(0);
    expect(sigmoidScalarF32(-103)).toBeGreaterThan(0);
  });
});
