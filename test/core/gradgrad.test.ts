import * as core from '@tapegrad/core';
import { gradgradcheck, jvp, OPS, Rng, tapeLength, tensor, Tensor, vjp } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import { isNondifferentiable, OP_SPECS } from './op-specs.ts';

/** One case of the shared op-spec table: the call, and its inputs drawn with the spec's domain sampler. */
interface Case {
  readonly op: string;
  readonly label: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly sample: (rng: Rng) => Tensor[];
  /** Ops without a gradient (comparisons, sign): their jvp and vjp must be zero. */
  readonly isNondifferentiable: boolean;
}

const cases: Case[] = OP_SPECS.flatMap((spec) =>
  spec.cases.map((c) => ({
    op: spec.name,
    label: `${spec.name} ${c.label ?? c.shapes.map((sh) => `[${sh.join(',')}]`).join(' with ')}`,
    fn: c.fn ?? spec.fn,
    sample: (rng: Rng) =>
      c.shapes.map((shape, arg) => {
        const n = shape.reduce((p, d) => p * d, 1);
        const data = spec.sample ? spec.sample(rng, n, arg) : Array.from({ length: n }, () => rng.normal());
        return tensor(data, { shape });
      }),
    isNondifferentiable: isNondifferentiable(spec),
  })),
);

test('every registered op has a second-order case', () => {
  const covered = new Set(cases.map((c) => c.op));
  expect(Object.keys(OPS).filter((name) => !covered.has(name))).toEqual([]);
});

describe.each(cases)('$label', (c) => {
  test('gradgradcheck: the gradient of the gradient matches finite differences of the gradient', () => {
    const xs = c.sample(new Rng(3));
    const before = tapeLength();
    const report = gradgradcheck(c.fn, xs, { name: c.label });
    expect(report.ok, report.message).toBe(true);
    expect(report.checked).toBeGreaterThan(0);
    expect(tapeLength()).toBe(before);
  });

  test('jvp against vjp: ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩, and J·v against finite differences', () => {
    const rng = new Rng(17);
    const xs = c.sample(rng);
    const vs = xs.map((x) => tensor(Array.from(x.data, () => rng.normal()), { shape: x.shape }));
    const [y, pullback] = vjp(c.fn, ...xs) as [Tensor, (u: Tensor) => Tensor[]];
    const u = tensor(Array.from(y.data, () => rng.normal()), { shape: y.shape });
    const [y2, jv] = jvp(c.fn, xs, vs) as [Tensor, Tensor];
    expect(Array.from(y2.data)).toEqual(Array.from(y.data));
    const gs = pullback(u);
    let lhs = 0;
    for (let i = 0; i < u.size; i++) lhs += u.data[i]! * jv.data[i]!;
    let rhs = 0;
    gs.forEach((g, k) => {
      for (let i = 0; i < g.size; i++) rhs += g.data[i]! * vs[k]!.data[i]!;
    });
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(lhs)));
    // Finite differences jump across the ties the comparison specs sample on purpose: check zeros instead.
    if (c.isNondifferentiable) {
      expect(Array.from(jv.data).every((v) => v === 0)).toBe(true);
      return;
    }
    const eps = 1e-6;
    const at = (s: number): Tensor => core.noGrad(() => c.fn(...xs.map((x, k) => x.add(vs[k]!.mul(s * eps)))));
    const plus = at(1);
    const minus = at(-1);
    for (let i = 0; i < jv.size; i++) {
      const numeric = (plus.data[i]! - minus.data[i]!) / (2 * eps);
      expect(Math.abs(jv.data[i]! - numeric)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(numeric));
    }
  });
});

test('gradgradcheck catches a backward rule that is right to first order but not differentiable', () => {
  // A custom op whose backward computes the right values on raw arrays: first order is exact, but the
  // recorded backward is a constant, so the second derivative is missing.
  const cube = core.customOp({
    name: 'cubeRaw',
    forward: (x) => ({ data: Array.from(x.data, (v) => v ** 3), shape: x.shape }),
    backward: ({ inputs: [x], dy }) => [tensor(Array.from(dy.data, (g, i) => g * 3 * x!.data[i]! ** 2), { shape: x!.shape })],
  });
  const x = tensor([0.5, -1.5]);
  expect(core.gradcheck((t) => cube(t), [x]).ok).toBe(true);
  const report = gradgradcheck((t) => cube(t), [x], { name: 'cubeRaw' });
  expect(report.ok).toBe(false);
  expect(report.message).toMatch(/^gradgradcheck of cubeRaw: failed; worst at input 0, element \d/);
  expect(() => gradgradcheck((t) => cube(t), [x], { name: 'cubeRaw', raise: true })).toThrow(core.GradCheckError);
});

test('gradgradcheck reports the cotangent as the last input', () => {
  // dx = dy·x²·3 but forgetting dy in the differentiable form breaks only the cotangent direction.
  const cube = core.customOp({
    name: 'cubeNoDy',
    forward: (x) => x.pow(3),
    backward: ({ inputs: [x], dy }) => [dy.mul(0).add(x!.square().mul(3)).mul(dy.detach())],
  });
  const report = gradgradcheck((t) => cube(t), [tensor([0.5, -1.5])]);
  expect(report.ok).toBe(false);
  expect(report.worst!.input).toBe(1);
  expect(report.message).toContain('(the cotangent u)');
});
