import { randn, tapeLength, tensor } from '@tapegrad/core';
import { fastForward, fastLoss, fastStep, MLP } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';
import { heapAfterGc as heap } from './heap.ts';

// Issue 13, "Memory that grows without bound" (items 17, 18; 15 and 16 are in scalar-lane.test.ts).

const MB = 2 ** 20;

describe('forward-only tensor graphs in a synchronous loop (item 17)', () => {
  test('the count of live nodes still returns to where it was once the dropped graphs are collected', async () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    // First in the file, so no other test's dropped graphs are still leaving the count; settle anyway.
    const settle = async (): Promise<void> => {
      for (let k = 0, last = -1; k < 100 && tapeLength() !== last; k++) {
        last = tapeLength();
        heap();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle();
    const start = tapeLength();
    for (let i = 0; i < 1000; i++) w.mul(2).exp();
    expect(tapeLength()).toBeGreaterThan(start);
    for (let k = 0; k < 100 && tapeLength() !== start; k++) {
      heap();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(tapeLength()).toBe(start);
  });

  test('100k recorded, never backpropagated nodes leave no per-node bookkeeping behind', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    for (let i = 0; i < 2000; i++) w.mul(2); // warm up
    const before = heap();
    // Synchronous: finalization callbacks cannot run until the loop ends.
    for (let i = 0; i < 100_000; i++) w.mul(2);
    const grown = heap() - before;
    // One registration per node kept ~130 bytes each (≈ 13 MB here).
    expect(grown).toBeLessThan(3 * MB);
  });

  test('released nodes are uncounted at once, as before', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const start = tapeLength();
    for (let i = 0; i < 600; i++) w.mul(w).sum().backward();
    expect(tapeLength()).toBe(start);
  });
});

describe('the fast path workspace cache (item 18)', () => {
  test('is bounded: batch sizes 1…120 do not keep one workspace each', () => {
    const model = new MLP({ sizes: [30, 64, 64, 1], seed: 1 });
    const x = randn([120, 30], { seed: 2 });
    const t = tensor(Array.from({ length: 120 }, (_, i) => i % 2));
    fastLoss(model, x.slice(0, 0, 120), t);
    const before = heap();
    for (let m = 1; m <= 120; m++) fastLoss(model, x.slice(0, 0, m), t.slice(0, 0, m));
    const grown = heap() - before;
    // One per size: Σ m·(64+64+1)·4 arrays·8 bytes ≈ 30 MB.
    expect(grown).toBeLessThan(4 * MB);
    expect(model.sizes).toEqual([30, 64, 64, 1]);
  });

  test('what fastForward and fastStep return is not overwritten by the next call', () => {
    const model = new MLP({ sizes: [3, 4, 1], seed: 1 });
    const a = fastForward(model, tensor([[1, 2, 3]]));
    const kept = Array.from(a.Yhat);
    const s = fastStep(model, tensor([[0.5, -1, 2]]), tensor([1]));
    const keptStep = Array.from(s.dZ[1]!);
    fastForward(model, tensor([[-3, 0, 9]]));
    fastStep(model, tensor([[4, 4, 4]]), tensor([0]));
    expect(Array.from(a.Yhat)).toEqual(kept);
    expect(Array.from(s.dZ[1]!)).toEqual(keptStep);
  });
});
