import { tensor } from '@tapegrad/core';
import { MLP, fit, trainTestSplit, type FitOptions } from '@tapegrad/nn';
import { loadDatasetSync } from '@tapegrad/nn/node';
import { describe, expect, test } from 'vitest';
import { makeW1 } from './w1.ts';

/** Bit-for-bit equality of two lists of numbers (Object.is also tells −0 from 0 and matches NaN). */
function expectBitIdentical(a: readonly number[], b: readonly number[]): void {
  expect(a.length).toBe(b.length);
  const bits = (x: number): string => Buffer.from(new Float64Array([x]).buffer).toString('hex');
  expect(a.map(bits)).toEqual(b.map(bits));
}

describe('determinism: the same seed gives bit-identical training', () => {
  const data = (() => {
    const ds = loadDatasetSync('breastCancer');
    const split = trainTestSplit(ds.x, ds.y, { seed: 3 });
    return split;
  })();

  const train = (engine: FitOptions['engine'], optimizer: FitOptions['optimizer'], seed: number): number[] => {
    const model = new MLP({ sizes: [data.xTrain.shape[1]!, 16, 1], seed });
    const history = fit(model, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, { engine, optimizer, epochs: 4, seed, batchSize: 32 });
    return history.epochs.flatMap((e) => [e.loss, e.testLoss]);
  };

  test.each([
    ['autograd', 'adam'],
    ['autograd', 'sgd'],
    ['fast', 'adamw'],
  ] as const)('nn fit (%s engine, %s): per-epoch losses of two runs', (engine, optimizer) => {
    const a = train(engine, optimizer, 11);
    const b = train(engine, optimizer, 11);
    expectBitIdentical(a, b);
    expect(a.every(Number.isFinite)).toBe(true);
    // A different seed trains differently, so the equality above is not vacuous.
    expect(train(engine, optimizer, 12)).not.toEqual(a);
  });

  test('W1-small with core ops: 30 steps, two runs', () => {
    const run = (seed: number): number[] => {
      const net = makeW1(seed);
      return Array.from({ length: 30 }, () => net.step());
    };
    const a = run(5);
    expectBitIdentical(a, run(5));
    expect(run(6)).not.toEqual(a);
    expect(tensor(a).size).toBe(30);
  });
});
