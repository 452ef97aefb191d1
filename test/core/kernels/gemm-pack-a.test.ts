// Packing of op(A) in the Wasm GEMM: every path of pack_a (whole-vector copy with transA, lane
// gather without, scalar ragged panel) against JavaScript references, bit for bit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemmFmaActive, gemmReference, gemmWasm, setGemmFma, setGemmThreads } from '../../../packages/core/src/kernels/gemm.ts';
import { wasmSinglePassK } from '../../../packages/core/src/kernels/wasm/gemm-wasm.ts';
import type { FloatArray } from '../../../packages/core/src/base/dtype.ts';

type Ctor = typeof Float64Array | typeof Float32Array;

// MR = 4 for both element types and MC = 128 rows, KC = 256 (f64) or 512 (f32) columns.
// m: ragged last panels of 1, 2 and 3 rows, several MC blocks (131, 259 = 2·128 + 3, 384);
// k: fewer columns than a vector holds (1, 3), odd remainders, and several KC slices whose
// last one is ragged (257, 587 = 2·256 + 75 = 512 + 75, 1035 = 4·256 + 11 = 2·512 + 11).
const SHAPES: [number, number, number][] = [
  [4, 8, 1], [5, 9, 3], [6, 8, 30], [7, 5, 31], [64, 30, 33], [131, 9, 257], [259, 5, 587], [384, 4, 64],
  [10, 7, 1035], [130, 8, 1035],
];
const DTYPES: { name: string; ctor: Ctor }[] = [{ name: 'float64', ctor: Float64Array }, { name: 'float32', ctor: Float32Array }];

/** Deterministic values: uniform in [-0.5, 0.5) (float32-exact), or eighths in [-2, 2) when `isDyadic`. */
function values(ctor: Ctor, len: number, seed: number, isDyadic: boolean): FloatArray {
  const out = new ctor(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = isDyadic ? ((s >>> 27) - 16) / 8 : Math.fround(s / 2 ** 32 - 0.5);
  }
  return out;
}

/**
 * The mul + add Wasm kernel's arithmetic: per KC slice of k, a sum from zero in p order, then
 * C = sum (first slice of an overwrite) or C += sum, rounding every step to the element type.
 */
function blockedReference(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, accumulate: boolean, kc: number, isF32: boolean,
): void {
  const f = isF32 ? Math.fround : (x: number): number => x;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let pc = 0; pc < k; pc += kc) {
        let s = 0;
        for (let p = pc; p < Math.min(k, pc + kc); p++) {
          s = f(s + f(a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!));
        }
        c[i * n + j] = pc === 0 && !accumulate ? s : f(c[i * n + j]! + s);
      }
    }
  }
}

function sameBits(x: FloatArray, y: FloatArray): boolean {
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

describe.each(DTYPES)('pack_a, $name', ({ ctor }) => {
  const isF32 = ctor === Float32Array;
  const cases = SHAPES.flatMap((shape, s) => [false, true].map((transA) => ({
    shape, transA, transB: s % 2 === 1, accumulate: s % 3 === 0,
  })));
  beforeAll(() => setGemmThreads(1));
  afterAll(() => {
    setGemmFma(true);
    setGemmThreads(0);
  });

  it.each(cases)('mul + add kernel equals the KC-blocked reference bit for bit: $shape tA=$transA tB=$transB acc=$accumulate',
    ({ shape: [m, n, k], transA, transB, accumulate }) => {
      setGemmFma(false);
      expect(gemmFmaActive()).toBe(false);
      const a = values(ctor, m * k, m * 7 + k, false);
      const b = values(ctor, k * n, n * 13 + k, false);
      const c = accumulate ? values(ctor, m * n, 5, false) : new ctor(m * n).fill(Number.NaN);
      const expected = c.slice();
      blockedReference(a, b, expected, m, n, k, transA, transB, accumulate, wasmSinglePassK(isF32), isF32);
      expect(gemmWasm(a, b, c, m, n, k, transA, transB, 0, 0, 0, accumulate)).toBe(true);
      expect(sameBits(c, expected)).toBe(true);
    });

  // Eighths make every product and partial sum exact, so any summation order, fused or not,
  // gives the reference's bits: what is left to differ is only what was packed.
  it.each(cases)('every kernel flavour equals the reference on exact data: $shape tA=$transA tB=$transB acc=$accumulate',
    ({ shape: [m, n, k], transA, transB, accumulate }) => {
      for (const isFma of [true, false]) {
        setGemmFma(isFma);
        expect(gemmFmaActive()).toBe(isFma);
        const a = values(ctor, m * k, m * 7 + k, true);
        const b = values(ctor, k * n, n * 13 + k, true);
        const c = accumulate ? values(ctor, m * n, 5, true) : new ctor(m * n).fill(Number.NaN);
        const expected = c.slice();
        gemmReference(a, b, expected, m, n, k, transA, transB, 0, 0, 0, accumulate);
        expect(gemmWasm(a, b, c, m, n, k, transA, transB, 0, 0, 0, accumulate)).toBe(true);
        expect(sameBits(c, expected), `fma ${isFma}`).toBe(true);
      }
    });
});
