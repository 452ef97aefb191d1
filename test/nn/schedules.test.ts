import { tensor } from '@tapegrad/core';
import { Adam, clipGradNorm, CosineAnnealingLR, LinearWarmup, SGD, StepLR } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

const sgd = (lr: number): SGD => new SGD([tensor([1], { requiresGrad: true })], { lr });

describe('learning-rate schedules', () => {
  test('StepLR decays by γ every stepSize steps and sets the optimizer’s lr', () => {
    const opt = sgd(0.8);
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    const seen = Array.from({ length: 7 }, () => s.step());
    expect(seen).toEqual([0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]);
    expect(opt.lr).toBe(0.2);
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: StepLR: stepSize must be an integer ≥ 1, got 0]`);
  });

  test('CosineAnnealingLR follows η_min + (η₀ − η_min)(1 + cos πt/T)/2 and stays at η_min after T', () => {
    const opt = sgd(1);
    const s = new CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.2 });
    const expected = [1, 2, 3, 4, 5].map((t) => 0.2 + (0.8 * (1 + Math.cos((Math.PI * Math.min(t, 4)) / 4))) / 2);
    expect([1, 2, 3, 4, 5].map(() => s.step())).toEqual(expected);
    expect(s.lrAt(2)).toBeCloseTo(0.6, 15);
    expect(opt.lr).toBe(0.2);
  });

  test('LinearWarmup ramps linearly, then hands over to the next schedule', () => {
    const opt = new Adam([tensor([1], { requiresGrad: true })], { lr: 0.01 });
    const s = new LinearWarmup(opt, { warmupSteps: 4, startFactor: 0.2, then: new StepLR(opt, { stepSize: 2, gamma: 0.1 }) });
    expect(opt.lr).toBeCloseTo(0.002, 15);
    const seen = Array.from({ length: 8 }, () => s.step());
    const want = [0.004, 0.006, 0.008, 0.01, 0.01, 0.001, 0.001, 0.0001];
    seen.forEach((lr, i) => expect(lr).toBeCloseTo(want[i]!, 15));
    expect(() => new LinearWarmup(opt, { warmupSteps: 2, then: new StepLR(sgd(1), { stepSize: 1 }) })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: LinearWarmup: then must schedule the same optimizer, got one on another SGD]`);
  });

  test('the schedule changes what the optimizer does', () => {
    const w = tensor([0], { requiresGrad: true });
    const opt = new SGD([w], { lr: 1 });
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    for (let i = 0; i < 3; i++) {
      w.grad = tensor([1]);
      opt.step();
      s.step();
    }
    expect(w.data[0]).toBe(-(1 + 0.5 + 0.25));
  });
});

describe('clipGradNorm', () => {
  test('scales all gradients by maxNorm / (‖g‖ + 1e-6) when the global norm is larger, and returns the norm', () => {
    const a = tensor([0, 0], { requiresGrad: true });
    const b = tensor([0], { requiresGrad: true });
    const c = tensor([0], { requiresGrad: true });
    a.grad = tensor([3, 0]);
    b.grad = tensor([4]);
    expect(clipGradNorm([a, b, c], 2)).toBe(5);
    const k = 2 / (5 + 1e-6);
    expect(Array.from(a.grad.data)).toEqual([3 * k, 0]);
    expect(Array.from(b.grad.data)).toEqual([4 * k]);
    expect(c.grad).toBeNull();
  });

  test('leaves small gradients alone; the ∞-norm and p-norms', () => {
    const a = tensor([0, 0], { requiresGrad: true });
    a.grad = tensor([0.3, -0.4]);
    expect(clipGradNorm([a], 1)).toBeCloseTo(0.5, 15);
    expect(Array.from(a.grad.data)).toEqual([0.3, -0.4]);
    expect(clipGradNorm([a], 1, Infinity)).toBe(0.4);
    expect(clipGradNorm([a], 1, 1)).toBeCloseTo(0.7, 15);
    a.grad = tensor([-6, 2]);
    expect(clipGradNorm([a], 3, Infinity)).toBe(6);
    expect(a.grad.data[0]).toBeCloseTo(-3, 5);
    expect(() => clipGradNorm([a], 0)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: clipGradNorm: maxNorm must be a positive number, got 0]`);
    expect(() => clipGradNorm([a], 1, 0.5)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: clipGradNorm: normType must be a number ≥ 1 or Infinity, got 0.5]`);
  });
});
