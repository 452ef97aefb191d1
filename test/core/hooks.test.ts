import {
  backward, enableGrad, grad, isGradEnabled, noGrad, randn, stopGradient, tapeLength, tensor, Tensor, value,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
// computeGrads (gradients of chosen inputs, .grad untouched) is internal; the transforms are built on it.
import { computeGrads } from '../../packages/core/src/autograd/engine.ts';

const f = (x: Tensor, w: Tensor): Tensor => x.mul(w).tanh().sum();

describe('gradient hooks', () => {
  test('a hook that scales the gradient of a leaf changes its .grad by exactly that factor', () => {
    const x = randn([3], { seed: 1 });
    const plain = randn([3], { seed: 2, requiresGrad: true });
    f(x, plain).backward();
    const hooked = randn([3], { seed: 2, requiresGrad: true });
    hooked.registerHook((g) => g.mul(3));
    f(x, hooked).backward();
    expect(Array.from(hooked.grad!.data)).toEqual(Array.from(plain.grad!.data, (v) => v * 3));
  });

  test('a hook on an intermediate scales everything upstream of it by the factor', () => {
    const w = tensor([0.5, -1], { requiresGrad: true });
    const h = w.mul(2);
    h.registerHook((g) => g.mul(-0.5));
    h.square().sum().backward();
    // d/dw Σ(2w)² = 8w, scaled by −½.
    expect(w.grad!.toArray()).toEqual([-2, 4]);
  });

  test('a hook sees the complete gradient (all uses summed), once', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    w.registerHook((g) => {
      seen.push(Array.from(g.data));
    });
    w.mul(3).add(w.square()).sum().backward();
    expect(seen).toEqual([[5, 7]]);
    expect(w.grad!.toArray()).toEqual([5, 7]);
  });

  test('hooks chain in registration order; remove() unregisters one, and removing twice is harmless', () => {
    const w = tensor([1], { requiresGrad: true });
    const add1 = w.registerHook((g) => g.add(1));
    w.registerHook((g) => g.mul(10));
    w.mul(2).sum().backward();
    expect(w.grad!.toArray()).toEqual([30]);
    add1.remove();
    add1.remove();
    w.grad = null;
    w.mul(2).sum().backward();
    expect(w.grad!.toArray()).toEqual([20]);
  });

  test('a hook returning the wrong shape is refused, naming the expected shape', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.registerHook(() => tensor([1]));
    expect(() => w.sum().backward()).toThrowErrorMatchingInlineSnapshot(
      `[GradError: hook: a gradient hook must return a tensor of shape [2] or nothing]`,
    );
  });

  test('a hook can only be registered on a tensor that requires grad', () => {
    expect(() => tensor([1]).registerHook((g) => g)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: registerHook: the tensor does not require grad]`,
    );
  });

  test('retainGrad keeps an intermediate gradient, after its hooks ran', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const h = w.mul(w).retainGrad();
    h.registerHook((g) => g.mul(2));
    h.sum().backward();
    expect(h.grad!.toArray()).toEqual([2, 2]);
    expect(w.grad!.toArray()).toEqual([4, 8]);
  });

  test('hooks run inside createGraph backward, and what they return stays differentiable', () => {
    const x = tensor([2], { requiresGrad: true });
    const h = x.square();
    h.registerHook((g) => g.mul(x));
    backward(h.sum(), undefined, { createGraph: true });
    // dx = (1·x)·2x = 2x² = 8; its derivative 4x = 8.
    const g = x.grad!;
    expect(g.toArray()).toEqual([8]);
    x.grad = null;
    g.sum().backward();
    expect(x.grad!.toArray()).toEqual([8]);
  });

  test('hooks of tensors created inside a transform run there', () => {
    const scaled = grad((x) => {
      const y = x.square();
      y.registerHook((g) => g.mul(10));
      return y;
    });
    expect(scaled(3)).toBe(60);
  });
});

describe('noGrad, enableGrad, detach', () => {
  test('nesting restores each level, even when the inner code throws', () => {
    expect(isGradEnabled()).toBe(true);
    noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      enableGrad(() => {
        expect(isGradEnabled()).toBe(true);
        noGrad(() => expect(isGradEnabled()).toBe(false));
        expect(isGradEnabled()).toBe(true);
      });
      expect(isGradEnabled()).toBe(false);
      expect(() =>
        enableGrad(() => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
  });

  test('only enabled regions record', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const before = tapeLength();
    const [a, b, c] = noGrad(() => [w.mul(2), enableGrad(() => w.mul(3)), noGrad(() => enableGrad(() => noGrad(() => w.mul(4))))]);
    expect([a!.requiresGrad, b!.requiresGrad, c!.requiresGrad]).toEqual([false, true, false]);
    expect(tapeLength()).toBe(before + 1);
    b!.sum().backward();
    expect(w.grad!.toArray()).toEqual([3, 3]);
    expect(tapeLength()).toBe(before);
  });

  test('detach stops the gradient: y = x·stop(x) has dy/dx = x, not 2x', () => {
    const x = tensor([3, -1], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    x.mul(d).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, -1]);
    // detach inside a transform: grad of x·stop(x) is x there too.
    expect(grad((t) => t.mul(t.detach()))(5)).toBe(5);
  });

  test('detach and noGrad inside nested transforms freeze a factor at every level', () => {
    // f = x²·c with c = stop(x²): df/dx = 2x·c, d²f/dx² = 2c = 2x² = 18 at x = 3.
    expect(grad(grad((t) => t.square().mul(t.square().detach())))(3)).toBe(18);
    // A factor computed under noGrad is a constant too: d/dt (t · 2t|frozen) = 2t = 8.
    expect(noGrad(() => grad((t) => t.mul(noGrad(() => t.mul(2))))(4))).toBe(8);
  });
});

describe('engine fixes found while building the transforms', () => {
  test('gradients with respect to an intermediate neither run nor release the op that produced it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const before = tapeLength();
    const [gh] = computeGrads([h.square().sum()], undefined, { inputs: [h] });
    expect(gh!.toArray()).toEqual([4, 8]);
    expect(tapeLength()).toBe(before);
    // h's producer is still on the tape and usable.
    h.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  test('backward through a tensor whose graph was released throws instead of dropping its gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
    expect(() => h.square().sum().backward()).toThrowErrorMatchingInlineSnapshot(`[GradError: backward: the graph through 'mul' was already released by an earlier backward(); pass { retainGraph: true } to the first backward() to run it twice]`);
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });
});

describe('stopGradient', () => {
  test('is detach under JAX’s name, for tensors and values', () => {
    const x = tensor([3, -2], { requiresGrad: true });
    x.mul(stopGradient(x)).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, -2]);
    const v = value(4);
    v.mul(stopGradient(v)).backward();
    expect(v.grad).toBe(4);
    expect(stopGradient(v).requiresGrad).toBe(false);
  });
});
