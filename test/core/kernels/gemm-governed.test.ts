import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { gemm, setGemmThreads } from '../../../packages/core/src/kernels/gemm.ts';
import { wasmPoolPreferred, wasmWarmUp } from '../../../packages/core/src/kernels/wasm/gemm-wasm.ts';

// 192³ multiply-adds: past the size from which products are split over worker threads, and quick.
const N = 192;
const a = Float64Array.from({ length: N * N }, (_, i) => ((i * 7919) % 1013) / 1013 - 0.5);
const b = Float64Array.from({ length: N * N }, (_, i) => ((i * 104729) % 997) / 997 - 0.5);

function product(): Float64Array {
  const c = new Float64Array(N * N);
  gemm(a, b, c, N, N, N, false, false);
  return c;
}

afterAll(() => setGemmThreads(0));

describe('the default thread count times each large shape on the pool and on one thread', () => {
  it('times both modes within a few products, with the same results either way', async () => {
    setGemmThreads(1);
    const expected = product();
    setGemmThreads(0);
    await wasmWarmUp();
    const until = Date.now() + 20_000;
    // The 2nd product of a shape runs on one thread; a pooled product counts once a worker joined it.
    while (wasmPoolPreferred(N, N, N) === undefined && Date.now() < until) expect(product()).toEqual(expected);
    if (availableParallelism() < 2) {
      // One core: no workers, nothing to choose.
      expect(wasmPoolPreferred(N, N, N)).toBeUndefined();
    } else {
      expect(typeof wasmPoolPreferred(N, N, N)).toBe('boolean');
    }
  });

  it('keeps a record for each transpose and for accumulating products, apart from the plain product', async () => {
    setGemmThreads(0);
    await wasmWarmUp();
    const until = Date.now() + 20_000;
    const c = new Float64Array(N * N);
    while (wasmPoolPreferred(N, N, N) === undefined && Date.now() < until) product();
    if (availableParallelism() < 2) return;
    // The plain product is timed both ways; the others are not timed at all yet.
    expect(typeof wasmPoolPreferred(N, N, N)).toBe('boolean');
    expect(wasmPoolPreferred(N, N, N, false, true, false)).toBeUndefined();
    expect(wasmPoolPreferred(N, N, N, false, false, true)).toBeUndefined();
    expect(wasmPoolPreferred(N, N, N, false, false, false, true)).toBeUndefined();
    while (wasmPoolPreferred(N, N, N, false, true, false) === undefined && Date.now() < until) gemm(a, b, c, N, N, N, true, false);
    expect(typeof wasmPoolPreferred(N, N, N, false, true, false)).toBe('boolean');
    expect(wasmPoolPreferred(N, N, N, false, false, true)).toBeUndefined();
  });

  it('obeys an explicit thread count instead', () => {
    setGemmThreads(2);
    product();
    expect(wasmPoolPreferred(N, N, N)).toBeUndefined();
    setGemmThreads(0);
  });
});
