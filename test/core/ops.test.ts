import {
  backward, binaryCrossEntropy, binaryCrossEntropyWithLogits, broadcastShapes, clamp, concat, crossEntropy, enableGrad, gradcheck,
  logSoftmax, logsumexp, max, min, mseLoss, OPS, Rng, sigmoid, slice, softmax, squeeze, stack, tapeLength, tensor, unsqueeze, where,
  type Tensor,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import { isNondifferentiable, OP_SPECS, type OpCase, type OpSpec, type TensorFn } from './op-specs.ts';

/** A seed per case, so every case draws its own inputs and its own random upstream gradient. */
function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function inputsFor(spec: OpSpec, c: OpCase, rng: Rng): Tensor[] {
  return c.shapes.map((shape, arg) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const data = spec.sample ? spec.sample(rng, n, arg) : Array.from({ length: n }, () => rng.normal());
    return tensor(data, { shape });
  });
}

interface Row {
  readonly id: string;
  readonly spec: OpSpec;
  readonly c: OpCase;
}

const rows: Row[] = OP_SPECS.flatMap((spec) =>
  spec.cases.map((c) => ({ id: `${spec.name} ${c.label ?? c.shapes.map((s) => `[${s.join(',')}]`).join(' with ')}`, spec, c })),
);
const differentiable = rows.filter((r) => !isNondifferentiable(r.spec));
const nondifferentiable = rows.filter((r) => isNondifferentiable(r.spec));

describe('op specs', () => {
  test('every op registered in OPS has a spec, and every spec names a registered op', () => {
    const specified = new Set(OP_SPECS.map((s) => s.name));
    expect(Object.keys(OPS).filter((name) => !specified.has(name))).toEqual([]);
    expect([...specified].filter((name) => !(name in OPS))).toEqual([]);
    expect(OP_SPECS.length).toBe(specified.size);
  });

  test.each(differentiable)('$id matches finite differences', ({ id, spec, c }) => {
    const rng = new Rng(seedOf(id));
    const fn = c.fn ?? spec.fn;
    const report = gradcheck(fn, inputsFor(spec, c, rng), { seed: seedOf(`${id}/dy`), name: id, atol: spec.tolerance?.atol, rtol: spec.tolerance?.rtol });
    expect(report.checked).toBeGreaterThan(0);
    expect(report.ok, report.message).toBe(true);
  });

  test.each(differentiable)('$id: raw and differentiable backward rules agree', ({ id, spec, c }) => {
    const rng = new Rng(seedOf(id));
    const fn = c.fn ?? spec.fn;
    const data = inputsFor(spec, c, rng);
    const gradsWith = (createGraph: boolean): number[][] => {
      const xs = data.map((x) => tensor(x.data, { shape: x.shape, requiresGrad: true }));
      const y = fn(...xs);
      backward(y, tensor(Array.from({ length: y.size }, (_, i) => Math.cos(i + 1)), { shape: y.shape }), { createGraph });
      return xs.map((x) => Array.from(x.grad?.data ?? []));
    };
    const raw = gradsWith(false);
    const recorded = gradsWith(true);
    raw.forEach((g, k) => g.forEach((v, j) => expect(recorded[k]![j]!).toBeCloseTo(v, 12)));
  });

  test.each(nondifferentiable)('$id: forward values (no gradient, nothing recorded)', ({ id, spec, c }) => {
    const xs = inputsFor(spec, c, new Rng(seedOf(id))).map((x) => tensor(x.data, { shape: x.shape, requiresGrad: true }));
    const before = tapeLength();
    const y = (c.fn ?? spec.fn)(...xs);
    expect(tapeLength()).toBe(before);
    expect(y.requiresGrad).toBe(false);
    const expectedOf = c.expected ?? spec.expected;
    if (expectedOf !== undefined) {
      const e = expectedOf(...xs.map((x) => x.detach()));
      expect(y.shape).toEqual(e.shape);
      expect(Array.from(y.data)).toEqual(e.data);
      return;
    }
    const shape = xs.map((x) => x.shape).reduce((a, b) => broadcastShapes(a, b));
    expect(y.shape).toEqual(shape);
    const spread = xs.map((x) => x.detach().broadcastTo(shape).data);
    const expected = Array.from({ length: y.size }, (_, i) => spec.reference!(...spread.map((d) => d[i]!)));
    expect(Array.from(y.data)).toEqual(expected);
  });
});

