/**
 * Property tests (fast-check, fixed seed 42, rank ≤ 3, dims ≤ 4): broadcast shape laws, the engine's
 * `sumToShape` undoing broadcasting, gradcheck on random compositions of ops, and `Value` against 0-d
 * `Tensor` on every scalar op.
 */
import { fc, test } from '@fast-check/vitest';
import {
  add, broadcastShapes, broadcastTo, cos, div, ELEMENTWISE, gradcheck, logsumexp, mean, mul, neg, OPS, Rng, ShapeError,
  sigmoid, sin, softmax, softplus, square, sub, sum, tanh, tensor, transpose, Value, value, type Shape, type Tensor,
} from '@tapegrad/core';
import { describe, expect } from 'vitest';
import { OP_SPECS } from './op-specs.ts';

fc.configureGlobal({ seed: 42, numRuns: 60 });

const dim = fc.integer({ min: 1, max: 4 });
const shapeArb = fc.array(dim, { maxLength: 3 });

/** A shape that broadcasts to `s`: some leading axes dropped, some of the rest set to 1. */
const towards = (s: Shape): fc.Arbitrary<number[]> =>
  fc.tuple(fc.integer({ min: 0, max: s.length }), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }))
    .map(([drop, ones]) => s.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

/** Two (or three) shapes that broadcast together, with the shape they were cut from. */
const compatible = shapeArb.chain((s) => fc.tuple(fc.constant(s), towards(s), towards(s), towards(s)));

const sizeOf = (s: Shape): number => s.reduce((p, d) => p * d, 1);
const data = (n: number, seed: number): number[] => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.normal());
};

describe('broadcast shape laws', () => {
  test.prop([compatible])('commutative, idempotent, with [] as identity', ([, a, b]) => {
    expect(broadcastShapes(a, b)).toEqual(broadcastShapes(b, a));
    expect(broadcastShapes(a, a)).toEqual(a);
    expect(broadcastShapes(a, [])).toEqual(a);
  });

  test.prop([compatible])('associative', ([, a, b, c]) => {
    expect(broadcastShapes(broadcastShapes(a, b), c)).toEqual(broadcastShapes(a, broadcastShapes(b, c)));
  });

  test.prop([compatible])('rank is the larger rank, each dimension the larger aligned one, and it fits inside the source', ([s, a, b]) => {
    const out = broadcastShapes(a, b);
    expect(out.length).toBe(Math.max(a.length, b.length));
    out.forEach((d, i) => {
      const da = a[a.length - out.length + i] ?? 1;
      const db = b[b.length - out.length + i] ?? 1;
      expect(d).toBe(Math.max(da, db));
      expect([1, s[s.length - out.length + i]]).toContain(d);
    });
  });

  test.prop([shapeArb.filter((s) => s.some((d) => d > 1)), fc.nat()])('dimensions that differ and are not 1 do not broadcast', (s, k) => {
    const i = s.map((d, j) => (d > 1 ? j : -1)).filter((j) => j >= 0)[k % s.filter((d) => d > 1).length]!;
    const other = s.map((d, j) => (j === i ? d + 1 : d));
    expect(() => broadcastShapes(s, other)).toThrow(ShapeError);
  });

  test.prop([compatible, fc.nat()])('broadcastTo repeats elements along the broadcast axes', ([s, a], seed) => {
    const x = tensor(data(sizeOf(a), seed), { shape: a });
    const y = broadcastTo(x, s);
    expect(y.shape).toEqual(s);
    // Reference: the element at an output index is x's element at that index with broadcast axes set to 0.
    for (let i = 0; i < y.size; i++) {
      let rest = i;
      let offset = 0;
      let stride = 1;
      for (let d = s.length - 1; d >= 0; d--) {
        const coord = rest % s[d]!;
        rest = Math.floor(rest / s[d]!);
        const ad = d - (s.length - a.length);
        if (ad >= 0) {
          if (a[ad]! > 1) offset += coord * stride;
          stride *= a[ad]!;
        }
      }
      expect(y.data[i]).toBe(x.data[offset]);
    }
  });
});

describe('sumToShape undoes broadcasting (the engine reduces every broadcast gradient with it)', () => {
  test.prop([compatible, fc.nat()])('the gradient of broadcastTo(x, s) under upstream u sums u over the copies', ([s, a], seed) => {
    const x = tensor(data(sizeOf(a), seed), { shape: a, requiresGrad: true });
    const u = tensor(data(sizeOf(s), seed + 1), { shape: s });
    broadcastTo(x, s).backward(u);
    // ⟨u, broadcast(v)⟩ = ⟨sumToShape(u), v⟩ for every v: check with v = each unit vector through a dense reference.
    const expected = new Array<number>(x.size).fill(0);
    for (let j = 0; j < x.size; j++) {
      const e = tensor(Array.from({ length: x.size }, (_, k) => Number(k === j)), { shape: a });
      const spread = broadcastTo(e, s).data;
      for (let i = 0; i < spread.length; i++) expected[j]! += spread[i]! * u.data[i]!;
    }
    expect(x.grad!.shape).toEqual(a);
    Array.from(x.grad!.data).forEach((g, j) => expect(g).toBeCloseTo(expected[j]!, 12));
  });

  test.prop([compatible, fc.nat()])('summing a broadcast tensor back gives the tensor times the number of copies', ([s, a], seed) => {
    const x = tensor(data(sizeOf(a), seed), { shape: a, requiresGrad: true });
    const copies = sizeOf(s) / sizeOf(a);
    broadcastTo(x, s).backward(broadcastTo(x.detach(), s));
    Array.from(x.grad!.data).forEach((g, j) => expect(g).toBeCloseTo(x.data[j]! * copies, 12));
  });

  test.prop([compatible, fc.nat()])('binary ops: gradients come back in each input’s own shape', ([, a, b], seed) => {
    const x = tensor(data(sizeOf(a), seed), { shape: a, requiresGrad: true });
    const y = tensor(data(sizeOf(b), seed + 1), { shape: b, requiresGrad: true });
    const report = gradcheck((p, q) => mul(p!, q!).add(q!), [x, y], { seed });
    expect(report.ok, report.message).toBe(true);
  });
});

