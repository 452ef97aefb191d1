import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm, gemmFmaActive, gemmJs, gemmReference, gemmWasm, setGemmFma, setGemmThreads, wasmAvailable } from '../../../packages/core/src/kernels/gemm.ts';
import type { FloatArray } from '../../../packages/core/src/base/dtype.ts';

type Ctor = typeof Float64Array | typeof Float32Array;
type Kernel = typeof gemmJs;

const DTYPES: { name: string; ctor: Ctor; rtol: number }[] = [
  { name: 'float64', ctor: Float64Array, rtol: 1e-12 },
  { name: 'float32', ctor: Float32Array, rtol: 1e-5 },
];
// The fused multiply-add kernels (relaxed SIMD) and the mul + add ones; only the latter
// round like the reference loop, so only they are held to bit-for-bit equality.
const FLAVOURS = [{ flavour: 'fma', isFma: true }, { flavour: 'mul+add', isFma: false }];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

// [m, n, k]: the odd sizes 1…130, mixed so every edge (ragged MR rows, NR columns, k = 1)
// appears; 600 and 1100 cross the Wasm KC blocks (256 for f64, 512 for f32); 257·65·130
// is large enough to be split over worker threads.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 3, 3], [5, 5, 5], [17, 17, 17], [33, 33, 33], [65, 65, 65], [130, 130, 130],
  [1, 130, 5], [130, 1, 17], [3, 65, 130], [17, 5, 33], [65, 33, 1], [5, 17, 65], [33, 130, 3],
  [17, 33, 600], [9, 13, 1100], [257, 65, 130],
];

/** Deterministic values in [-0.5, 0.5), exactly representable in float32. */
function random(ctor: Ctor, len: number, seed: number): FloatArray {
  const out = new ctor(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround(s / 2 ** 32 - 0.5);
  }
  return out;
}

function abs(x: FloatArray): FloatArray {
  return x.map(Math.abs);
}

/** Reference in float32 arithmetic, rounding after every operation like f32x4 does. */
function referenceF32(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean, accumulate: boolean,
): void {
  const f = Math.fround;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s = f(s + f(a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!));
      }
      c[i * n + j] = accumulate ? f(c[i * n + j]! + s) : s;
    }
  }
}

interface Problem {
  a: FloatArray; b: FloatArray; c0: FloatArray; expected: FloatArray; bound: FloatArray;
  m: number; n: number; k: number; transA: boolean; transB: boolean; accumulate: boolean;
}

function problem(ctor: Ctor, [m, n, k]: [number, number, number], transA: boolean, transB: boolean, accumulate: boolean): Problem {
  const a = random(ctor, m * k, m * 31 + k);
  const b = random(ctor, k * n, n * 17 + k * 3);
  const c0 = accumulate ? random(ctor, m * n, 99) : new ctor(m * n).fill(Number.NaN);
  const expected = c0.slice();
  gemmReference(a, b, expected, m, n, k, transA, transB, 0, 0, 0, accumulate);
  // Error scale per element: Σ_p |A||B| (+ |C₀|), the quantity rounding errors grow with.
  const bound = new Float64Array(m * n);
  if (accumulate) bound.set(abs(c0));
  gemmReference(abs(a), abs(b), bound, m, n, k, transA, transB, 0, 0, 0, true);
  return { a, b, c0, expected, bound, m, n, k, transA, transB, accumulate };
}

function run(kernel: Kernel, p: Problem): FloatArray {
  const c = p.c0.slice();
  kernel(p.a, p.b, c, p.m, p.n, p.k, p.transA, p.transB, 0, 0, 0, p.accumulate);
  return c;
}

/** Index of the first element outside rtol·bound, or -1. */
function firstMismatch(actual: FloatArray, p: Problem, rtol: number): number {
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - p.expected[i]!);
    if (!(err <= rtol * p.bound[i]! + Number.MIN_VALUE)) return i;
  }
  return -1;
}

