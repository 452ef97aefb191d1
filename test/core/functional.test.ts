import {
  enableGrad, grad, hessian, hvp, jacobian, jvp, matmul, noGrad, randn, tapeLength, tensor, Tensor, value, valueAndGrad, vjp,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

const arr = (t: unknown): unknown => (t as Tensor).toArray();
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};
const dot = (a: Tensor, b: Tensor): number => a.data.reduce((s, v, i) => s + v * b.data[i]!, 0);

/** Every transform must leave the tape as it found it. */
function clean<T>(fn: () => T): T {
  const before = tapeLength();
  const r = fn();
  expect(tapeLength()).toBe(before);
  return r;
}

describe('grad and valueAndGrad', () => {
  test('grad of a tensor function, with a random upstream point', () => {
    const x = randn([2, 3], { seed: 1 });
    const g = clean(() => grad((t) => t.tanh().mul(t).sum())(x)) as Tensor;
    const expected = Array.from(x.data, (v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2));
    close(g.data, expected);
    expect(g.shape).toEqual([2, 3]);
    expect(g.requiresGrad).toBe(false);
  });

  test('plain numbers in, numbers out', () => {
    expect(clean(() => grad((x) => x.square().mul(3))(2))).toBe(12);
    const [v, g] = valueAndGrad((x) => x.exp())(0);
    expect(v).toBe(1);
    expect(g).toBe(1);
  });

  test('argnums: one index or a list, partials of each argument', () => {
    const f = (a: Tensor, b: Tensor): Tensor => a.mul(b).add(a.square()).sum();
    const a = tensor([1, 2]);
    const b = tensor([3, -1]);
    expect(arr(grad(f, 1)(a, b))).toEqual([1, 2]);
    const [ga, gb] = grad(f, [0, 1])(a, b) as Tensor[];
    expect(ga!.toArray()).toEqual([5, 3]);
    expect(gb!.toArray()).toEqual([1, 2]);
    // The same tensor as two arguments still gets the partial of each, not the total.
    const [p, q] = grad(f, [0, 1])(a, a) as Tensor[];
    expect(p!.toArray()).toEqual([3, 6]);
    expect(q!.toArray()).toEqual([1, 2]);
  });

  test('valueAndGrad with several argnums, mixing numbers and tensors', () => {
    const [v, gs] = valueAndGrad((w: Tensor, s: Tensor) => w.mul(s).sum(), [0, 1])(tensor([1, 2]), 3);
    expect(arr(v)).toBe(9);
    expect(arr((gs as Tensor[])[0])).toEqual([3, 3]);
    expect((gs as unknown[])[1]).toBe(3);
  });

  test('an unused argument or a constant output has a zero gradient', () => {
    expect(arr(grad((_x: Tensor, y: Tensor) => y.sum())(tensor([1, 2]), tensor([3])))).toEqual([0, 0]);
    expect(grad(() => 5)(1)).toBe(0);
  });

  test('works inside noGrad and inside enableGrad, and leaves the mode as it was', () => {
    const f = grad((x) => x.pow(3).sum());
    const inNoGrad = noGrad(() => f(tensor([2])));
    expect(arr(inNoGrad)).toEqual([12]);
    expect(arr(noGrad(() => enableGrad(() => f(tensor([1])))))).toEqual([3]);
    expect(noGrad(() => grad(grad((x) => x.pow(3)))(2))).toBe(12);
  });

  test('a tensor that requires grad is a constant for the ordinary tape: no nodes left, result detached', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const g = clean(() => grad((x) => x.square().sum())(w)) as Tensor;
    expect(g.requiresGrad).toBe(false);
    expect(w.grad).toBeNull();
  });

  test('results are fresh copies: they alias neither each other nor the inputs', () => {
    const x = tensor([1, 2]);
    const [v, g] = valueAndGrad((a: Tensor, b: Tensor) => a.add(b).sum(), [0, 1])(x, x);
    const [ga, gb] = g as Tensor[];
    ga!.data[0] = 100;
    expect(gb!.data[0]).toBe(1);
    expect(arr(v)).toBe(6);
    const [y] = valueAndGrad((a) => a.sum())(x);
    expect(arr(y)).toBe(3);
  });

  test('errors name the transform and the argument', () => {
    expect(() => grad((x) => x.mul(2))(tensor([1, 2]))).toThrowErrorMatchingInlineSnapshot(
      `[ShapeError: grad: f must return a scalar (a tensor with one element), got shape [2]; use vjp or jacobian for other outputs]`,
    );
    expect(() => grad((x) => x, 2)(1)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: grad: argnums must be indices of f's arguments (0 … 0), got 2 for 1 argument]`,
    );
    expect(() => grad((x) => x)('a' as unknown as number)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: grad: argument 0 must be a Tensor or a number, got string]`,
    );
    expect(() => grad((x) => ({}) as Tensor)(1)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: grad: f must return a Tensor or a number, got object]`,
    );
    // One describer for every error message (ops/define.ts's describe): arrays, Values and tensors by name.
    expect(() => grad(() => [1] as unknown as Tensor)(1)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: grad: f must return a Tensor or a number, got array]`,
    );
    expect(() => grad(() => value(2) as unknown as Tensor)(1)).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: grad: f must return a Tensor or a number, got Value]`,
    );
  });

  test('a failing call leaves nothing on the tape', () => {
    const before = tapeLength();
    expect(() => grad((x) => x.mul(2))(tensor([1, 2]))).toThrow();
    expect(tapeLength()).toBe(before);
  });
});