/** ∂⟨u, f(x)⟩/∂x as a differentiable function of x (createGraph), to gradcheck the gradient itself. */
function gradientOf(f: TensorFn): TensorFn {
  return (...xs) =>
    enableGrad(() => {
      const leaves = xs.map((x) => (x.requiresGrad ? x : tensor(x.data, { shape: x.shape, requiresGrad: true })));
      const y = f(...leaves);
      const u = tensor(Array.from({ length: y.size }, (_, i) => Math.sin(i + 0.5)), { shape: y.shape });
      backward(y, u, { createGraph: true });
      const g = leaves[0]!.grad!;
      for (const x of leaves) x.grad = null;
      return g;
    });
}

describe('second-order gradients (rules written with public ops)', () => {
  const x = tensor([[0.3, -1.2, 0.8, 0.1], [1.5, 0.4, -0.7, -0.2], [0.9, -0.4, 0.25, 1.1]]);
  const p = tensor([[0.3, 0.8, 0.6, 0.1], [0.5, 0.45, 0.2, 0.7], [0.9, 0.35, 0.25, 0.6]]);
  const t = tensor([[0, 1, 1, 0], [1, 0, 0.5, 1], [0, 0, 1, 1]]);
  const cases: [string, TensorFn, Tensor][] = [
    ['softmax', (a) => softmax(a!).mul(a!), x],
    ['logSoftmax', (a) => logSoftmax(a!, 0).square(), x],
    ['logsumexp', (a) => logsumexp(a!, 1).square(), x],
    ['max', (a) => max(a!, 0).square(), x],
    ['min', (a) => min(a!, 1, true).mul(a!), x],
    ['slice', (a) => slice(a!, 1, 1, 3).square(), x],
    ['concat', (a) => concat([a!, a!.square()], 0).sin(), x],
    ['stack', (a) => stack([a!, a!.exp()], 1).square(), x],
    ['squeeze, unsqueeze', (a) => squeeze(unsqueeze(a!, 1)).tanh(), x],
    ['where', (a) => where(tensor([1, 0, 0, 1]), a!.square(), a!.exp()), x],
    ['clamp', (a) => clamp(a!, -0.5, 0.5).mul(a!), x],
    ['crossEntropy', (a) => crossEntropy(a!, [1, 0, 3]), x],
    ['binaryCrossEntropy', (a) => binaryCrossEntropy(a!, t), p],
    ['binaryCrossEntropyWithLogits', (a) => binaryCrossEntropyWithLogits(a!, t), x],
    ['mseLoss', (a) => mseLoss(a!.sin(), t), x],
  ];
  test.each(cases)('%s', (name, f, at) => {
    const report = gradcheck(gradientOf(f), [at], { name: `grad of ${name}`, seed: 11 });
    expect(report.ok, report.message).toBe(true);
  });
});

