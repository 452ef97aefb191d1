import {
  RefValue,
  createRng,
  loadConfig,
  makeW1Data,
  makeW3Data,
  matmulReference,
  micrograd3,
  micrograd4,
  referenceW1Losses,
} from '@tapegrad/bench';
import { describe, expect, test } from 'vitest';

const config = loadConfig();

describe('seeded data', () => {
  test('the same seed and stream give the same numbers, other streams differ', () => {
    const a = createRng(config.seed, 'W1 small');
    const b = createRng(config.seed, 'W1 small');
    const c = createRng(config.seed, 'W1 big');
    const xs = Array.from({ length: 5 }, () => a.normal());
    expect(Array.from({ length: 5 }, () => b.normal())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.normal())).not.toEqual(xs);
  });

  test('W1 targets are 0/1 and not all one class', () => {
    const data = makeW1Data(config, 'small', config.W1.small);
    const ones = data.y.reduce((s, v) => s + v, 0);
    expect(data.y.every((v) => v === 0 || v === 1)).toBe(true);
    expect(ones).toBeGreaterThan(data.y.length * 0.2);
    expect(ones).toBeLessThan(data.y.length * 0.8);
  });
});

describe('reference W1 (plain TypeScript, float64)', () => {
  test('the loss decreases over 5 steps', () => {
    const data = makeW1Data(config, 'small', config.W1.small);
    const losses = referenceW1Losses(data, 5);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
  });

  test('does not modify the shared initial parameters', () => {
    const data = makeW1Data(config, 'small', config.W1.small);
    const before = Float64Array.from(data.layers[0]!.w);
    referenceW1Losses(data, 2);
    expect(data.layers[0]!.w).toEqual(before);
  });
});

describe('micrograd-style reference engine', () => {
  test('gradients of a tiny program match hand-computed values', () => {
    // L = (a·b + c)·f  ⇒  dL/da = b·f, dL/db = a·f, dL/dc = f, dL/df = a·b + c
    const a = new RefValue(2);
    const b = new RefValue(-3);
    const c = new RefValue(10);
    const f = new RefValue(-2);
    const loss = a.mul(b).add(c).mul(f);
    loss.backward();
    expect(loss.data).toBe(-8);
    expect([a.grad, b.grad, c.grad, f.grad]).toEqual([6, -4, -2, 4]);
  });

  test('a reused value accumulates, and relu passes no gradient below zero', () => {
    // g = x·x + x + relu(−x)  at x = 3  ⇒  dg/dx = 2x + 1 + 0 = 7
    const x = new RefValue(3);
    const g = x.mul(x).add(x).add(x.neg().relu());
    g.backward();
    expect(g.data).toBe(12);
    expect(x.grad).toBe(7);
  });

  test('W4 closed form dy/dx = 1.0001^N holds at N = 1000', () => {
    const { mul, add, x0 } = config.W4;
    const w = micrograd4(1000, mul, add, x0);
    expect(w.step()).toBeCloseTo(mul ** 1000, 12);
  });

  test('W3 records about 65,000 ops per step and its loss decreases', () => {
    const w = micrograd3(makeW3Data(config));
    const first = w.step();
    expect(w.opsPerStep?.()).toBe(65077);
    const second = w.step();
    expect(second).toBeLessThan(first);
  });
});

test('reference matmul on a 2×2 product', () => {
  const c = matmulReference(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 2);
  expect(Array.from(c)).toEqual([19, 22, 43, 50]);
});