describe('composition', () => {
  test('grad(grad(f)) and grad(grad(grad(f))) of x⁴', () => {
    const f = (x: Tensor): Tensor => x.pow(4);
    expect(clean(() => grad(grad(f))(1.5))).toBeCloseTo(12 * 1.5 ** 2, 10);
    expect(clean(() => grad(grad(grad(f)))(1.5))).toBeCloseTo(24 * 1.5, 10);
    expect(clean(() => grad(grad(grad(grad(f))))(1.5))).toBeCloseTo(24, 10);
  });

  test('jacobian(grad(f)) is the Hessian', () => {
    const x = randn([3], { seed: 4 });
    const f = (t: Tensor): Tensor => t.sin().sum().mul(t.square().sum());
    const h1 = clean(() => jacobian(grad(f))(x)) as Tensor;
    const h2 = clean(() => hessian(f)(x)) as Tensor;
    expect(h1.shape).toEqual([3, 3]);
    close(h1.data, h2.data);
    // Symmetric.
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(h1.data[i * 3 + j]).toBeCloseTo(h1.data[j * 3 + i]!, 10);
  });

  test('grad of a function that uses vjp and jvp inside', () => {
    // d/dx of ⟨Jᵀu, 1⟩ for f = x³ (elementwise) is 6x·u.
    const u = tensor([1, 2]);
    const g = clean(() =>
      grad((x) => {
        const [, pullback] = vjp((t) => t.pow(3), x);
        return (pullback(u)[0] as Tensor).sum();
      })(tensor([1, -1])),
    );
    expect(arr(g)).toEqual([6, -12]);
    const g2 = clean(() => grad((x) => (jvp((t) => t.pow(3), [x], [tensor([1, 1])])[1] as Tensor).sum())(tensor([2, 3])));
    expect(arr(g2)).toEqual([12, 18]);
  });

  test('jacobian(hessian(f)) is the third-derivative tensor (a traced, differentiable Jacobian)', () => {
    // f = Σ xᵢ³ + x₀x₁x₂: T[i][j][k] = 6·[i = j = k] + [i, j, k a permutation of 0, 1, 2].
    const f = (x: Tensor): Tensor => x.pow(3).sum().add(x.slice(0, 0, 1).mul(x.slice(0, 1, 2)).mul(x.slice(0, 2, 3)).sum());
    const t = clean(() => jacobian(hessian(f))(tensor([0.5, -1, 2]))) as Tensor;
    expect(t.shape).toEqual([3, 3, 3]);
    const expected = Array.from({ length: 27 }, (_, n) => {
      const [i, j, k] = [Math.floor(n / 9), Math.floor(n / 3) % 3, n % 3];
      return (i === j && j === k ? 6 : 0) + (new Set([i, j, k]).size === 3 ? 1 : 0);
    });
    close(t.data, expected);
  });

  test('a forward-mode jacobian (more outputs than inputs) inside grad stays differentiable', () => {
    // J of x ↦ [x, x², x³] at a scalar x is [1, 2x, 3x²]; d/dx of its sum is 2 + 6x.
    const g = clean(() => grad((x) => (jacobian((t) => t.reshape([1]).broadcastTo([3]).pow(tensor([1, 2, 3])))(x) as Tensor).sum())(2));
    expect(g).toBeCloseTo(14, 10);
  });

  test('hvp inside grad, and hessian of a number function', () => {
    expect(clean(() => hessian((x) => x.pow(3))(2))).toBeCloseTo(12, 10);
    const third = grad((x) => hvp((t) => t.pow(4), x, tensor(1)) as Tensor)(2);
    expect(third).toBeCloseTo(24 * 2, 10);
  });
});

