// The demos' training loop: compiled when compile replays the step, eager from the same start when it refuses.
import { crossEntropy, customOp, randn, tensor, type Tensor } from '@tapegrad/core';
import { Adam, BatchNorm1d, Linear, Module } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';
import { eagerVsCompiledEpoch, trainClassifier } from '../../packages/cli/src/train-loop.ts';

/** A one-layer classifier; `odd` puts a custom op (which compile refuses) in its forward. */
class Net extends Module {
  readonly fc = this.registerModule('fc', new Linear(4, 3, { seed: 1 }));
  readonly bn = this.registerModule('bn', new BatchNorm1d(3));
  constructor(private readonly odd: boolean) {
    super();
  }
  forward(x: Tensor): Tensor {
    const z = this.bn.forward(this.fc.forward(x));
    return this.odd ? halve(z) : z;
  }
}

const halve = customOp({ name: 'halve', forward: (x) => x.mul(0.5), backward: ({ dy }) => dy.mul(0.5) });

const batches = Array.from({ length: 4 }, (_, i) => ({ x: randn([6, 4], { seed: i }), y: tensor([0, 1, 2, 0, 1, 2].map((v) => (v + i) % 3)) }));

function train(odd: boolean, compile: boolean) {
  const model = new Net(odd);
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const run = trainClassifier({
    model, optimizer, epochs: 3, compile,
    batches: () => batches,
    evaluate: () => ({ loss: crossEntropy(model.forward(batches[0]!.x), batches[0]!.y).item(), accuracy: 0 }),
  });
  return { model, optimizer, ...run };
}

describe('trainClassifier', () => {
  test('compile: true trains the eager trajectory with the compiled step', () => {
    const eager = train(false, false);
    const compiled = train(false, true);
    expect(eager.compile).toBe('eager');
    expect(compiled.compile).toBe('compiles');
    compiled.history.forEach((e, i) => expect(Math.abs(e.loss - eager.history[i]!.loss)).toBeLessThan(1e-12));
    expect(Array.from(compiled.model.fc.weight.data)).toEqual(Array.from(eager.model.fc.weight.data));
  });

  test('a step compile refuses trains eagerly from the same start, and says why', () => {
    const eager = train(true, false);
    const fallback = train(true, true);
    expect(fallback.compile).toMatch(/^not compiled: op 'halve' .* cannot be replayed yet$/);
    // The refused trace ran a training forward (batch norm's statistics moved) and a backward; they were put back:
    // the same trajectory and statistics, bit for bit.
    expect(fallback.history.map((e) => e.loss)).toEqual(eager.history.map((e) => e.loss));
    expect(Array.from(fallback.model.fc.weight.data)).toEqual(Array.from(eager.model.fc.weight.data));
    expect(Array.from(fallback.model.bn.runningMean.data)).toEqual(Array.from(eager.model.bn.runningMean.data));
  });

  test('eagerVsCompiledEpoch times both ways and leaves the trained weights as they were', () => {
    const { model, optimizer } = train(false, true);
    const before = Array.from(model.fc.weight.data);
    const t = eagerVsCompiledEpoch(model, optimizer, batches);
    expect(t.eager).toBeGreaterThan(0);
    expect(t.compiled).toBeGreaterThan(0);
    expect(Array.from(model.fc.weight.data)).toEqual(before);
  });
});
