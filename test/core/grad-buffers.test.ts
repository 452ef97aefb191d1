// The engine recycles the storage of gradients nobody can see any more (a consumed gradient becomes the
// output of the next rule, or waits in a pool for the next backward pass), and hands a leaf its
// gradient without a copy when nothing else holds it. These tests keep every gradient the user can see
// (leaf .grad, retained grads, what a hook kept, results of computeGrads with inputs, the seed) and
// check that later passes, which reuse recycled storage, never change it.
import { customOp, randn, sum, tensor, Tensor } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import { computeGrads } from '../../packages/core/src/autograd/engine.ts';
import { lend, recycle } from '../../packages/core/src/graph/grad-pool.ts';

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };

function params(seed: number, dtype: 'float64' | 'float32' = 'float64'): Params {
  return {
    w1: randn([6, 4], { seed, dtype, requiresGrad: true }),
    b1: randn([6], { seed: seed + 1, dtype, requiresGrad: true }),
    w2: randn([1, 6], { seed: seed + 2, dtype, requiresGrad: true }),
    b2: randn([1], { seed: seed + 3, dtype, requiresGrad: true }),
  };
}

/** W1 in small: sigmoid MLP, mean binary cross-entropy written with elementwise ops. */
function loss(p: Params, x: Tensor, y: Tensor, keep?: (h: Tensor) => void): Tensor {
  const h = x.matmul(p.w1, { transposeB: true }).add(p.b1).sigmoid();
  keep?.(h);
  const q = h.matmul(p.w2, { transposeB: true }).add(p.b2).sigmoid();
  return y.mul(q.log()).add(y.neg().add(1).mul(q.neg().add(1).log())).mean().neg();
}

const data = (dtype: 'float64' | 'float32' = 'float64'): { x: Tensor; y: Tensor } => ({
  x: randn([8, 4], { seed: 40, dtype }),
  y: tensor([0, 1, 1, 0, 1, 0, 0, 1], { shape: [8, 1], dtype }),
});

const values = (t: Tensor): number[] => Array.from(t.data);

/** The reference: the recorded (createGraph) pass, which runs the public-op rules and recycles nothing. */
function recordedGrads(p: Params, x: Tensor, y: Tensor): number[][] {
  const keys = ['w1', 'b1', 'w2', 'b2'] as const;
  const gs = computeGrads([loss(p, x, y)], undefined, { inputs: keys.map((k) => p[k]), createGraph: true });
  return gs.map((g) => values(g!));
}

/** Runs a few more training-step backward passes on fresh parameters, so the pool gets used. */
function churn(times = 3): void {
  const { x, y } = data();
  for (let i = 0; i < times; i++) {
    const p = params(90 + i);
    loss(p, x, y).backward();
  }
}

function expectClose(actual: number[], expected: number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]!))));
}

