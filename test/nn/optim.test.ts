import { isGradEnabled, tensor, type Tensor } from '@tapegrad/core';
import { Adam, AdamW, SGD } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

/** A parameter with a given gradient. */
function param(w: number[], g: number[]): Tensor {
  const p = tensor(w, { requiresGrad: true });
  p.grad = tensor(g);
  return p;
}

describe('SGD', () => {
  test('plain step: w ← w − lr·g', () => {
    const p = param([1, 2], [0.5, -1]);
    new SGD([p], { lr: 0.1 }).step();
    expect(Array.from(p.data)).toEqual([1 - 0.05, 2 + 0.1]);
  });

  test('momentum, Nesterov and weight decay follow PyTorch', () => {
    const g = 0.5, lr = 0.1, mu = 0.9, wd = 0.01;
    const p = param([1], [g]);
    const opt = new SGD([p], { lr, momentum: mu, weightDecay: wd });
    opt.step();
    let w = 1, v = g + wd * 1;
    w -= lr * v;
    expect(p.data[0]).toBeCloseTo(w, 15);
    opt.step();
    v = mu * v + (g + wd * w);
    w -= lr * v;
    expect(p.data[0]).toBeCloseTo(w, 15);
    const q = param([1], [g]);
    const nest = new SGD([q], { lr, momentum: mu, nesterov: true });
    nest.step();
    nest.step();
    // v1 = g, w1 = 1 − lr(g + μg); v2 = μg + g, w2 = w1 − lr(g + μ·v2)
    expect(q.data[0]).toBeCloseTo(1 - lr * (g + mu * g) - lr * (g + mu * (mu * g + g)), 15);
  });

  test('updates in place without recording, and bumps the version', () => {
    const p = param([1, 2], [1, 1]);
    const stale = p.mul(2);
    const data = p.data;
    const opt = new SGD([p], { lr: 0.5 });
    opt.step();
    expect(p.data).toBe(data);
    expect(p.version).toBe(1);
    expect(p.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() => stale.sum().backward()).toThrow(/modified by an in-?place operation/);
  });

  test('skips parameters without a gradient', () => {
    const p = tensor([1], { requiresGrad: true });
    new SGD([p]).step();
    expect(p.data[0]).toBe(1);
    expect(p.version).toBe(0);
  });

  test('validates its arguments', () => {
    expect(() => new SGD([])).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: SGD: params must contain at least one tensor, got 0]`);
    expect(() => new SGD([param([1], [1])], { lr: -1 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: SGD: lr must be a non-negative number, got -1]`);
    expect(() => new SGD([param([1], [1])], { nesterov: true })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0, dampening 0]`);
    expect(() => new Adam([], {})).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: Adam: params must contain at least one tensor, got 0]`);
    expect(() => new AdamW([param([1], [1])], { lr: -0.1 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: AdamW: lr must be a non-negative number, got -0.1]`);
    expect(() => new Adam([param([1], [1])], { betas: [0.9, 1] })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: Adam: betas[1] must be in [0, 1), got 1]`);
  });
});

describe('Adam and AdamW', () => {
  test('Adam: the first step moves each weight by lr·sign(g) (bias correction)', () => {
    const p = param([1, -1, 0.5], [3, -0.2, 1e-3]);
    new Adam([p], { lr: 0.1 }).step();
    expect(p.data[0]).toBeCloseTo(0.9, 6);
    expect(p.data[1]).toBeCloseTo(-0.9, 6);
    expect(p.data[2]).toBeCloseTo(0.4, 4);
  });

  test('Adam matches a hand-written reference over several steps', () => {
    const p = param([0.3], [0]);
    const opt = new Adam([p], { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 });
    let w = 0.3, m = 0, v = 0;
    for (let t = 1; t <= 5; t++) {
      const g = Math.sin(t) + 0.1 * w;
      p.grad = tensor([Math.sin(t)]);
      opt.step();
      m = 0.8 * m + 0.2 * g;
      v = 0.95 * v + 0.05 * g * g;
      w -= (0.05 * (m / (1 - 0.8 ** t))) / (Math.sqrt(v / (1 - 0.95 ** t)) + 1e-6);
      expect(p.data[0]).toBeCloseTo(w, 14);
    }
  });

  test('AdamW decays the weights decoupled from the gradient', () => {
    const p = param([2], [0]);
    new AdamW([p], { lr: 0.1, weightDecay: 0.5 }).step();
    // zero gradient: only the decay acts, w·(1 − lr·λ)
    expect(p.data[0]).toBeCloseTo(2 * (1 - 0.05), 15);
    const q = param([2], [0]);
    new Adam([q], { lr: 0.1, weightDecay: 0.5 }).step();
    // Adam's L2 term goes through the moments: the first step is lr·sign(λw)
    expect(q.data[0]).toBeCloseTo(1.9, 6);
  });
});
