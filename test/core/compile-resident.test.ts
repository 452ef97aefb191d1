// A plan keeps its intermediates in the GEMM's WebAssembly memory (products read and write them in place):
// the same bits as a plan with ordinary buffers, and nothing it returns or writes to .grad lives there.
import { binaryCrossEntropy, compile, randn, gt, type Tensor } from '@tapegrad/core';
import { afterEach, describe, expect, test } from 'vitest';
import { setPlanResidency } from '../../packages/core/src/transforms/compile/plan.ts';
import { gemmPoolStats } from '../../packages/core/src/kernels/gemm.ts';

afterEach(() => setPlanResidency(true));

function net(dtype: 'float64' | 'float32') {
  const params = [
    randn([64, 96], { seed: 1, dtype, requiresGrad: true }),
    randn([96], { seed: 2, dtype, requiresGrad: true }),
    randn([96, 1], { seed: 3, dtype, requiresGrad: true }),
    randn([1], { seed: 4, dtype, requiresGrad: true }),
  ] as const;
  const [w1, b1, w2, b2] = params;
  const step = compile((x: Tensor, t: Tensor) => {
    for (const p of params) p.grad = null;
    const h = x.matmul(w1).add(b1).sigmoid();
    const y = h.matmul(w2).add(b2).sigmoid();
    const loss = binaryCrossEntropy(y, t);
    loss.backward();
    return { loss, h };
  });
  return { params, step };
}

const isShared = (t: Tensor): boolean => typeof SharedArrayBuffer !== 'undefined' && t.data.buffer instanceof SharedArrayBuffer;

describe('compile: buffers in WebAssembly memory', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`${dtype}: the bits of ordinary buffers; results and gradients stay in ordinary memory`, () => {
      const plain = net(dtype);
      const resident = net(dtype);
      for (let call = 0; call < 3; call++) {
        const x = randn([256, 64], { seed: 10 + call, dtype });
        const t = gt(randn([256, 1], { seed: 20 + call, dtype }), 0).astype(dtype);
        // A plan is built on its first call (the trace), with the residency setting of that moment.
        setPlanResidency(false);
        const p = plain.step(x, t);
        setPlanResidency(true);
        const r = resident.step(x, t);
        expect(r.loss.item()).toBe(p.loss.item());
        expect(Array.from(r.h.data)).toEqual(Array.from(p.h.data));
        resident.params.forEach((q, i) => expect(Array.from(q.grad!.data)).toEqual(Array.from(plain.params[i]!.grad!.data)));
        expect(isShared(r.loss) || isShared(r.h) || resident.params.some((q) => isShared(q.grad!))).toBe(false);
      }
      // What the products copy in and out per replay: with resident intermediates only the arguments and parameters.
      const x = randn([256, 64], { seed: 30, dtype });
      const t = gt(randn([256, 1], { seed: 31, dtype }), 0).astype(dtype);
      const copied = (step: typeof plain.step): number => {
        const before = gemmPoolStats().copiedBytes;
        step(x, t);
        return gemmPoolStats().copiedBytes - before;
      };
      const [plainBytes, residentBytes] = [copied(plain.step), copied(resident.step)];
      expect(plainBytes).toBeGreaterThan(0);
      expect(residentBytes).toBeLessThan(0.7 * plainBytes);
      expect(plain.step.stats().wasmResidentBuffers).toBe(0);
      expect(resident.step.stats().wasmResidentBuffers).toBeGreaterThan(0);
      expect(resident.step.stats().allocationsLastCall).toBe(0);
    });
  }
});