describe('recycled gradient storage', () => {
  test('repeated passes give the recorded pass\'s gradients, float64 and float32', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const { x, y } = data(dtype);
      const p = params(1, dtype);
      const want = recordedGrads(p, x, y);
      for (let step = 0; step < 4; step++) {
        for (const t of Object.values(p)) t.grad = null;
        loss(p, x, y).backward();
        const got = [p.w1, p.b1, p.w2, p.b2].map((t) => values(t.grad!));
        got.forEach((g, k) => expectClose(g, want[k]!, dtype === 'float32' ? 1e-5 : 1e-12));
      }
    }
  });

  test('a leaf .grad the user kept is not reused by later passes', () => {
    const { x, y } = data();
    const p = params(2);
    loss(p, x, y).backward();
    const kept = [p.w1.grad!, p.b1.grad!, p.w2.grad!, p.b2.grad!];
    const snapshot = kept.map(values);
    for (const t of Object.values(p)) t.grad = null;
    churn();
    loss(p, x, y).backward();
    kept.forEach((g, k) => expect(values(g)).toEqual(snapshot[k]));
    // Each leaf owns its gradient's storage.
    expect(new Set([p.w1, p.b1, p.w2, p.b2, ...kept].map((t) => t.grad?.data ?? t.data)).size).toBe(8);
  });

  test('two leaves that receive the same gradient tensor get separate storage', () => {
    const a = randn([3], { seed: 3, requiresGrad: true });
    const b = randn([3], { seed: 4, requiresGrad: true });
    a.add(b).sigmoid().sum().backward();
    expect(a.grad!.data).not.toBe(b.grad!.data);
    expect(values(a.grad!)).toEqual(values(b.grad!));
    a.grad!.data[0] = 123;
    expect(b.grad!.data[0]).not.toBe(123);
  });

  test('a gradient a hook kept is not overwritten by the rule after it nor by later passes', () => {
    const { x, y } = data();
    const p = params(5);
    let seen: Tensor | null = null;
    let atHook: number[] = [];
    loss(p, x, y, (h) => {
      h.registerHook((g) => {
        seen = g;
        atHook = values(g);
      });
    }).backward();
    expect(seen).not.toBeNull();
    churn();
    expect(values(seen!)).toEqual(atHook);
  });

  test('a hook on a leaf that keeps its argument keeps it unchanged', () => {
    const { x, y } = data();
    const p = params(6);
    const kept: Tensor[] = [];
    p.w1.registerHook((g) => {
      kept.push(g);
    });
    loss(p, x, y).backward();
    const snapshot = values(kept[0]!);
    expect(values(p.w1.grad!)).toEqual(snapshot);
    // .grad is the leaf's own: changing it in place (clipping, say) leaves the hook's tensor alone.
    p.w1.grad!.data.fill(0);
    expect(values(kept[0]!)).toEqual(snapshot);
    for (const t of Object.values(p)) t.grad = null;
    churn();
    loss(p, x, y).backward();
    expect(values(kept[0]!)).toEqual(snapshot);
  });

  test('a retained intermediate gradient is neither overwritten by the next rule nor reused later', () => {
    const { x, y } = data();
    const p = params(7);
    let h: Tensor | null = null;
    loss(p, x, y, (t) => {
      h = t.retainGrad();
    }).backward();
    const snapshot = values(h!.grad!);
    // The sigmoid's rule is the next to read that gradient: with dy donated it would write over it.
    let h2: Tensor | null = null;
    const again = loss(p, x, y, (t) => (h2 = t));
    const reference = computeGrads([again], undefined, { inputs: [h2!] })[0]!;
    expect(snapshot).toEqual(values(reference));
    churn();
    expect(values(h!.grad!)).toEqual(snapshot);
  });

  test('gradients returned by computeGrads with inputs stay as returned', () => {
    const { x, y } = data();
    const p = params(8);
    let h: Tensor | null = null;
    const l = loss(p, x, y, (t) => (h = t));
    const gs = computeGrads([l], undefined, { inputs: [h!, p.w1, p.b2] });
    const snapshot = gs.map((g) => values(g!));
    churn();
    gs.forEach((g, k) => expect(values(g!)).toEqual(snapshot[k]));
  });

  test('a seed gradient passed by the caller is left as it was', () => {
    const w = randn([4], { seed: 9, requiresGrad: true });
    const seed = randn([4], { seed: 10 });
    const before = values(seed);
    w.sigmoid().backward(seed);
    expect(values(seed)).toEqual(before);
    const s = w.sigmoid();
    expect(values(w.grad!)).toEqual(Array.from(s.data, (v, i) => before[i]! * v * (1 - v)));
  });

  test('fan-out: one gradient read by two rules, and sums into several uses, match the recorded pass', () => {
    // add hands the same gradient to both uses of s; the first rule to run must not write over it.
    const f = (x: Tensor): Tensor => {
      const s = x.sigmoid();
      const t = x.tanh();
      return s.add(t).exp().add(s.mul(x)).add(x.square()).sum();
    };
    const x = randn([5], { seed: 11, requiresGrad: true });
    const want = values(computeGrads([f(x)], undefined, { inputs: [x], createGraph: true })[0]!);
    for (let i = 0; i < 3; i++) {
      x.grad = null;
      f(x).backward();
      expectClose(values(x.grad!), want);
    }
    // x + x: the rule returns its one dy for both inputs.
    const z = randn([3], { seed: 12, requiresGrad: true });
    z.add(z).sigmoid().sum().backward();
    const s = z.add(z).sigmoid();
    expectClose(values(z.grad!), Array.from(s.data, (v) => 2 * v * (1 - v)));
  });

  test('a gradient shared by two slots is never added into, whichever order the uses arrive in', () => {
    // u = a + b hands one dy to a and b. Then a's other use arrives: an owned gradient (mul, created
    // before the add, so its rule runs after it) or one no rule of the pass owns (reshape's public-op
    // rule). Adding either into the shared dy would change b's gradient too.
    const graphs: ((x: Tensor) => Tensor)[] = [
      (x) => {
        const a = x.sigmoid();
        const b = x.tanh();
        const m = a.mul(3);
        return a.add(b).exp().sum().add(m.square().sum());
      },
      (x) => {
        const a = x.sigmoid();
        const b = x.tanh();
        const u = a.add(b);
        return u.exp().sum().add(a.reshape([5, 1]).square().sum());
      },
    ];
    for (const f of graphs) {
      const x = randn([5], { seed: 13, requiresGrad: true });
      const want = values(computeGrads([f(x)], undefined, { inputs: [x], createGraph: true })[0]!);
      f(x).backward();
      expectClose(values(x.grad!), want);
    }
  });

  test('createGraph gradients stay differentiable and unchanged by later plain passes', () => {
    const x = tensor([0.3, -0.7, 1.1], { requiresGrad: true });
    x.sigmoid().square().sum().backward(undefined, { createGraph: true });
    const g = x.grad!;
    const snapshot = values(g);
    churn();
    expect(values(g)).toEqual(snapshot);
    // d/dx Σ ∂/∂x σ(x)² = d/dx 2σ²(1 − σ), checked against the recorded first derivative numerically.
    const [h] = computeGrads([g.sum()], undefined, { inputs: [x] });
    const eps = 1e-6;
    const d1 = (v: number): number => {
      const s = 1 / (1 + Math.exp(-v));
      return 2 * s * s * (1 - s);
    };
    expectClose(values(h!), [0.3, -0.7, 1.1].map((v) => (d1(v + eps) - d1(v - eps)) / (2 * eps)), 1e-6);
  });

  test('a custom op\'s rule gets plain storage: a gradient it keeps is never recycled', () => {
    const kept: Tensor[] = [];
    const double = customOp({
      name: 'double',
      forward: (x: Tensor) => x.mul(2),
      backward: ({ dy }) => {
        const g = dy.mul(2);
        kept.push(g);
        return [g];
      },
    });
    const { x, y } = data();
    const p = params(14);
    // The matmul rule reads what double sent it, then that storage's use in the pass is over.
    const q = double(x.matmul(p.w1, { transposeB: true }).add(p.b1).sigmoid()).matmul(p.w2, { transposeB: true });
    y.mul(q).mean().backward();
    const snapshot = values(kept[0]!);
    churn();
    expect(values(kept[0]!)).toEqual(snapshot);
  });
});

describe('the pool lent to the ops while a rule runs', () => {
  test('ops take pooled storage, zeroed as a new array is, only while the engine lends it', () => {
    const n = 6;
    const stale = new Float64Array(n).fill(7);
    recycle(stale);
    const x = tensor([[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]]);
    const was = lend(true);
    let s: Tensor;
    try {
      // sum writes into its freshly allocated output assuming zeros.
      s = sum(x, 0);
    } finally {
      lend(was);
    }
    expect(s.data).toBe(stale);
    expect(values(s)).toEqual([11, 22, 33, 44, 55, 66]);
    recycle(new Float64Array(n).fill(7));
    expect(values(sum(x, 0))).toEqual([11, 22, 33, 44, 55, 66]);
    expect(sum(x, 0).data).not.toBe(stale);
  });
});
