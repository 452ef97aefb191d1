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

  it('obeys an explicit thread count instead', () => {
    setGemmThreads(2);
    product();
    expect(wasmPoolPreferred(N, N, N)).toBeUndefined();
    setGemmThreads(0);
  });
});
