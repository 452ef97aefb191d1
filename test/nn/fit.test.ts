import { randn, tensor } from '@tapegrad/core';
import { fastForward, fastLoss, fit, MLP, SGD, standardize, trainTestSplit } from '@tapegrad/nn';
import { loadDatasetSync } from '@tapegrad/nn/node';
import { describe, expect, test } from 'vitest';

function breastCancer(): { x: ReturnType<typeof randn>; y: ReturnType<typeof randn>; xTest: ReturnType<typeof randn>; yTest: ReturnType<typeof randn> } {
  const ds = loadDatasetSync('breastCancer');
  const s = trainTestSplit(ds.x, ds.y, { seed: 1 });
  const { xTrain, xTest } = standardize(s.xTrain, s.xTest);
  return { x: xTrain, y: s.yTrain, xTest, yTest: s.yTest };
}

describe('fit', () => {
  test('determinism: the same seed gives bit-identical losses, on both engines', () => {
    const data = breastCancer();
    for (const engine of ['fast', 'autograd'] as const) {
      const run = (): number[] => {
        const model = new MLP({ sizes: [30, 8, 1], activation: 'tanh', seed: 7 });
        return fit(model, data, { engine, epochs: 3, seed: 5 }).epochs.flatMap((e) => [e.loss, e.testLoss]);
      };
      expect(run()).toEqual(run());
    }
  });

  test('fast path and autograd follow the same trajectory from the same start', () => {
    const data = breastCancer();
    const a = new MLP({ sizes: [30, 8, 1], seed: 3 });
    const b = new MLP({ sizes: [30, 8, 1], seed: 3 });
    const ha = fit(a, data, { engine: 'fast', epochs: 3, seed: 2 });
    const hb = fit(b, data, { engine: 'autograd', epochs: 3, seed: 2 });
    ha.epochs.forEach((e, i) => expect(Math.abs(e.loss - hb.epochs[i]!.loss)).toBeLessThan(1e-12));
    expect(ha.epochs.at(-1)!.testAccuracy).toBe(hb.epochs.at(-1)!.testAccuracy);
  });

  test('reaches ≥ 95 % test accuracy on breast cancer in a few epochs, with any optimizer', () => {
    const data = breastCancer();
    for (const optimizer of ['adam', 'adamw', 'sgd'] as const) {
      const model = new MLP({ sizes: [30, 16, 1], seed: 1 });
      const infos: number[] = [];
      const h = fit(model, data, { epochs: 8, optimizer, lr: optimizer === 'sgd' ? 0.05 : 0.01, seed: 1, onEpoch: (e) => infos.push(e.epoch) });
      expect(infos).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(h.epochs.at(-1)!.testAccuracy, optimizer).toBeGreaterThanOrEqual(0.95);
    }
    const model = new MLP({ sizes: [30, 4, 1], seed: 1 });
    expect(() => fit(model, data, { engine: 'jit' as 'fast' })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: fit: engine must be 'fast' or 'autograd', got 'jit']`);
    expect(fit(model, data, { epochs: 1, optimizer: new SGD(model.parameters(), { lr: 0.1 }) }).epochs).toHaveLength(1);
  });

  test('identity + MSE regression trains on the fast path', () => {
    const x = randn([64, 2], { seed: 1 });
    const y = tensor(Array.from({ length: 64 }, (_, i) => 2 * x.data[2 * i]! - x.data[2 * i + 1]!), { shape: [64, 1] });
    const model = new MLP({ sizes: [2, 1], output: 'identity', seed: 1 });
    const before = fastLoss(model, x, y);
    fit(model, { x, y }, { epochs: 40, lr: 0.05, batchSize: 16 });
    expect(fastLoss(model, x, y)).toBeLessThan(before * 1e-3);
    expect(fastForward(model, x).Yhat.length).toBe(64);
  });
});
