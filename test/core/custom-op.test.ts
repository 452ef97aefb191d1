import {
  customOp, grad, mutate, noGrad, gradcheck, gt, gradgradcheck, hessian, matmul, mean, randn, tapeLength, tensor, Tensor, where,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

// y = x·σ(βx) (swish), dy/dx = σ + βx·σ(1 − σ)  ⇒  dx = dy·(σ + βx·σ(1 − σ)), with tensor ops (differentiable).
const swish = customOp({
  name: 'swish',
  forward: (x, beta) => {
    const s = x.mul(beta!).sigmoid();
    return { output: x.mul(s), attrs: { s } };
  },
  backward: ({ inputs: [x, beta], dy, attrs: { s } }) => [
    dy.mul(s.add(x!.mul(beta!).mul(s).mul(s.neg().add(1)))),
    null,
  ],
  rule: 'y = x·σ(βx), dy/dx = σ + βx·σ(1 − σ) ⇒ dx = dy·(σ + βx·σ(1 − σ))',
});

// The same op with the σ(1 − σ) factor forgotten: a plausible, wrong rule.
const swishWrong = customOp({
  name: 'swishWrong',
  forward: (x) => x.mul(x.sigmoid()),
  backward: ({ inputs: [x], dy }) => [dy.mul(x!.sigmoid().add(x!))],
});

// A differentiable-in-x version of swish (β = 1) whose σ is recomputed from x in backward: second order works.
const silu = customOp({
  name: 'silu',
  forward: (x) => x.mul(x.sigmoid()),
  backward: ({ inputs: [x], dy }) => {
    const s = x!.sigmoid();
    return dy.mul(s.add(x!.mul(s).mul(s.neg().add(1))));
  },
});

describe('customOp', () => {
  test('a correct rule passes gradcheck, including broadcasting and a number argument', () => {
    const x = randn([2, 3], { seed: 1 });
    const report = gradcheck((t) => swish(t, 1.5), [x]);
    expect(report.ok, report.message).toBe(true);
    expect(report.checked).toBe(6);
  });

  test('a deliberately wrong rule is caught by gradcheck, naming the op', () => {
    const report = gradcheck((t) => swishWrong(t), [randn([4], { seed: 2 })], { name: 'swishWrong' });
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/^gradcheck of swishWrong: failed; worst at input 0, element \d: analytic -?\d/);
  });

  test('it is recorded like a built-in: one node named after the op, released by backward', () => {
    const before = tapeLength();
    const x = tensor([1, -2], { requiresGrad: true });
    const y = swish(x, 2);
    expect(y.node!.op.name).toBe('swish');
    expect(y.node!.op.rule).toContain('σ(βx)');
    expect(tapeLength()).toBe(before + 1);
    y.sum().backward();
    expect(tapeLength()).toBe(before);
    const s = (v: number): number => 1 / (1 + Math.exp(-2 * v));
    const expected = [1, -2].map((v) => s(v) + 2 * v * s(v) * (1 - s(v)));
    expect(x.grad!.data[0]).toBeCloseTo(expected[0]!, 12);
    expect(x.grad!.data[1]).toBeCloseTo(expected[1]!, 12);
  });

  test('the forward runs without recording, and never rewrites an input that it returns', () => {
    const identity = customOp({ name: 'identity', forward: (x) => x, backward: ({ dy }) => [dy] });
    const x = tensor([1, 2], { requiresGrad: true });
    const before = tapeLength();
    const y = identity(x);
    expect(y).not.toBe(x);
    expect(x.isLeaf).toBe(true);
    expect(tapeLength()).toBe(before + 1);
    y.mul(tensor([3, 4])).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 4]);
  });

  test('forward on raw arrays, with a tensor backward: usable with createGraph and the transforms', () => {
    // y = x³ on raw data; dy/dx = 3x²  ⇒  dx = dy·3x²
    const cube = customOp({
      name: 'cube',
      forward: (x) => ({ data: Array.from(x.data, (v) => v ** 3), shape: x.shape }),
      backward: ({ inputs: [x], dy }) => [dy.mul(x!.square()).mul(3)],
    });
    expect(grad((x) => cube(x))(2)).toBe(12);
    expect(grad(grad((x) => cube(x)))(2)).toBe(12);
    expect(grad(grad(grad((x) => cube(x))))(2)).toBe(6);
    expect((hessian((x) => cube(x).sum())(tensor([1, 2])) as Tensor).toArray()).toEqual([[6, 0], [0, 12]]);
    expect(gradgradcheck((x) => cube(x), [randn([3], { seed: 3 })]).ok).toBe(true);
    expect(gradgradcheck((x) => silu(x), [randn([3], { seed: 4 })]).ok).toBe(true);
  });

  test('nested arrays out, several inputs, null gradients', () => {
    // y = a·b (elementwise) on nested arrays; ∂y/∂a = b ⇒ da = dy·b, and b gets no gradient.
    const scaleBy = customOp({
      name: 'scaleBy',
      forward: (a, b) => [a.data[0]! * b.data[0]!, a.data[1]! * b.data[1]!],
      backward: ({ inputs: [, b], dy }) => [dy.mul(b!), null],
    });
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 5], { requiresGrad: true });
    scaleBy(a, b).sum().backward();
    expect(a.grad!.toArray()).toEqual([3, 5]);
    expect(b.grad).toBeNull();
  });

  test('trains: a few SGD steps with the custom activation reduce the loss', () => {
    const X = randn([16, 2], { seed: 5 });
    const Y = where(gt(X.sum(1, true), 0), 1, -1);
    const W1 = randn([2, 8], { seed: 6, requiresGrad: true });
    const W2 = randn([8, 1], { seed: 7, requiresGrad: true });
    W1.data.forEach((v, i) => (W1.data[i] = 0.5 * v));
    W2.data.forEach((v, i) => (W2.data[i] = 0.5 * v));
    const lossAt = (): Tensor => mean(matmul(swish(matmul(X, W1), 1), W2).sub(Y).square());
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const loss = lossAt();
      losses.push(loss.item());
      W1.grad = null;
      W2.grad = null;
      loss.backward();
      for (const p of [W1, W2]) {
        noGrad(() => mutate(p, (d) => d.forEach((v, i) => (d[i] = v - 0.1 * p.grad!.data[i]!))));
      }
    }
    expect(losses[losses.length - 1]!).toBeLessThan(0.7 * losses[0]!);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]! + 1e-12);
  });

  test('a nondifferentiable custom op records nothing', () => {
    const step = customOp({ name: 'step', forward: (x) => gt(x, 0), backward: () => [null], isNondifferentiable: true });
    const before = tapeLength();
    const y = step(tensor([-1, 1], { requiresGrad: true }));
    expect(y.toArray()).toEqual([0, 1]);
    expect(y.requiresGrad).toBe(false);
    expect(tapeLength()).toBe(before);
  });

  test('errors: spec, inputs, and the rule’s output', () => {
    expect(() => customOp({ name: '', forward: (x) => x, backward: () => [null] })).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: customOp: name must be a non-empty string, got string]`,
    );
    expect(() => customOp({ name: 'f', forward: 3 as never, backward: () => [null] })).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: customOp: forward of 'f' must be a function, got number]`,
    );
    expect(() => swish('x' as never)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: swish: input 0 must be a Tensor or a number, got string]`,
    );
    expect(() => swish(tensor([1]), tensor([1], { dtype: 'float32' }))).toThrowErrorMatchingInlineSnapshot(
      `[DTypeError: swish: inputs must have the same dtype, got input 0 float64 and input 1 float32]`,
    );
    const bad = customOp({ name: 'bad', forward: () => ({}) as never, backward: () => [null] });
    expect(() => bad(tensor([1]))).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: bad: forward must return a Tensor, nested arrays or { data, shape }, got object]`,
    );
    const tooFew = customOp({ name: 'tooFew', forward: (a, b) => a.add(b!), backward: ({ dy }) => [dy] });
    const a = tensor([1, 2], { requiresGrad: true });
    expect(() => tooFew(a, a).sum().backward()).toThrowErrorMatchingInlineSnapshot(
      `[GradError: backward of 'tooFew': expected 2 gradient(s), one per input, got 1]`,
    );
    const wrongShape = customOp({ name: 'wrongShape', forward: (x) => x.sum(), backward: ({ dy }) => [dy.broadcastTo([3])] });
    expect(() => wrongShape(tensor([1, 2], { requiresGrad: true })).backward()).toThrowErrorMatchingInlineSnapshot(
      `[GradError: backward of 'wrongShape' returned [3] for input 0 of shape [2]]`,
    );
  });
});