describe('forward values', () => {
  const x = tensor([[1, 5, 5], [7, 2, -3]]);

  test('max and min reduce with axis and keepdims; ties share the gradient evenly', () => {
    expect(max(x).item()).toBe(7);
    expect(max(x, 1).toArray()).toEqual([5, 7]);
    expect(min(x, 0, true).toArray()).toEqual([[1, 2, -3]]);
    expect(x.max(-1, true).shape).toEqual([2, 1]);
    const w = tensor([[1, 5, 5], [7, 7, 7]], { requiresGrad: true });
    w.max(1).sum().backward();
    expect(w.grad!.toArray()).toEqual([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]);
    const v = tensor([2, 2], { requiresGrad: true });
    v.min().backward();
    expect(v.grad!.toArray()).toEqual([0.5, 0.5]);
  });

  test('logsumexp, softmax and logSoftmax are finite for logits of 1000', () => {
    expect(logsumexp(tensor([1000, 1000])).item()).toBe(1000 + Math.log(2));
    expect(logsumexp(tensor([[-1000, -1000]]), 1).toArray()).toEqual([-1000 + Math.log(2)]);
    expect(logsumexp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(softmax(tensor([1000, 1000, -1000])).toArray()).toEqual([0.5, 0.5, 0]);
    expect(logSoftmax(tensor([1000, 0])).toArray()).toEqual([0, -1000]);
    const s = softmax(tensor([[1, 2, 3], [4, 5, 6]]), 0);
    s.sum(0).data.forEach((v) => expect(v).toBeCloseTo(1, 15));
    const l = tensor([0.5, 1000, -3], { requiresGrad: true });
    l.logSoftmax().sum().backward();
    expect(Array.from(l.grad!.data).every(Number.isFinite)).toBe(true);
  });

  test('squeeze, unsqueeze, slice, concat, stack', () => {
    expect(squeeze(tensor([[[1], [2]]])).shape).toEqual([2]);
    expect(squeeze(tensor([[[1], [2]]]), 0).shape).toEqual([2, 1]);
    expect(unsqueeze(tensor([1, 2]), 1).toArray()).toEqual([[1], [2]]);
    expect(unsqueeze(tensor(3), -1).toArray()).toEqual([3]);
    expect(x.slice(1, 1).toArray()).toEqual([[5, 5], [2, -3]]);
    expect(slice(x, 0, -1).toArray()).toEqual([[7, 2, -3]]);
    expect(slice(x, 1, 2, 1).shape).toEqual([2, 0]);
    expect(slice(x, -1, -100, 100).toArray()).toEqual(x.toArray());
    expect(concat([x, tensor([[0], [9]])], -1).toArray()).toEqual([[1, 5, 5, 0], [7, 2, -3, 9]]);
    expect(concat([tensor([1]), tensor([]), tensor([2, 3])]).toArray()).toEqual([1, 2, 3]);
    expect(stack([tensor([1, 2]), tensor([3, 4])]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], -1).toArray()).toEqual([[1, 3], [2, 4]]);
  });

  test('where selects by any nonzero condition and broadcasts', () => {
    expect(where(tensor([1, 0, -2, NaN]), tensor([1, 2, 3, 4]), 0).toArray()).toEqual([1, 0, 3, 4]);
    expect(where(tensor([[1], [0]]), tensor([1, 2]), tensor(9)).toArray()).toEqual([[1, 2], [9, 9]]);
  });

  test('where sends exactly 0 to the untaken branch, even where the upstream gradient is ∞ or NaN', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5, 6], { requiresGrad: true });
    const y = where(tensor([1, 0, 1]), a, b);
    backward(y, tensor([Infinity, 2, NaN]));
    expect(a.grad!.toArray()).toEqual([Infinity, 0, NaN]);
    expect(b.grad!.toArray()).toEqual([0, 2, 0]);
    // The usual guard: where(x > 0, log(x), 0) is finite and its gradient at x ≤ 0 is 0 when log sees safe values.
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    const positive = x.clamp(1e-300).log();
    where(tensor([0, 0, 1]), positive, 0).sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 0.5]);
  });

  test('clamp: gradient 1 inside and at the bounds, 0 outside', () => {
    const x = tensor([-2, -1, 0.5, 1, 3], { requiresGrad: true });
    const y = clamp(x, -1, 1);
    expect(y.toArray()).toEqual([-1, -1, 0.5, 1, 1]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 1, 1, 1, 0]);
    expect(clamp(tensor([NaN, 5]), 0).toArray()).toEqual([NaN, 5]);
  });

  test('binaryCrossEntropy clamps its logs at −100 (as PyTorch) and reduces by mean, sum or none', () => {
    const p = tensor([0, 1, 0.5, 1, 0]);
    const t = tensor([0, 1, 1, 0, 1]);
    expect(binaryCrossEntropy(p, t, { reduction: 'none' }).toArray()).toEqual([0, 0, Math.LN2, 100, 100]);
    expect(binaryCrossEntropy(p, t, { reduction: 'sum' }).item()).toBeCloseTo(200 + Math.LN2, 12);
    expect(binaryCrossEntropy(p, t).item()).toBeCloseTo((200 + Math.LN2) / 5, 12);
  });

  test('binaryCrossEntropy records the generic rule −t/ŷ + (1 − t)/(1 − ŷ)', () => {
    const p = tensor([0.2, 0.9], { requiresGrad: true });
    const loss = binaryCrossEntropy(p, tensor([1, 0]), { reduction: 'none' });
    expect(loss.node!.op.name).toBe('binaryCrossEntropy');
    expect(loss.node!.op.rule).toContain('−t/ŷ + (1 − t)/(1 − ŷ)');
    loss.sum().backward();
    expect(p.grad!.data[0]).toBeCloseTo(-1 / 0.2, 14);
    expect(p.grad!.data[1]).toBeCloseTo(1 / 0.1, 12);
  });

  test('binaryCrossEntropyWithLogits is finite at ±1000 with gradient exactly σ(z) − t', () => {
    const z = tensor([1000, -1000, 1000, -1000, 0.3, -2], { requiresGrad: true });
    const t = tensor([1, 0, 0, 1, 0.25, 1]);
    const loss = binaryCrossEntropyWithLogits(z, t, { reduction: 'none' });
    expect(loss.toArray()).toEqual([0, 0, 1000, 1000, expect.closeTo(Math.log1p(Math.exp(0.3)) - 0.3 * 0.25, 14), expect.closeTo(Math.log1p(Math.exp(2)), 14)]);
    loss.sum().backward();
    expect(Array.from(z.grad!.data)).toEqual(Array.from(sigmoid(z.detach()).sub(t).data));
    const m = tensor([1000, -1000, 0.5, -0.5], { requiresGrad: true });
    const tm = tensor([0, 1, 1, 0]);
    binaryCrossEntropyWithLogits(m, tm).backward();
    expect(Array.from(m.grad!.data)).toEqual(Array.from(sigmoid(m.detach()).sub(tm).div(4).data));
  });

  test('mseLoss', () => {
    expect(mseLoss(tensor([1, 2, 3]), tensor([1, 4, 0])).item()).toBeCloseTo(13 / 3, 14);
    expect(mseLoss(tensor([1, 2, 3]), tensor([1, 4, 0]), { reduction: 'none' }).toArray()).toEqual([0, 4, 9]);
  });

  test('crossEntropy: labels as numbers or tensors of any dtype; gradient (softmax − onehot)/m', () => {
    const logits = [[2, 1, 0.1], [0.5, 2.5, 0.3], [1000, 0, -1000], [0, 0, 0]];
    const labels = [0, 1, 2, 1];
    const z = tensor(logits, { requiresGrad: true });
    const loss = crossEntropy(z, labels);
    const rows = logits.map((r, i) => Math.log(r.reduce((s, v) => s + Math.exp(v - Math.max(...r)), 0)) + Math.max(...r) - r[labels[i]!]!);
    expect(loss.item()).toBeCloseTo(rows.reduce((a, b) => a + b) / 4, 12);
    expect(crossEntropy(z.detach(), tensor(labels, { dtype: 'float32' }), { reduction: 'none' }).toArray()).toEqual(rows.map((r) => expect.closeTo(r, 12)));
    loss.backward();
    const expected = softmax(z.detach()).toArray() as number[][];
    expected.forEach((row, i) => row.forEach((v, j) => expect(z.grad!.data[i * 3 + j]).toBeCloseTo((v - (j === labels[i] ? 1 : 0)) / 4, 15)));
  });
});
