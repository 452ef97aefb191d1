import { GradError, customOp, grad, maximum, mulInPlace, noGrad, tensor, value, vjp, type Tensor } from '@tapegrad/core';
import { Adam, AdamW, fastForward, Linear, MLP, Module, SGD } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

// Issue 13, "Wrong answers": each test failed before its fix.

describe('pooled gradient storage never reaches user code (item 4)', () => {
  test("a custom op's ctx.dy kept by user code is not overwritten by a later backward", () => {
    const kept: Tensor[] = [];
    const ident = customOp({
      name: 'keepDy',
      forward: (x) => x,
      backward: ({ dy }) => {
        kept.push(dy);
        return [dy.mul(1)];
      },
    });
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const c = tensor([2, 3, 4]);
    ident(x).mul(c).sum().backward();
    const first = Array.from(kept[0]!.data);
    expect(first).toEqual([2, 3, 4]);
    // Many later passes with gradients of the same size recycle whatever storage was given back.
    for (let i = 0; i < 5; i++) x.mul(tensor([7, 8, 9])).mul(c).sum().backward();
    expect(Array.from(kept[0]!.data)).toEqual(first);
  });

  test("a custom op returning ctx.dy itself does not make a leaf's .grad share the user's tensor", () => {
    let dySeen: Tensor | null = null;
    const ident = customOp({
      name: 'passDy',
      forward: (x) => x,
      backward: ({ dy }) => {
        dySeen = dy;
        return [dy];
      },
    });
    const x = tensor([1, 2, 3], { requiresGrad: true });
    ident(x).mul(tensor([1, 1, 1])).sum().backward();
    expect(x.grad!.data).not.toBe(dySeen!.data);
    x.grad!.data[0] = 100;
    expect(dySeen!.data[0]).toBe(1);
  });

  test('a custom op that keeps ctx.dy sees it unchanged when another input accumulates into its slot', () => {
    let dySeen: Tensor | null = null;
    const ident = customOp({
      name: 'passDy2',
      forward: (x) => x,
      backward: ({ dy }) => {
        dySeen = dy;
        return [dy];
      },
    });
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(1);
    // h receives ident's dy and a second contribution: the sum must not be written into dy's storage.
    ident(h).add(h).sum().backward();
    expect(Array.from(dySeen!.data)).toEqual([1, 1]);
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });
});

describe('hooks (item 5)', () => {
  test("a hook that edits its gradient in place changes no other tensor's gradient", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.registerHook((g) => {
      g.data[0] = 100;
    });
    a.add(b).sum().backward();
    expect(b.grad!.toArray()).toEqual([1, 1]);
    expect(a.grad!.toArray()).toEqual([100, 1]);
  });

  test('a hook on an intermediate that edits its gradient in place does not change a sibling', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const k = y.mul(3);
    h.registerHook((g) => {
      g.data[1] = -5;
    });
    h.add(k).sum().backward();
    expect(y.grad!.toArray()).toEqual([3, 3]);
    expect(x.grad!.toArray()).toEqual([2, -10]);
  });

  test('a retained gradient edited in place by the user does not change a leaf gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.add(0).retainGrad();
    h.sum().backward();
    h.grad!.data[0] = 42;
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });
});

describe('vjp pullback reads its primals later (item 10)', () => {
  test('a primal changed in place after vjp makes the pullback refuse, as backward does', () => {
    const x = tensor([1, 2, 3]);
    const [, pullback] = vjp((t) => t.square(), x);
    noGrad(() => mulInPlace(x, 10));
    expect(() => pullback(tensor([1, 1, 1]))).toThrow(GradError);
    expect(() => pullback(tensor([1, 1, 1]))).toThrow(/vjp.*modified in place/);
  });

  test('an unchanged primal still pulls back', () => {
    const x = tensor([1, 2, 3]);
    const [, pullback] = vjp((t) => t.square(), x);
    expect(pullback(tensor([1, 1, 1]))[0]!.toArray()).toEqual([2, 4, 6]);
  });
});

describe('a failing backward is all or nothing (item 11)', () => {
  test('a stale saved tensor met half-way writes no gradient, and a retry after fixing does not double-count', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const v = tensor([3, 4], { requiresGrad: true });
    const e = w.exp();
    const h = e.mul(v).retainGrad();
    const loss = h.sum().add(v.sum());
    noGrad(() => mulInPlace(e.detach(), 1)); // bumps e's version: exp's saved output is stale
    expect(() => loss.backward()).toThrow(GradError);
    expect(w.grad).toBeNull();
    expect(v.grad).toBeNull();
    expect(h.grad).toBeNull();
  });

  test('a hook that throws on the second leaf leaves the first leaf untouched', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    let calls = 0;
    const boom = (): void => {
      calls++;
      throw new Error('hook failed');
    };
    a.registerHook(() => undefined);
    b.registerHook(boom);
    const loss = a.mul(b).sum();
    expect(() => loss.backward(null, { retainGraph: true })).toThrow('hook failed');
    expect(calls).toBe(1);
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  test('a retry of a failed backward (graph kept) gives the gradient once', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    let fail = true;
    b.registerHook(() => {
      if (fail) throw new Error('transient');
    });
    const loss = a.mul(b).sum();
    expect(() => loss.backward()).toThrow('transient');
    fail = false;
    loss.backward();
    expect(a.grad!.toArray()).toEqual([3, 4]);
    expect(b.grad!.toArray()).toEqual([1, 2]);
  });
});

