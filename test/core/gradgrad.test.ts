import * as core from '@tapegrad/core';
import {
  gradgradcheck, jvp, OPS, Rng, tapeLength, tensor, Tensor, vjp,
  type Shape,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

// TODO(#5): switch to the shared test/core/op-specs.ts table once it lands; this local table covers OPS meanwhile.

/** One case of an op: a tensor function of the differentiated inputs, and how to sample them. */
interface Case {
  readonly op: string;
  readonly label: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  readonly sample: (rng: Rng) => Tensor[];
}

const uniform = (shape: Shape, lo: number, hi: number) => (rng: Rng): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => rng.range(lo, hi)), { shape });
};
const normal = (shape: Shape) => uniform(shape, -1.5, 1.5);
const positive = (shape: Shape) => uniform(shape, 0.3, 2);
/** Away from the kink at 0 (relu, abs, sign): |x| ∈ [0.2, 1.5], random sign. */
const awayFromZero = (shape: Shape) => (rng: Rng): Tensor => {
  const t = uniform(shape, 0.2, 1.5)(rng);
  for (let i = 0; i < t.size; i++) if (rng.uniform() < 0.5) t.data[i] = -t.data[i]!;
  return t;
};
const probs = (shape: Shape) => uniform(shape, 0.1, 0.9);
/** Away from the clamp bounds ±0.5: |x| ∈ [0.05, 0.4] or [0.6, 1.5], random sign. */
const awayFromBounds = (shape: Shape) => (rng: Rng): Tensor => {
  const t = awayFromZero(shape)(rng);
  for (let i = 0; i < t.size; i++) {
    const m = rng.uniform() < 0.5 ? rng.range(0.05, 0.4) : rng.range(0.6, 1.5);
    t.data[i] = Math.sign(t.data[i]!) * m;
  }
  return t;
};
const inputs = (...samplers: ((rng: Rng) => Tensor)[]) => (rng: Rng): Tensor[] => samplers.map((s) => s(rng));

const cases: Case[] = [];
const add = (op: string, label: string, fn: (...xs: Tensor[]) => Tensor, sample: (rng: Rng) => Tensor[]): void => {
  cases.push({ op, label, fn, sample });
};

