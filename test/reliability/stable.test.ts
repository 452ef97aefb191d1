/**
 * Numerically stable forms: no overflow at |z| = 1000, exact gradients where a closed form exists, and
 * no NaN leaking from the branch `where` did not take.
 */
import {
  binaryCrossEntropyWithLogits, crossEntropy, gt, log, logSoftmax, logsumexp, sigmoid, softmax, softplus, tensor, where,
  type Tensor,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

const finite = (t: Tensor): boolean => Array.from(t.data).every(Number.isFinite);
const LN2 = Math.log(2);

describe('stable forms at ±1000', () => {
  test('logsumexp: finite value and softmax gradient', () => {
    const x = tensor([[1000, 1000], [-1000, -1000], [1000, -1000]], { requiresGrad: true });
    const y = logsumexp(x, 1);
    expect(y.toArray()).toEqual([1000 + LN2, -1000 + LN2, 1000]);
    y.backward(tensor([1, 2, 3]));
    expect(finite(x.grad!)).toBe(true);
    const gr = x.grad!.toArray() as number[][];
    expect(gr[0]![0]).toBeCloseTo(0.5, 12);
    expect(gr[1]![1]).toBeCloseTo(1, 12);
    expect(gr[2]).toEqual([3, 0]);
  });

  test('softmax: finite probabilities that sum to 1, finite gradient', () => {
    const x = tensor([1000, 0, -1000], { requiresGrad: true });
    const y = softmax(x);
    expect(y.toArray()).toEqual([1, 0, 0]);
    y.backward(tensor([1, 2, 3]));
    // J = diag(p) − ppᵀ at p = e₀ is 0.
    expect(x.grad!.toArray()).toEqual([0, 0, 0]);
    const z = tensor([[1000, 999]], { requiresGrad: true });
    const p = softmax(z);
    const e = Math.exp(-1);
    expect(p.data[0]).toBeCloseTo(1 / (1 + e), 14);
    p.backward(tensor([[1, 0]]));
    const q = 1 / (1 + e);
    expect(z.grad!.data[0]).toBeCloseTo(q * (1 - q), 14);
  });

  test('logSoftmax: exact values far out in the tails, finite gradient', () => {
    const x = tensor([1000, 0, -1000], { requiresGrad: true });
    const y = logSoftmax(x);
    expect(y.toArray()).toEqual([0, -1000, -2000]);
    y.backward(tensor([1, 2, 3]));
    // dx = dy − softmax(x)·Σdy = [1 − 6, 2, 3]
    expect(x.grad!.toArray()).toEqual([-5, 2, 3]);
  });

  test('softplus: no overflow, gradient σ(x)', () => {
    const x = tensor([1000, -1000, 0], { requiresGrad: true });
    const y = softplus(x);
    expect(y.toArray()).toEqual([1000, 0, LN2]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 0, 0.5]);
  });

  test('binaryCrossEntropyWithLogits: finite loss and the exact gradient σ(z) − t', () => {
    const z = tensor([1000, -1000, 1000, -1000, 0, 3.5, -2.25], { requiresGrad: true });
    const t = tensor([0, 1, 1, 0, 1, 0.3, 0.9]);
    const loss = binaryCrossEntropyWithLogits(z, t, { reduction: 'none' });
    expect(finite(loss)).toBe(true);
    const l = loss.toArray() as number[];
    expect(l.slice(0, 4)).toEqual([1000, 1000, 0, 0]);
    expect(l[4]).toBeCloseTo(LN2, 15);
    loss.sum().backward();
    const sigma = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
    const expected = Array.from(z.data, (v, i) => sigma(v) - t.data[i]!);
    expect(Array.from(z.grad!.data)).toEqual(expected);
    expect(expected.slice(0, 4)).toEqual([1, -1, 0, 0]);
  });

  test('binaryCrossEntropyWithLogits with the default mean: (σ(z) − t)/n', () => {
    const z = tensor([1000, -1000], { requiresGrad: true });
    binaryCrossEntropyWithLogits(z, tensor([0, 0])).backward();
    expect(z.grad!.toArray()).toEqual([0.5, 0]);
  });

  test('crossEntropy on logits ±1000: finite loss and gradient softmax − onehot', () => {
    const z = tensor([[1000, -1000, 0], [0, 0, 0]], { requiresGrad: true });
    const loss = crossEntropy(z, [1, 2], { reduction: 'sum' });
    expect(loss.item()).toBeCloseTo(2000 + Math.log(3), 9);
    loss.backward();
    const gr = z.grad!.toArray() as number[][];
    expect(gr[0]).toEqual([1, -1, 0]);
    expect(gr[1]![2]).toBeCloseTo(1 / 3 - 1, 14);
  });

  test('sigmoid for large |z|: in [0, 1], no NaN, gradient y(1 − y) finite', () => {
    const x = tensor([-1000, -746, -745, -40, 40, 745, 746, 1000], { requiresGrad: true });
    const y = sigmoid(x);
    expect(y.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(y.data[0]).toBe(0);
    expect(y.data[7]).toBe(1);
    expect(y.data[3]).toBeGreaterThan(0);
    y.sum().backward();
    expect(finite(x.grad!)).toBe(true);
    expect(x.grad!.data[0]).toBe(0);
  });
});

describe('where does not leak NaN from the branch it did not take', () => {
  test('where(x > 0, log(x), 0) at x = 0 has gradient 0, and 1/x where taken', () => {
    const x = tensor([0, 2, 0.5], { requiresGrad: true });
    const y = where(gt(x, 0), log(x), 0);
    expect(y.toArray()).toEqual([0, Math.log(2), Math.log(0.5)]);
    y.backward(tensor([3, 3, 3]));
    expect(x.grad!.toArray()).toEqual([0, 1.5, 6]);
  });

  test('the same with createGraph (the differentiable form of the rules)', () => {
    const x = tensor([0, 2], { requiresGrad: true });
    where(gt(x, 0), log(x), 0).sum().backward(undefined, { createGraph: true });
    expect(x.grad!.toArray()).toEqual([0, 0.5]);
  });

  test('sqrt of a negative number on the untaken side', () => {
    const x = tensor([-1, 4], { requiresGrad: true });
    where(gt(x, 0), x.sqrt(), x.mul(2)).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 0.25]);
  });
});
