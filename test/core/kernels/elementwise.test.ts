import {
  add, backward, binaryCrossEntropyWithLogits, broadcastShapes, broadcastTo, div, exp, log, matmul, mean, mul, neg, relu, Rng, sigmoid, sub, sum, tanh, tensor,
  type BinaryFn, type Tensor, type UnaryFn,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import {
  addLoop, broadcastLoop, divLoop, gradPlan, mulLoop, planBinary, subLoop, sumBackLoop, type BroadcastPlan,
} from '../../../packages/core/src/kernels/elementwise.ts';
import type { FloatArray } from '../../../packages/core/src/base/dtype.ts';
import { sigmoidScalarF32 } from '../../../packages/core/src/kernels/sigmoid.ts';
import { broadcastIndex, sizeOf } from '../../../packages/core/src/base/shape.ts';

type Shape = readonly number[];
type Ctor = typeof Float64Array | typeof Float32Array;
const DTYPES = [
  { dtype: 'float64', ctor: Float64Array },
  { dtype: 'float32', ctor: Float32Array },
] as const;

/** Pairs that broadcast: equal, scalar, row, column, outer product, leading axes, size-1 and size-0 axes. */
const PAIRS: [Shape, Shape][] = [
  [[2, 3], [2, 3]], [[2, 3], []], [[], [2, 3]], [[2, 3], [3]], [[3], [2, 3]], [[2, 3], [2, 1]], [[2, 1], [2, 3]],
  [[2, 1], [1, 3]], [[1, 3], [2, 1]], [[4, 2, 3], [3]], [[4, 2, 3], [2, 3]], [[4, 2, 3], [4, 1, 1]], [[4, 1, 3], [2, 1]],
  [[1, 1], [1]], [[5], [1]], [[2, 0], [2, 1]], [[2, 3, 1, 4], [3, 1, 1]], [[512, 64], [64]], [[512, 1], []],
];

function values(ctor: Ctor, n: number, rng: Rng, positive = false): FloatArray {
  const out = new ctor(n);
  for (let i = 0; i < n; i++) out[i] = positive ? 0.5 + rng.uniform() : rng.normal();
  return out;
}

/** The element of an operand each output element reads, from the plan. */
function planIndex(p: BroadcastPlan, n: number, side: 'a' | 'b'): number[] {
  const idx: number[] = [];
  for (let o = 0; o < p.outer; o++) {
    for (let j = 0; j < p.inner; j++) idx.push(side === 'a' ? o * p.aOuter + j * p.aInner : o * p.bOuter + j * p.bInner);
  }
  return idx.slice(0, n);
}

describe('planBinary', () => {
  test.each(PAIRS)('%j with %j reads what broadcastIndex reads', (a, b) => {
    const shape = broadcastShapes(a, b);
    const p = planBinary(shape, a, b);
    const n = sizeOf(shape);
    if (p === null) {
      // Only patterns needing three loops fall back to index maps.
      expect([[[4, 1, 3], [2, 1]], [[2, 3, 1, 4], [3, 1, 1]]]).toContainEqual([a, b]);
      return;
    }
    expect(p.outer * p.inner).toBe(n);
    expect(planIndex(p, n, 'a')).toEqual(Array.from(broadcastIndex(shape, a)));
    expect(planIndex(p, n, 'b')).toEqual(Array.from(broadcastIndex(shape, b)));
  });

  test('a pattern that needs three loops has no plan', () => {
    expect(planBinary([4, 2, 3], [4, 1, 3], [2, 1])).toBeNull();
    expect(planBinary([2, 3, 4], [2, 3, 4], [3, 1])).toBeNull();
  });
});

describe.each(DTYPES)('binary loops, $dtype', ({ ctor }) => {
  const loops = [
    { name: 'add', loop: addLoop, f: (x: number, y: number) => x + y },
    { name: 'sub', loop: subLoop, f: (x: number, y: number) => x - y },
    { name: 'mul', loop: mulLoop, f: (x: number, y: number) => x * y },
    { name: 'div', loop: divLoop, f: (x: number, y: number) => x / y },
  ];
  test.each(PAIRS.filter(([a, b]) => planBinary(broadcastShapes(a, b), a, b) !== null))('%j with %j', (aShape, bShape) => {
    const rng = new Rng(3);
    const shape = broadcastShapes(aShape, bShape);
    const n = sizeOf(shape);
    const a = values(ctor, sizeOf(aShape), rng);
    const b = values(ctor, sizeOf(bShape), rng, true);
    const ia = broadcastIndex(shape, aShape);
    const ib = broadcastIndex(shape, bShape);
    const p = planBinary(shape, aShape, bShape)!;
    for (const { loop, f } of loops) {
      const out = new ctor(n);
      loop(a, b, out, p);
      // One rounding of the exact result: float32 arithmetic done in float64 and stored is exact.
      const expected = new ctor(n);
      for (let i = 0; i < n; i++) expected[i] = f(a[ia[i]!]!, b[ib[i]!]!);
      expect(out).toEqual(expected);
    }
  });

  test('guarded mul and div give 0 where the gradient is 0, even against ∞', () => {
    const p = planBinary([4], [4], [4])!;
    const dy = ctor.of(0, 1, 0, -2);
    const b = ctor.of(Infinity, 2, 0, 4);
    const out = new ctor(4);
    mulLoop(dy, b, out, p, true);
    expect(Array.from(out)).toEqual([0, 2, 0, -8]);
    divLoop(dy, b, out, p, true);
    expect(Array.from(out)).toEqual([0, 0.5, 0, -0.5]);
  });

  test.each(PAIRS.filter(([a, b]) => planBinary(broadcastShapes(a, b), a, b) !== null))(
    'broadcastLoop and sumBackLoop of %j against %j match index maps',
    (aShape, bShape) => {
      const rng = new Rng(5);
      const shape = broadcastShapes(aShape, bShape);
      const n = sizeOf(shape);
      const p = planBinary(shape, aShape, bShape)!;
      const x = values(ctor, sizeOf(aShape), rng);
      const idx = broadcastIndex(shape, aShape);
      const spread = new ctor(n);
      broadcastLoop(x, spread, p);
      expect(Array.from(spread)).toEqual(Array.from(idx, (i) => x[i]!));
      const g = values(ctor, n, rng);
      const acc = new Float64Array(x.length);
      sumBackLoop(g, acc, p);
      const expected = new Float64Array(x.length);
      for (let i = 0; i < n; i++) expected[idx[i]!] = expected[idx[i]!]! + g[i]!;
      acc.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
      // The b side, read as a gradient plan, walks the upstream gradient in order.
      const q = gradPlan(p, 'a');
      expect(planIndex(q, n, 'a')).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(planIndex(q, n, 'b')).toEqual(Array.from(idx));
    },
  );
});

/** Gradients of every input with the raw rules (createGraph off) and the differentiable ones. */
function bothGrads(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): [number[][], number[][]] {
  const run = (createGraph: boolean): number[][] => {
    const xs = inputs.map((x) => tensor(x.data, { shape: x.shape, dtype: x.dtype, requiresGrad: true }));
    const y = fn(...xs);
    const seed = tensor(Array.from({ length: y.size }, (_, i) => Math.cos(i + 1)), { shape: y.shape, dtype: y.dtype });
    backward(y, seed, { createGraph });
    return xs.map((x) => Array.from(x.grad!.data));
  };
  return [run(false), run(true)];
}

describe.each(DTYPES)('op kernels against their number forms and differentiable rules, $dtype', ({ dtype }) => {
  const digits = dtype === 'float64' ? 12 : 5;
  const unary: [string, UnaryFn, boolean][] = [
    ['sigmoid', sigmoid, false], ['log', log, true], ['neg', neg, false], ['exp', exp, false], ['tanh', tanh, false], ['relu', relu, false],
  ];
  test.each(unary)('%s', (_name, f, isPositive) => {
    const rng = new Rng(11);
    const data = Array.from({ length: 24 }, () => (isPositive ? 0.1 + 3 * rng.uniform() : 4 * rng.normal()));
    const x = tensor(data, { shape: [4, 6], dtype });
    const y = f(x);
    expect(y.dtype).toBe(dtype);
    const ctor = dtype === 'float32' ? Float32Array : Float64Array;
    // float32 sigmoid runs in float32 arithmetic (kernels/sigmoid.ts), not as the rounded float64 forward.
    const forward = dtype === 'float32' && f === sigmoid ? sigmoidScalarF32 : (v: number) => f.op.forward(v, 0);
    expect(y.data).toEqual(ctor.from(x.data, forward));
    const [raw, recorded] = bothGrads((t) => f(t), [x]);
    raw[0]!.forEach((v, i) => expect(recorded[0]![i]!).toBeCloseTo(v, digits));
  });

  test('sigmoid saturates without overflow and log/exp keep a zero gradient at 0 and ∞', () => {
    expect(Array.from(sigmoid(tensor([-1000, 0, 1000], { dtype })).data)).toEqual([0, 0.5, 1]);
    const x = tensor([0, 1], { dtype, requiresGrad: true });
    backward(log(x), tensor([0, 1], { dtype }));
    expect(Array.from(x.grad!.data)).toEqual([0, 1]);
    const z = tensor([1000, 0], { dtype, requiresGrad: true });
    backward(exp(z), tensor([0, 1], { dtype }));
    expect(Array.from(z.grad!.data)).toEqual([0, 1]);
  });

  const binary: [string, BinaryFn][] = [['add', add], ['sub', sub], ['mul', mul], ['div', div]];
  test.each(binary.flatMap(([name, f]) => PAIRS.filter(([a, b]) => sizeOf(a) > 0 && sizeOf(b) > 0).map(([a, b]) => [name, f, a, b] as const)))(
    '%s %j with %j: forward and raw gradients',
    (_name, f, aShape, bShape) => {
      const rng = new Rng(13);
      const a = tensor(Array.from({ length: sizeOf(aShape) }, () => rng.normal()), { shape: aShape, dtype });
      const b = tensor(Array.from({ length: sizeOf(bShape) }, () => 0.5 + rng.uniform()), { shape: bShape, dtype });
      const y = f(a, b);
      const shape = broadcastShapes(aShape, bShape);
      const [sa, sb] = [a.broadcastTo(shape).data, b.broadcastTo(shape).data];
      const ctor = dtype === 'float32' ? Float32Array : Float64Array;
      expect(y.data).toEqual(ctor.from(sa, (v, i) => f.op.forward(v, sb[i]!)));
      const [raw, recorded] = bothGrads((p, q) => f(p!, q!), [a, b]);
      raw.forEach((g, k) => g.forEach((v, i) => expect(recorded[k]![i]!).toBeCloseTo(v, digits)));
    },
  );

  test.each(['mean', 'sum', 'none'] as const)('binaryCrossEntropyWithLogits, reduction %s: forward and raw gradients of z and t', (reduction) => {
    const rng = new Rng(19);
    const z = tensor(Array.from({ length: 12 }, () => 6 * rng.normal()).concat([40, -40, 0, 1000]), { shape: [4, 4], dtype });
    const t = tensor(Array.from({ length: 16 }, () => rng.uniform()), { shape: [4, 4], dtype });
    const loss = binaryCrossEntropyWithLogits(z, t, { reduction: 'none' });
    const ctor = dtype === 'float32' ? Float32Array : Float64Array;
    const f = (v: number, w: number): number => (v > 0 ? v : 0) - v * w + Math.log1p(Math.exp(-Math.abs(v)));
    expect(loss.data).toEqual(ctor.from(z.data, (v, i) => f(v, t.data[i]!)));
    const [raw, recorded] = bothGrads((p, q) => binaryCrossEntropyWithLogits(p!, q!, { reduction }), [z, t]);
    raw.forEach((g, k) => g.forEach((v, i) => expect(recorded[k]![i]!).toBeCloseTo(v, digits)));
  });

  test.each([[false, false], [false, true], [true, false], [true, true]])('matmul transposeA %s transposeB %s: raw gemm backward, Wasm-sized', (ta, tb) => {
    const rng = new Rng(23);
    const [m, n, k] = [40, 24, 30];
    const a = tensor(Array.from({ length: m * k }, () => rng.normal()), { shape: ta ? [k, m] : [m, k], dtype });
    const b = tensor(Array.from({ length: k * n }, () => rng.normal()), { shape: tb ? [n, k] : [k, n], dtype });
    const [raw, recorded] = bothGrads((p, q) => matmul(p!, q!, { transposeA: ta, transposeB: tb }), [a, b]);
    raw.forEach((g, i) => g.forEach((v, j) => expect(recorded[i]![j]!).toBeCloseTo(v, digits - 2)));
  });

  test.each([[[512, 64], [0]], [[4, 2, 3], [0, 1]], [[4, 2, 3], [2]], [[4, 2, 3], [1]], [[4, 2, 3], [0, 2]], [[6], [0]]] as const)(
    'sum and mean of %j over %j: raw gradient, broadcastTo',
    (shape, axes) => {
      const rng = new Rng(17);
      const x = tensor(Array.from({ length: sizeOf(shape) }, () => rng.normal()), { shape, dtype });
      for (const f of [sum, mean]) {
        const [raw, recorded] = bothGrads((t) => f(t!, axes), [x]);
        raw[0]!.forEach((v, i) => expect(recorded[0]![i]!).toBeCloseTo(v, digits));
      }
      const s = sum(x, axes, true);
      const spread = broadcastTo(s, shape);
      const idx = broadcastIndex(shape, s.shape);
      expect(Array.from(spread.data)).toEqual(Array.from(idx, (i) => s.data[i]!));
    },
  );
});