const binaryShapes: [Shape, Shape][] = [[[2, 3], [3]], [[2, 1], [1, 3]], [[2, 3], []]];
for (const name of ['add', 'sub', 'mul', 'maximum', 'minimum'] as const) {
  for (const [sa, sb] of binaryShapes) add(name, `${name} [${sa}]·[${sb}]`, (a, b) => (core[name] as (a: Tensor, b: Tensor) => Tensor)(a, b), inputs(normal(sa), normal(sb)));
}
for (const [sa, sb] of binaryShapes) add('div', `div [${sa}]/[${sb}]`, (a, b) => core.div(a, b), inputs(normal(sa), positive(sb)));
add('pow', 'pow a^b', (a, b) => core.pow(a, b), inputs(positive([2, 3]), normal([3])));
add('pow', 'pow x^3', (x) => core.pow(x, 3), inputs(normal([2, 3])));
for (const name of ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const) {
  add(name, name, (a, b) => (core[name] as (a: Tensor, b: Tensor) => Tensor)(a, b), inputs(normal([2, 3]), normal([3])));
}
for (const name of ['neg', 'exp', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'square'] as const) {
  add(name, name, (x) => (core[name] as (x: Tensor) => Tensor)(x), inputs(normal([2, 3])));
}
for (const name of ['log', 'log1p', 'sqrt'] as const) add(name, name, (x) => (core[name] as (x: Tensor) => Tensor)(x), inputs(positive([2, 3])));
for (const name of ['relu', 'abs', 'sign'] as const) add(name, name, (x) => (core[name] as (x: Tensor) => Tensor)(x), inputs(awayFromZero([2, 3])));
add('clamp', 'clamp [-0.5, 0.5]', (x) => core.clamp(x, -0.5, 0.5), inputs(awayFromBounds([2, 3])));
add('broadcastTo', 'broadcastTo [3]→[2,3]', (x) => core.broadcastTo(x, [2, 3]), inputs(normal([3])));
add('broadcastTo', 'broadcastTo [2,1]→[2,3]', (x) => core.broadcastTo(x, [2, 3]), inputs(normal([2, 1])));
add('reshape', 'reshape', (x) => core.reshape(x, [3, 2]), inputs(normal([2, 3])));
add('transpose', 'transpose', (x) => core.transpose(x, [2, 0, 1]), inputs(normal([2, 3, 2])));
add('squeeze', 'squeeze', (x) => core.squeeze(x, 1), inputs(normal([2, 1, 3])));
add('unsqueeze', 'unsqueeze', (x) => core.unsqueeze(x, 0), inputs(normal([2, 3])));
add('slice', 'slice', (x) => core.slice(x, 1, 1, 3), inputs(normal([2, 4])));
add('concat', 'concat', (a, b) => core.concat([a, b], 1), inputs(normal([2, 2]), normal([2, 3])));
add('stack', 'stack', (a, b) => core.stack([a, b], 1), inputs(normal([2, 3]), normal([2, 3])));
const cond = tensor([[1, 0, 1], [0, 0, 1]]);
add('where', 'where', (a, b) => core.where(cond, a, b), inputs(normal([2, 3]), normal([3])));
add('sum', 'sum all', (x) => core.sum(x), inputs(normal([2, 3])));
add('sum', 'sum axis 0', (x) => core.sum(x, 0), inputs(normal([2, 3])));
add('mean', 'mean axis 1 keepdims', (x) => core.mean(x, 1, true), inputs(normal([2, 3])));
add('max', 'max axis 1', (x) => core.max(x, 1), inputs(normal([2, 3])));
add('min', 'min all', (x) => core.min(x), inputs(normal([2, 3])));
add('logsumexp', 'logsumexp axis 1', (x) => core.logsumexp(x, 1), inputs(normal([2, 3])));
add('softmax', 'softmax', (x) => core.softmax(x, -1), inputs(normal([2, 3])));
add('logSoftmax', 'logSoftmax', (x) => core.logSoftmax(x, 0), inputs(normal([2, 3])));
add('matmul', 'matmul [2,3]·[3,4]', (a, b) => core.matmul(a, b), inputs(normal([2, 3]), normal([3, 4])));
add('matmul', 'matmul [3]·[3,2]', (a, b) => core.matmul(a, b), inputs(normal([3]), normal([3, 2])));
add('matmul', 'matmul batched [2,2,3]·[3,2]', (a, b) => core.matmul(a, b), inputs(normal([2, 2, 3]), normal([3, 2])));
const target01 = tensor([[1, 0, 1], [0, 1, 0]]);
const targetReal = tensor([[0.3, -0.2, 1], [0.5, 0, -1]]);
add('binaryCrossEntropy', 'binaryCrossEntropy', (p) => core.binaryCrossEntropy(p, target01), inputs(probs([2, 3])));
add('binaryCrossEntropyWithLogits', 'binaryCrossEntropyWithLogits', (z) => core.binaryCrossEntropyWithLogits(z, target01), inputs(normal([2, 3])));
add('mseLoss', 'mseLoss', (y) => core.mseLoss(y, targetReal), inputs(normal([2, 3])));
add('crossEntropy', 'crossEntropy', (z) => core.crossEntropy(z, [2, 0]), inputs(normal([2, 3])));

/** Whether the op's gradient is zero almost everywhere (then jvp and vjp are checked to be zero too). */
const isNondifferentiable = (op: string): boolean => ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sign'].includes(op);

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
    const eps = 1e-6;
    const at = (s: number): Tensor => core.noGrad(() => c.fn(...xs.map((x, k) => x.add(vs[k]!.mul(s * eps)))));
    const plus = at(1);
    const minus = at(-1);
    for (let i = 0; i < jv.size; i++) {
      const numeric = (plus.data[i]! - minus.data[i]!) / (2 * eps);
      expect(Math.abs(jv.data[i]! - numeric)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(numeric));
    }
    if (isNondifferentiable(c.op)) expect(Array.from(jv.data).every((v) => v === 0)).toBe(true);
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