describe('vjp and jvp', () => {
  test('vjp returns the value and a pullback that may be called many times', () => {
    const A = randn([3, 2], { seed: 3 });
    const [y, pullback] = clean(() => vjp((x) => matmul(A, x), tensor([1, 2])));
    close((y as Tensor).data, [A.data[0]! + 2 * A.data[1]!, A.data[2]! + 2 * A.data[3]!, A.data[4]! + 2 * A.data[5]!]);
    for (const u of [tensor([1, 0, 0]), tensor([0, 2, 1])]) {
      const [g] = clean(() => pullback(u));
      const expected = [0, 1].map((j) => [0, 1, 2].reduce((s, i) => s + A.data[i * 2 + j]! * u.data[i]!, 0));
      close((g as Tensor).data, expected);
    }
  });

  test('the forward graph lives in the pullback, not on the tape', () => {
    const before = tapeLength();
    const [, pullback] = vjp((x) => x.sin().mul(x), tensor([0.3, 0.7]));
    expect(tapeLength()).toBe(before);
    expect(pullback(tensor([1, 1]))).toHaveLength(1);
    expect(tapeLength()).toBe(before);
  });

  test('vjp with numbers and several primals', () => {
    const [y, pullback] = vjp((a, b) => a.mul(b), 3, 4);
    expect(y).toBe(12);
    expect(pullback(2)).toEqual([8, 6]);
  });

  test('jvp is the directional derivative: ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ and finite differences', () => {
    const f = (a: Tensor, b: Tensor): Tensor => matmul(a.tanh(), b).sigmoid();
    const a = randn([2, 3], { seed: 11 });
    const b = randn([3, 4], { seed: 12 });
    const va = randn([2, 3], { seed: 13 });
    const vb = randn([3, 4], { seed: 14 });
    const u = randn([2, 4], { seed: 15 });
    const [y, jv] = clean(() => jvp(f, [a, b], [va, vb])) as [Tensor, Tensor];
    const [y2, pullback] = vjp(f, a, b);
    close(y.data, (y2 as Tensor).data);
    const [ga, gb] = pullback(u) as Tensor[];
    expect(dot(u, jv)).toBeCloseTo(dot(ga!, va) + dot(gb!, vb), 10);
    const eps = 1e-6;
    const plus = f(a.add(va.mul(eps)), b.add(vb.mul(eps)));
    const minus = f(a.sub(va.mul(eps)), b.sub(vb.mul(eps)));
    close(jv.data, Array.from(plus.data, (p, i) => (p - minus.data[i]!) / (2 * eps)), 1e-7);
  });

  test('jvp of numbers, of the identity and of a constant', () => {
    expect(jvp((x) => x.sin(), [0], [2])).toEqual([0, 2]);
    expect(arr(jvp((x) => x, [tensor([1, 2])], [tensor([3, 4])])[1])).toEqual([3, 4]);
    expect(arr(jvp(() => tensor([1, 2]), [tensor([1])], [tensor([1])])[1])).toEqual([0, 0]);
  });

  test('tangents must match their primals', () => {
    expect(() => jvp((x) => x, [tensor([1, 2])], [tensor([1])])).toThrowErrorMatchingInlineSnapshot(
      `[ShapeError: jvp: tangent 0 must have shape [2], got [1]]`,
    );
    expect(() => jvp((x) => x, [tensor([1, 2])], [])).toThrowErrorMatchingInlineSnapshot(
      `[ArgumentError: jvp: primals and tangents must be arrays of the same length, got 1 primals and 0 tangents]`,
    );
    const [, pullback] = vjp((x) => x.mul(2), tensor([1, 2]));
    expect(() => pullback(tensor([1, 2, 3]))).toThrowErrorMatchingInlineSnapshot(
      `[ShapeError: vjp: the cotangent u must have shape [2], got [3]]`,
    );
  });
});