function sameBits(x: FloatArray, y: FloatArray): boolean {
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

const wasmPath: Kernel = (...args) => {
  expect(gemmWasm(...args)).toBe(true);
};

it('loads the WebAssembly kernels (run `pnpm exec tsx scripts/build-wasm.ts` if this fails)', () => {
  expect(wasmAvailable()).toBe(true);
});

describe.each(DTYPES)('$name', ({ ctor, rtol }) => {
  const cases = SHAPES.flatMap((shape) =>
    TRANSPOSES.flatMap(([transA, transB]) =>
      [false, true].map((accumulate) => ({ shape, transA, transB, accumulate }))));

  it.each(cases)('JS kernel equals the reference bit for bit: $shape tA=$transA tB=$transB acc=$accumulate',
    ({ shape, transA, transB, accumulate }) => {
      const p = problem(ctor, shape, transA, transB, accumulate);
      expect(sameBits(run(gemmJs, p), p.expected)).toBe(true);
    });

  describe.each(FLAVOURS)('$flavour Wasm kernels', ({ isFma }) => {
    beforeAll(() => setGemmFma(isFma));
    afterAll(() => setGemmFma(true));

    it('are the ones running', () => {
      expect(gemmFmaActive()).toBe(isFma);
    });

    it.each(cases)('Wasm kernel matches the reference: $shape tA=$transA tB=$transB acc=$accumulate',
      ({ shape, transA, transB, accumulate }) => {
        const p = problem(ctor, shape, transA, transB, accumulate);
        const c = run(wasmPath, p);
        expect(firstMismatch(c, p, rtol)).toBe(-1);
        const k = shape[2];
        if (isFma) return;
        if (ctor === Float64Array && k <= 256) {
          // One KC block: same summation order as the reference, and f64 arithmetic.
          expect(sameBits(c, p.expected)).toBe(true);
        }
        if (ctor === Float32Array && k <= 512) {
          // Same order, but f32x4 rounds every step: equal to a float32-arithmetic loop.
          const f32 = p.c0.slice();
          referenceF32(p.a, p.b, f32, p.m, p.n, p.k, transA, transB, accumulate);
          expect(sameBits(c, f32)).toBe(true);
        }
      });

    it('gives the same bits on one thread and on worker threads', () => {
      const p = problem(ctor, [300, 130, 200], true, false, true);
      setGemmThreads(1);
      const one = run(wasmPath, p);
      setGemmThreads(0);
      const many = run(wasmPath, p);
      expect(sameBits(one, many)).toBe(true);
      expect(firstMismatch(many, p, rtol)).toBe(-1);
    });

    // Threads split B's packing into NR-column chunks and C into shrinking row blocks; every
    // m·n·k here is past the threading threshold (2²¹), with m and n that fit neither evenly:
    // m = 16 (the fewest rows threaded), ragged MR rows and NR columns, k over several KC blocks.
    it.each([
      [16, 131, 1100], [17, 130, 1000], [37, 5, 12000], [257, 67, 130], [130, 257, 65], [1031, 9, 230],
    ] as [number, number, number][])('splits %i×%i×%i over threads with the same bits as one thread', (m, n, k) => {
      for (const [transA, transB] of TRANSPOSES) {
        const p = problem(ctor, [m, n, k], transA, transB, transB);
        setGemmThreads(1);
        const one = run(wasmPath, p);
        setGemmThreads(2);
        const two = run(wasmPath, p);
        setGemmThreads(0);
        expect(sameBits(one, two)).toBe(true);
        expect(firstMismatch(two, p, rtol)).toBe(-1);
      }
    });
  });

  it.each(TRANSPOSES)('honours offsets and leaves neighbouring elements alone (tA=%s tB=%s)', (transA, transB) => {
    for (const kernel of [gemm, gemmJs, wasmPath]) {
      for (const [m, n, k] of [[5, 7, 3], [33, 17, 65]] as const) {
        const [ao, bo, co] = [3, 5, 7];
        const a = random(ctor, ao + m * k + 4, 1);
        const b = random(ctor, bo + k * n + 4, 2);
        const c = random(ctor, co + m * n + 4, 3);
        const expected = c.slice();
        gemmReference(a, b, expected, m, n, k, transA, transB, ao, bo, co, true);
        kernel(a, b, c, m, n, k, transA, transB, ao, bo, co, true);
        // Sentinels before and after C must be untouched.
        expect(Array.from(c.subarray(0, co))).toEqual(Array.from(expected.subarray(0, co)));
        expect(Array.from(c.subarray(co + m * n))).toEqual(Array.from(expected.subarray(co + m * n)));
        for (let i = co; i < co + m * n; i++) {
          expect(Math.abs(c[i]! - expected[i]!)).toBeLessThanOrEqual(rtol * 4 * k);
        }
      }
    }
  });

  it('dispatches small and large products to kernels that agree with the reference', () => {
    // Includes the matrix-vector shapes (n = 1, m = 1) that stay in JavaScript.
    for (const shape of [[3, 4, 5], [64, 64, 64], [200, 150, 100], [300, 1, 100], [1, 300, 100]] as [number, number, number][]) {
      for (const transB of [false, true]) {
        const p = problem(ctor, shape, false, transB, false);
        expect(firstMismatch(run(gemm, p), p, rtol)).toBe(-1);
      }
    }
  });

  it('treats k = 0 as an empty sum and m = 0 or n = 0 as nothing to do', () => {
    for (const kernel of [gemm, gemmJs, wasmPath, gemmReference]) {
      const c = ctor.of(1, 2, 3, 4, 5, 6);
      kernel(new ctor(0), new ctor(0), c, 2, 3, 0, false, false, 0, 0, 0, true);
      expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
      kernel(new ctor(0), new ctor(0), c, 2, 3, 0, false, false);
      expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
      c.fill(7);
      kernel(new ctor(0), new ctor(6), c, 0, 3, 2, false, false);
      kernel(new ctor(6), new ctor(0), c, 3, 0, 2, false, false);
      expect(Array.from(c)).toEqual([7, 7, 7, 7, 7, 7]);
    }
  });
});

describe('fused multiply-add switch', () => {
  afterAll(() => {
    setGemmFma(true);
    setGemmThreads(0);
  });
  // Every C element: 1·(−1) + (1 + 2⁻³⁰)(1 − 2⁻³⁰) = −2⁻⁶⁰ exactly. Fused, the second product is
  // not rounded (to 1) before the add, so C = −2⁻⁶⁰; with mul + add, C = 0.
  // m·n·k = 4096·256·2 is past the size from which products are split over worker threads.
  const [m, n] = [4096, 256];
  const a = new Float64Array(2 * m);
  for (let i = 0; i < m; i++) a.set([1, 1 + 2 ** -30], 2 * i);
  const b = new Float64Array(2 * n);
  for (let j = 0; j < n; j++) b.set([-1, 1 - 2 ** -30], 2 * j);
  it.each([1, 0])('selects the kernels on the main thread and in workers (threads=%i)', (threads) => {
    setGemmThreads(threads);
    for (const isFma of [true, false, true]) {
      setGemmFma(isFma);
      const c = new Float64Array(m * n);
      for (let rep = 0; rep < 3; rep++) expect(gemmWasm(a, b, c, m, n, 2, false, true)).toBe(true);
      expect(new Set(c)).toEqual(new Set([isFma ? -(2 ** -60) : 0]));
    }
  });
});

it('matches the documented example', () => {
  const a = Float64Array.of(1, 2, 3, 4);
  const c = new Float64Array(4);
  gemm(a, a, c, 2, 2, 2, false, true);
  expect(Array.from(c)).toEqual([5, 11, 11, 25]);
});

it('does not keep the process alive after a multi-threaded product', () => {
  const kernelPath = fileURLToPath(new URL('../../../packages/core/src/kernels/gemm.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'gemm-exit-'));
  try {
    const script = join(dir, 'main.mts');
    writeFileSync(script, [
      `import { gemm } from ${JSON.stringify(kernelPath)};`,
      'const a = new Float64Array(300 * 300).fill(1);',
      'const c = new Float64Array(300 * 300);',
      // Several products, so the workers have started and joined jobs before the script ends.
      'for (let i = 0; i < 8; i++) gemm(a, a, c, 300, 300, 300, false, false);',
      'process.stdout.write(String(c[0]));',
    ].join('\n'));
    const res = spawnSync(tsx, [script], { timeout: 30_000, encoding: 'utf8' });
    expect(res.signal).toBeNull();
    expect(res.status).toBe(0);
    expect(res.stdout).toBe('300');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
