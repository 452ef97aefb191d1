// A product with its epilogue (C = σ(op(A)·op(B) + bias)) gives the bits of the product, then the bias add,
// then sigmoidInto, done one after the other: on one thread and on the pool, with k past one block of the
// kernel, ragged edges, resident and ordinary operands, and in the JavaScript fallback for small products.
import { afterAll, describe, expect, it } from 'vitest';
import {
  gemm, gemmArena, gemmFused, gemmPoolStats, injectGemmWorkerFault, setGemmFma, setGemmThreads,
} from '../../../packages/core/src/kernels/gemm.ts';
import { sigmoidInto } from '../../../packages/core/src/kernels/sigmoid.ts';
import { wasmWarmUp } from '../../../packages/core/src/kernels/wasm/gemm-wasm.ts';

type Arr = Float64Array | Float32Array;
const make = (isF32: boolean, len: number): Arr => (isF32 ? new Float32Array(len) : new Float64Array(len));
const fill = <T extends Arr>(x: T, seed: number, scale = 1): T => {
  for (let i = 0; i < x.length; i++) x[i] = scale * ((((i + 1) * (seed * 7919 + 13)) % 1013) / 1013 - 0.5);
  return x;
};

/** The unfused computation: gemm, then the add (rounded to C's precision by the store), then the sigmoid. */
function unfused(a: Arr, b: Arr, m: number, n: number, k: number, transA: boolean, transB: boolean, bias: Arr | undefined, isSigmoid: boolean): Arr {
  const c = make(a instanceof Float32Array, m * n);
  gemm(a, b, c, m, n, k, transA, transB);
  if (bias !== undefined) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + bias[j]!;
  if (isSigmoid) sigmoidInto(c, c);
  return c;
}

const bits = (x: Arr): string[] => Array.from(x, (v) => (Object.is(v, -0) ? '-0' : String(v)));

afterAll(() => {
  injectGemmWorkerFault(1, 'none');
  setGemmThreads(0);
  setGemmFma(true);
});

describe('gemmFused', () => {
  // [m, n, k]: the W1 layers, k past one KC block (256 f64, 512 f32), n not a multiple of the tile or of the
  // sigmoid's block (the exact-length tail), m past one MC block (128) and past the pool's threshold.
  const shapes: [number, number, number][] = [[512, 64, 30], [256, 256, 784], [161, 37, 600], [301, 129, 70], [131, 3, 40], [7, 5, 3], [130, 1, 9]];
  for (const isF32 of [false, true]) {
    for (const threads of [1, 2]) {
      it(`${isF32 ? 'float32' : 'float64'}, ${threads} thread(s): every epilogue has the unfused bits`, async () => {
        await wasmWarmUp();
        setGemmThreads(threads);
        for (const [m, n, k] of shapes) {
          for (const [transA, transB] of [[false, true], [true, false]] as const) {
            const a = fill(make(isF32, m * k), 1);
            const b = fill(make(isF32, k * n), 2);
            const bias = fill(make(isF32, n), 3, 4);
            for (const [withBias, isSigmoid] of [[true, true], [true, false], [false, true]] as const) {
              const want = unfused(a, b, m, n, k, transA, transB, withBias ? bias : undefined, isSigmoid);
              const c = fill(make(isF32, m * n), 9); // garbage: overwritten
              gemmFused(a, b, c, m, n, k, transA, transB, { bias: withBias ? bias : undefined, sigmoid: isSigmoid });
              expect(bits(c), `${m}x${n}x${k} ${transA} ${transB} bias ${withBias} sigmoid ${isSigmoid}`).toEqual(bits(want));
            }
          }
        }
      });
    }
  }

  it('the pool runs the epilogue on its workers\' row blocks too', async () => {
    await wasmWarmUp();
    setGemmThreads(2);
    const [m, n, k] = [512, 256, 256];
    const a = fill(make(false, m * k), 4);
    const b = fill(make(false, k * n), 5);
    const bias = fill(make(false, n), 6);
    const joined = gemmPoolStats().joinedJobs;
    let c = make(false, m * n);
    // A worker may wake too late to join one product; a few tries make sure one did.
    for (let t = 0; t < 20 && gemmPoolStats().joinedJobs === joined; t++) {
      c = make(false, m * n);
      gemmFused(a, b, c, m, n, k, false, true, { bias, sigmoid: true });
    }
    expect(gemmPoolStats().joinedJobs).toBeGreaterThan(joined);
    expect(bits(c)).toEqual(bits(unfused(a, b, m, n, k, false, true, bias, true)));
  });

  it('plain kernels (no fused multiply-add) and resident operands give the unfused bits', () => {
    setGemmThreads(1);
    setGemmFma(false);
    const arena = gemmArena()!;
    const [m, n, k] = [200, 70, 300];
    for (const isF32 of [false, true]) {
      const a = fill(arena.alloc(isF32, m * k)!, 7);
      const b = fill(make(isF32, k * n), 8);
      const bias = fill(arena.alloc(isF32, n)!, 9);
      const c = arena.alloc(isF32, m * n)!;
      gemmFused(a, b, c, m, n, k, false, false, { bias, sigmoid: true });
      expect(bits(c)).toEqual(bits(unfused(a, b, m, n, k, false, false, bias, true)));
    }
    setGemmFma(true);
  });

  it('a worker whose kernel fails mid-product: the product and its epilogue are redone, with the same bits', async () => {
    await wasmWarmUp();
    setGemmThreads(2);
    const [m, n, k] = [512, 128, 256];
    const a = fill(make(false, m * k), 10);
    const b = fill(make(false, k * n), 11);
    const bias = fill(make(false, n), 12);
    const want = unfused(a, b, m, n, k, false, true, bias, true);
    injectGemmWorkerFault(1, 'rows');
    const c = make(false, m * n);
    gemmFused(a, b, c, m, n, k, false, true, { bias, sigmoid: true });
    injectGemmWorkerFault(1, 'none');
    expect(bits(c)).toEqual(bits(want));
  });
});