type Unary = [string, (t: Tensor) => Tensor];
const UNARY: Unary[] = [
  ['sin', (t) => sin(t)], ['cos', (t) => cos(t)], ['tanh', (t) => tanh(t)], ['sigmoid', (t) => sigmoid(t)], ['softplus', (t) => softplus(t)],
  ['neg', (t) => neg(t)], ['square∘tanh', (t) => square(tanh(t))], ['exp∘sin', (t) => sin(t).exp()], ['log∘(1 + x²)', (t) => square(t).add(1).log()],
];
type Binary = [string, (t: Tensor, y: Tensor) => Tensor];
const BINARY: Binary[] = [
  ['add', (t, y) => add(t, y)], ['sub', (t, y) => sub(y, t)], ['mul', (t, y) => mul(t, y)], ['div by 1 + y²', (t, y) => div(t, square(y).add(1))],
];
type Final = [string, (t: Tensor) => Tensor];
const FINAL: Final[] = [
  ['sum', (t) => sum(t)], ['mean over the last axis', (t) => mean(t, -1)], ['logsumexp over axis 0', (t) => logsumexp(t, 0, true)],
  ['softmax', (t) => softmax(t)], ['transpose', (t) => transpose(t)], ['identity', (t) => t],
];

/** A random program: x through unary ops and binary ops with y (broadcast to x), then a reduction or reshaping. */
const program = fc.record({
  shapes: shapeArb.filter((s) => s.length > 0).chain((s) => fc.tuple(fc.constant(s), towards(s))),
  steps: fc.array(fc.oneof(fc.constantFrom(...UNARY).map((u) => ({ kind: 'unary' as const, u })), fc.constantFrom(...BINARY).map((b) => ({ kind: 'binary' as const, b }))), { minLength: 1, maxLength: 5 }),
  final: fc.constantFrom(...FINAL),
  seed: fc.nat(),
});

describe('gradcheck on random compositions of ops', () => {
  test.prop([program], { numRuns: 80 })('matches finite differences', ({ shapes: [sx, sy], steps, final, seed }) => {
    const f = (x: Tensor, y: Tensor): Tensor => {
      let t = x;
      for (const s of steps) t = s.kind === 'unary' ? s.u[1](t) : s.b[1](t, y);
      return final[1](t);
    };
    const name = `${steps.map((s) => (s.kind === 'unary' ? s.u[0] : s.b[0])).join(' → ')} → ${final[0]}`;
    const x = tensor(data(sizeOf(sx), seed), { shape: sx });
    const y = tensor(data(sizeOf(sy), seed + 7), { shape: sy });
    const report = gradcheck((a, b) => f(a!, b!), [x, y], { seed, name });
    expect(report.ok, report.message).toBe(true);
  });
});

describe('Value and 0-d Tensor agree on every scalar op', () => {
  const specOf = (name: string) => OP_SPECS.find((s) => s.name === name)!;

  test('every elementwise op has a sampler spec', () => {
    expect(ELEMENTWISE.filter((op) => !OP_SPECS.some((s) => s.name === op.name)).map((op) => op.name)).toEqual([]);
  });

  test.prop([fc.constantFrom(...ELEMENTWISE), fc.nat()], { numRuns: 300 })('value and gradient', (op, seed) => {
    const spec = specOf(op.name);
    const rng = new Rng(seed);
    const xs = Array.from({ length: op.arity }, (_, arg) => (spec.sample ? spec.sample(rng, 1, arg)[0]! : rng.normal()));
    const f = OPS[op.name] as (...args: unknown[]) => unknown;
    const vs = xs.map((x) => value(x));
    const ts = xs.map((x) => tensor(x, { requiresGrad: true }));
    const vy = f(...vs) as Value;
    const ty = f(...ts) as Tensor;
    expect(ty.shape).toEqual([]);
    expect(ty.item()).toBe(vy.data);
    if (op.isNondifferentiable) {
      expect(ty.requiresGrad).toBe(false);
      return;
    }
    vy.backward();
    ty.backward();
    vs.forEach((v, k) => expect(ts[k]!.grad!.item(), `${op.name} d/dx${k} at ${xs.join(', ')}`).toBeCloseTo(v.grad, 12));
  });

  test.prop([fc.constantFrom(...ELEMENTWISE.filter((op) => op.arity === 2 && !op.isNondifferentiable)), fc.nat()])('with a number on one side', (op, seed) => {
    const spec = specOf(op.name);
    const rng = new Rng(seed);
    const [a, b] = [0, 1].map((arg) => (spec.sample ? spec.sample(rng, 1, arg)[0]! : rng.normal())) as [number, number];
    const f = OPS[op.name] as (...args: unknown[]) => unknown;
    const va = value(a);
    const ta = tensor(a, { requiresGrad: true });
    const vy = f(va, b) as Value;
    const ty = f(ta, b) as Tensor;
    expect(ty.item()).toBe(vy.data);
    vy.backward();
    ty.backward();
    expect(ta.grad!.item()).toBeCloseTo(va.grad, 12);
  });
});