describe('Value intermediate gradients (item 13)', () => {
  test("an intermediate's .grad survives an unrelated backward()", () => {
    const a = value(2);
    const h = a.mul(3);
    const y = h.mul(h);
    const b = value(5);
    const u = b.mul(b); // an unrelated graph recorded after h's
    y.backward();
    expect(h.grad).toBe(12);
    u.backward();
    expect(b.grad).toBe(10);
    expect(h.grad).toBe(12);
  });

  test('a kept graph: its intermediate gradients survive a later unrelated backward', () => {
    const a = value(2);
    const h = a.mul(3);
    h.mul(h).backward({ retainGraph: true });
    const b = value(5);
    b.mul(b).backward();
    expect(h.grad).toBe(12);
  });

  test('a failing Value backward leaves the intermediate gradients of the last pass as they were', () => {
    const a = value(2);
    const h = a.mul(3);
    const y = h.mul(h);
    y.backward({ retainGraph: true });
    const q = value(1).mul(2);
    q.mul(1).backward(); // releases q's graph
    const k = h.mul(1);
    const stale = q.mul(5).add(k); // reaches q's released row: backward fails
    expect(() => stale.backward()).toThrow(GradError);
    expect(h.grad).toBe(12);
    expect(a.grad).toBe(36);
  });
});

describe('tied parameters and optimizer state (items 6, 7)', () => {
  class Tied extends Module {
    readonly a: Linear;
    readonly b: Linear;
    constructor() {
      super();
      this.a = this.registerModule('a', new Linear(2, 2, { seed: 1 }));
      this.b = this.registerModule('b', new Linear(2, 2, { seed: 2 }));
      // b shares a's weight, as tied input/output embeddings do.
      (this.b as unknown as { weight: Tensor }).weight = this.a.weight;
      (this.b as unknown as { registerParameter(n: string, t: Tensor): Tensor }).registerParameter('weight', this.a.weight);
    }
  }

  test('a shared parameter appears once in parameters() and namedParameters()', () => {
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'b.bias']);
    expect(m.parameters()).toHaveLength(3);
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'a.bias', 'b.bias']);
  });

  test('an optimizer given the same tensor twice updates it once per step', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.sum().backward();
    const opt = new SGD([w, w], { lr: 0.5 });
    opt.step();
    expect(w.toArray()).toEqual([0.5, 1.5]);
    expect(opt.params).toHaveLength(1);
  });

  test.each([['Adam', Adam], ['AdamW', AdamW]] as const)(
    '%s: a parameter that first gets a gradient at step 10 moves by lr, as at its own first step',
    (_name, Opt) => {
      const p = tensor([1], { requiresGrad: true });
      const q = tensor([5], { requiresGrad: true });
      const opt = new Opt([p, q], { lr: 0.1, weightDecay: 0 });
      for (let step = 0; step < 9; step++) {
        opt.zeroGrad();
        p.mul(p).sum().backward();
        opt.step();
      }
      opt.zeroGrad();
      p.mul(p).add(q.mul(3)).sum().backward();
      opt.step();
      expect(q.data[0]).toBeCloseTo(4.9, 6);
    },
  );
});

describe('conventions at special points (items 8, 9)', () => {
  test('∂(aᵇ)/∂b is 0 at a = 0 for b ≥ 0 (its limit), on every lane', () => {
    const a = tensor([0, 0, 2], { requiresGrad: true });
    const b = tensor([2, 0, 3], { requiresGrad: true });
    a.pow(b).sum().backward();
    expect(b.grad!.toArray()).toEqual([0, 0, 8 * Math.log(2)]);
    const a32 = tensor([0, 0.5], { dtype: 'float32' });
    const b32 = tensor([1.5, 2], { dtype: 'float32', requiresGrad: true });
    a32.pow(b32).sum().backward();
    expect(b32.grad!.data[0]).toBe(0);
    const va = value(0);
    const vb = value(3);
    va.pow(vb).backward();
    expect(vb.grad).toBe(0);
    // createGraph (the rule written with public ops) agrees.
    expect(grad((e) => tensor([0, 0]).pow(e).sum())(tensor([1, 2])).toArray()).toEqual([0, 0]);
  });

  test('for b < 0 at a = 0 the derivative stays −∞ (aᵇ·ln a → −∞)', () => {
    const b = tensor([-1], { requiresGrad: true });
    tensor([0]).pow(b).sum().backward();
    expect(b.grad!.data[0]).toBe(-Infinity);
  });

  test('relu(NaN) is NaN on tensors (float64, float32) and Value, as maximum(NaN, 0)', () => {
    expect(Number.isNaN(tensor([NaN, -1, 2]).relu().data[0])).toBe(true);
    expect(tensor([NaN, -1, 2]).relu().toArray().slice(1)).toEqual([0, 2]);
    expect(Number.isNaN(tensor([NaN], { dtype: 'float32' }).relu().data[0])).toBe(true);
    expect(Number.isNaN(value(NaN).relu().data)).toBe(true);
    expect(Number.isNaN(maximum(tensor([NaN]), 0).data[0])).toBe(true);
    expect(Object.is(tensor([-0]).relu().data[0], 0)).toBe(true);
  });

  test('the fast path relu propagates NaN too', () => {
    const model = new MLP({ sizes: [1, 2, 1], activation: 'relu', seed: 1 });
    expect(Number.isNaN(fastForward(model, tensor([[NaN]])).Yhat[0])).toBe(true);
  });
});