describe('jacobian, hessian, hvp', () => {
  const A = tensor([[1, 2, 0], [0, -1, 3]]);
  const lin = (x: Tensor): Tensor => matmul(A, x);

  test('jacobian of a linear map is its matrix, in reverse (m ≤ n) and forward (m > n) mode', () => {
    expect(arr(clean(() => jacobian(lin)(tensor([1, 1, 1]))))).toEqual(A.toArray());
    const At = A.transpose();
    // 3 outputs, 2 inputs: forward mode.
    expect(arr(clean(() => jacobian((x) => matmul(At, x))(tensor([1, 1]))))).toEqual(At.toArray());
  });

  test('both modes agree on a nonlinear map; shape is [...out, ...in]', () => {
    const f = (x: Tensor): Tensor => x.reshape([2, 2]).matmul(x.reshape([2, 2])).tanh();
    const x = randn([4], { seed: 5 });
    const j = jacobian(f)(x) as Tensor;
    expect(j.shape).toEqual([2, 2, 4]);
    // Duplicate the output to force the other mode (8 outputs > 4 inputs) and compare the first half.
    const j2 = jacobian((t) => f(t).reshape([4]).broadcastTo([2, 4]))(x) as Tensor;
    expect(j2.shape).toEqual([2, 4, 4]);
    close(j2.data.subarray(0, 16), j.data);
    close(j2.data.subarray(16), j.data);
  });

  test('jacobian with several argnums and of numbers', () => {
    const [ja, jb] = jacobian((a: Tensor, b: Tensor) => a.mul(b), [0, 1])(tensor([1, 2]), tensor([3, 4])) as Tensor[];
    expect(ja!.toArray()).toEqual([[3, 0], [0, 4]]);
    expect(jb!.toArray()).toEqual([[1, 0], [0, 2]]);
    expect(jacobian((x) => x.square())(3)).toBe(6);
  });

  test('hessian of xᵀAx is A + Aᵀ, and hvp agrees with H·v without forming H', () => {
    const M = randn([4, 4], { seed: 21 });
    const f = (x: Tensor): Tensor => matmul(x, matmul(M, x));
    const x = randn([4], { seed: 22 });
    const h = clean(() => hessian(f)(x)) as Tensor;
    const expected = Array.from({ length: 16 }, (_, k) => M.data[k]! + M.data[(k % 4) * 4 + Math.floor(k / 4)]!);
    close(h.data, expected);
    const v = randn([4], { seed: 23 });
    const hv = clean(() => hvp(f, x, v)) as Tensor;
    close(hv.data, [0, 1, 2, 3].map((i) => [0, 1, 2, 3].reduce((s, j) => s + expected[i * 4 + j]! * v.data[j]!, 0)));
  });

  test('hvp of several arguments', () => {
    const f = (a: Tensor, b: Tensor): Tensor => a.mul(b).square().sum();
    const [ha, hb] = hvp(f, [tensor([1]), tensor([2])], [tensor([1]), tensor([0])]) as Tensor[];
    // f = a²b²: ∂²f/∂a² = 2b² = 8, ∂²f/∂b∂a = 4ab = 8.
    expect(ha!.toArray()).toEqual([8]);
    expect(hb!.toArray()).toEqual([8]);
    expect(hvp((x) => x.pow(3), 2, 1)).toBe(12);
  });
});
