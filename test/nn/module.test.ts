import { randn, tensor, type Tensor } from '@tapegrad/core';
import { Activation, Flatten, Linear, MLP, Module, ReLU, Sequential, Tanh, heNormal, heUniform, linearDefault, xavierNormal, xavierUniform } from '@tapegrad/nn';
import { zeros } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

describe('Module', () => {
  test('Linear has weight [out, in] and bias [out], computes x·Wᵀ + b', () => {
    const fc = new Linear(3, 2, { seed: 1 });
    expect(fc.weight.shape).toEqual([2, 3]);
    expect(fc.bias!.shape).toEqual([2]);
    fc.weight.data.set([1, 2, 3, 4, 5, 6]);
    fc.bias!.data.set([0.5, -1]);
    expect(fc.forward(tensor([[1, 0, -1]])).toArray()).toEqual([[-1.5, -3]]);
    expect(new Linear(3, 2, { bias: false }).parameters()).toHaveLength(1);
  });

  test('namedParameters, parameters and zeroGrad walk the children', () => {
    const net = new Sequential(new Linear(4, 3, { seed: 1 }), ReLU(), new Linear(3, 1, { seed: 2 }));
    expect(net.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    net.forward(randn([5, 4])).sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    const mlp = new MLP({ sizes: [4, 3, 2], seed: 1 });
    expect(mlp.namedParameters().map(([n]) => n)).toEqual(['l1.weight', 'l1.bias', 'l2.weight', 'l2.bias']);
  });

  test('train() and eval() propagate to the children', () => {
    const inner = new Linear(2, 2);
    const net = new Sequential(inner, Tanh());
    expect(net.eval().isTraining).toBe(false);
    expect(inner.isTraining).toBe(false);
    net.train();
    expect(inner.isTraining).toBe(true);
  });

  test('Sequential chains modules; activation modules apply their function', () => {
    const a = new Linear(2, 2, { seed: 3 });
    const x = tensor([[1, -2]]);
    expect(new Sequential(a, new Activation('relu')).forward(x).toArray()).toEqual(a.forward(x).relu().toArray());
  });

  test('the same seed gives the same network, bit for bit', () => {
    const a = new MLP({ sizes: [5, 4, 3], activation: 'tanh', seed: 42 });
    const b = new MLP({ sizes: [5, 4, 3], activation: 'tanh', seed: 42 });
    const c = new MLP({ sizes: [5, 4, 3], activation: 'tanh', seed: 43 });
    expect(a.stateDict()).toEqual(b.stateDict());
    expect(a.stateDict()).not.toEqual(c.stateDict());
  });
});

describe('stateDict / loadStateDict', () => {
  test('round-trips through JSON', () => {
    const a = new MLP({ sizes: [3, 4, 2], seed: 1 });
    const b = new MLP({ sizes: [3, 4, 2], seed: 2 });
    const v = b.layers[0]!.weight.version;
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(b.layers[0]!.weight.version).toBe(v + 1);
    const x = randn([2, 3]);
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
  });

  test('rejects missing, unexpected and mis-shaped entries, changing nothing', () => {
    const net = new MLP({ sizes: [3, 4, 2], seed: 1 });
    const before = net.stateDict();
    const { ['l2.bias']: _dropped, ...missing } = before;
    expect(() => net.loadStateDict(missing)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: loadStateDict: entries must match the parameters and buffers, got missing 'l2.bias']`);
    expect(() => net.loadStateDict({ ...before, extra: { shape: [1], data: [0] } })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: loadStateDict: entries must match the parameters and buffers, got unexpected 'extra']`);
    const bad = { ...before, 'l1.weight': { shape: [3, 4], data: before['l1.weight']!.data } };
    const ok = { ...before, 'l1.bias': { shape: [4], data: [9, 9, 9, 9] } };
    expect(() => net.loadStateDict({ ...ok, 'l1.weight': bad['l1.weight']! })).toThrowErrorMatchingInlineSnapshot(`[ShapeError: loadStateDict: entry 'l1.weight' must have shape [4, 3], got [3, 4]]`);
    expect(() => net.loadStateDict({ ...before, 'l1.bias': { shape: [4], data: [1, 2] } })).toThrowErrorMatchingInlineSnapshot(`[ShapeError: loadStateDict: entry 'l1.bias' must have 4 elements for shape [4], got 2]`);
    expect(net.stateDict()).toEqual(before);
  });
});

describe('initializers', () => {
  test('bounds and scales follow fan_in / fan_out', () => {
    const w = zeros([200, 300]);
    const max = (): number => Math.max(...Array.from(w.data, Math.abs));
    const std = (): number => Math.sqrt(w.data.reduce((s, v) => s + v * v, 0) / w.size);
    xavierUniform(w, { seed: 1 });
    expect(max()).toBeLessThanOrEqual(Math.sqrt(6 / 500));
    expect(max()).toBeGreaterThan(0.99 * Math.sqrt(6 / 500));
    xavierNormal(w, { seed: 1 });
    expect(std()).toBeCloseTo(Math.sqrt(2 / 500), 2);
    heUniform(w, { seed: 1 });
    expect(max()).toBeLessThanOrEqual(Math.sqrt(6 / 300));
    heNormal(w, { seed: 1 });
    expect(std()).toBeCloseTo(Math.sqrt(2 / 300), 2);
    linearDefault(w, { seed: 1 });
    expect(max()).toBeLessThanOrEqual(1 / Math.sqrt(300));
    expect(max()).toBeGreaterThan(0.99 / Math.sqrt(300));
  });

  test('seeded: the same seed fills the same values', () => {
    expect(heNormal(zeros([3, 4]), { seed: 9 }).toArray()).toEqual(heNormal(zeros([3, 4]), { seed: 9 }).toArray());
    expect(() => xavierUniform(zeros([3]))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: xavierUniform: tensor must have at least 2 dimensions, got shape [3]]`);
  });
});

describe('buffers and Flatten', () => {
  test('buffers are saved and loaded with the parameters but not trained', () => {
    class Counter extends Module {
      readonly count = this.registerBuffer('count', tensor([0]));
      readonly scale = this.registerParameter('scale', tensor([2]));
      forward(x: Tensor): Tensor {
        return x.mul(this.scale);
      }
    }
    const net = new Sequential(new Counter(), new Counter());
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['0.count', '1.count']);
    expect(net.parameters()).toHaveLength(2);
    expect(Object.keys(net.stateDict())).toEqual(['0.scale', '1.scale', '0.count', '1.count']);
    const state = JSON.parse(JSON.stringify(net.stateDict()));
    state['1.count'].data = [5];
    net.loadStateDict(state);
    expect(net.namedBuffers()[1]![1].data[0]).toBe(5);
    expect(net.namedBuffers()[1]![1].requiresGrad).toBe(false);
    delete state['0.count'];
    expect(() => net.loadStateDict(state)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: loadStateDict: entries must match the parameters and buffers, got missing '0.count']`);
  });

  test('Flatten merges startDim..endDim and passes the gradient back', () => {
    const x = randn([2, 3, 4, 5]);
    x.requiresGrad = true;
    expect(new Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new Flatten(1, 2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new Flatten(0).forward(x).shape).toEqual([120]);
    new Flatten().forward(x).sum().backward();
    expect(x.grad!.shape).toEqual([2, 3, 4, 5]);
    expect(() => new Flatten(3, 1).forward(x)).toThrowErrorMatchingInlineSnapshot(`[ShapeError: Flatten: dimensions 3..1 must lie in x of shape [2, 3, 4, 5]]`);
  });
});
