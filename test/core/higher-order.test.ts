import {
  backward, binaryCrossEntropyWithLogits, grad, hessian, matmul, mean, pow, randn, reshape, slice, softplus, tapeLength, tensor, Tensor,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** f and its first three derivatives in closed form. */
interface Closed {
  readonly name: string;
  readonly f: (x: Tensor) => Tensor;
  readonly d: readonly [(x: number) => number, (x: number) => number, (x: number) => number];
  readonly points: readonly number[];
}

const anywhere = [-1.3, -0.2, 0.4, 2.1];
const positive = [0.3, 1, 2.5];
const closedForms: Closed[] = [
  {
    name: 'sigmoid',
    f: (x) => x.sigmoid(),
    d: [(x) => sig(x) * (1 - sig(x)), (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)), (x) => sig(x) * (1 - sig(x)) * (1 - 6 * sig(x) + 6 * sig(x) ** 2)],
    points: anywhere,
  },
  {
    name: 'tanh',
    f: (x) => x.tanh(),
    d: [(x) => 1 - Math.tanh(x) ** 2, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), (x) => -2 * (1 - Math.tanh(x) ** 2) * (1 - 3 * Math.tanh(x) ** 2)],
    points: anywhere,
  },
  { name: 'exp', f: (x) => x.exp(), d: [Math.exp, Math.exp, Math.exp], points: anywhere },
  { name: 'log', f: (x) => x.log(), d: [(x) => 1 / x, (x) => -1 / x ** 2, (x) => 2 / x ** 3], points: positive },
  { name: 'log1p', f: (x) => x.log1p(), d: [(x) => 1 / (1 + x), (x) => -1 / (1 + x) ** 2, (x) => 2 / (1 + x) ** 3], points: positive },
  { name: 'sin', f: (x) => x.sin(), d: [Math.cos, (x) => -Math.sin(x), (x) => -Math.cos(x)], points: anywhere },
  { name: 'cos', f: (x) => x.cos(), d: [(x) => -Math.sin(x), (x) => -Math.cos(x), Math.sin], points: anywhere },
  { name: 'sqrt', f: (x) => x.sqrt(), d: [(x) => 0.5 * x ** -0.5, (x) => -0.25 * x ** -1.5, (x) => 0.375 * x ** -2.5], points: positive },
  {
    name: 'softplus',
    f: (x) => x.softplus(),
    d: [sig, (x) => sig(x) * (1 - sig(x)), (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x))],
    points: anywhere,
  },
  { name: 'square', f: (x) => x.square(), d: [(x) => 2 * x, () => 2, () => 0], points: anywhere },
  { name: 'x³ (pow)', f: (x) => x.pow(3), d: [(x) => 3 * x * x, (x) => 6 * x, () => 6], points: anywhere },
  { name: '2ˣ (pow, exponent)', f: (x) => pow(2, x), d: [(x) => Math.LN2 * 2 ** x, (x) => Math.LN2 ** 2 * 2 ** x, (x) => Math.LN2 ** 3 * 2 ** x], points: anywhere },
  { name: '1/x (div)', f: (x) => tensor(1).div(x), d: [(x) => -1 / x ** 2, (x) => 2 / x ** 3, (x) => -6 / x ** 4], points: positive },
  { name: 'x·sin x (product rule)', f: (x) => x.mul(x.sin()), d: [(x) => Math.sin(x) + x * Math.cos(x), (x) => 2 * Math.cos(x) - x * Math.sin(x), (x) => -3 * Math.sin(x) - x * Math.cos(x)], points: anywhere },
];

const expectClose = (actual: number, expected: number, tol = 1e-10): void => {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected)));
};

describe.each(closedForms)('derivatives of $name against closed forms', ({ f, d, points }) => {
  test('first, second and third derivatives by grad(grad(…))', () => {
    const before = tapeLength();
    const d1 = grad(f);
    const d2 = grad(d1);
    const d3 = grad(d2);
    for (const x of points) {
      expectClose(d1(x), d[0](x));
      expectClose(d2(x), d[1](x));
      expectClose(d3(x), d[2](x));
    }
    expect(tapeLength()).toBe(before);
  });

  test('the same through backward({ createGraph: true }) on a tensor, with a random upstream gradient', () => {
    const x = tensor([...points], { requiresGrad: true });
    const u = randn([points.length], { seed: 9 });
    backward(f(x), u, { createGraph: true });
    const g1 = x.grad!;
    x.grad = null;
    g1.sum().backward(undefined, { createGraph: true });
    const g2 = x.grad!;
    x.grad = null;
    // A constant second derivative (square) does not require grad: its derivative is zero.
    if (g2.requiresGrad) g2.sum().backward();
    const g3 = x.grad ?? tensor(points.map(() => 0));
    points.forEach((p, i) => {
      expectClose(g1.data[i]!, u.data[i]! * d[0](p));
      expectClose(g2.data[i]!, u.data[i]! * d[1](p));
      expectClose(g3.data[i]!, u.data[i]! * d[2](p));
    });
  });
});

describe('Hessians', () => {
  test('xᵀAx has Hessian A + Aᵀ for a non-symmetric A', () => {
    const A = randn([5, 5], { seed: 31 });
    const h = hessian((x) => matmul(x, matmul(A, x)))(randn([5], { seed: 32 })) as Tensor;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expectClose(h.data[i * 5 + j]!, A.data[i * 5 + j]! + A.data[j * 5 + i]!);
  });

  const z0 = randn([2, 3], { seed: 41 });
  const t = tensor([[1, 0, 1], [0, 0, 1]]);
  const m = 6;
  const expectedBce = (h: Tensor): void => {
    expect(h.shape).toEqual([2, 3, 2, 3]);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const s = sig(z0.data[i]!);
        expectClose(h.data[i * m + j]!, i === j ? (s * (1 - s)) / m : 0);
      }
    }
  };

  test('mean BCE with logits, composed from core ops, has Hessian diag(σ(1 − σ))/m', () => {
    expectedBce(hessian((z) => mean(softplus(z).sub(z.mul(t))))(z0) as Tensor);
  });

  test('binaryCrossEntropyWithLogits has the same Hessian', () => {
    expectedBce(hessian((z) => binaryCrossEntropyWithLogits(z, t))(z0) as Tensor);
  });

  test('a small MLP loss: Hessian against finite differences of its gradient', () => {
    // θ packs W1 [2, 3], b1 [3], W2 [3, 1], b2 [1]: 13 parameters.
    const X = randn([4, 2], { seed: 51 });
    const Y = randn([4, 1], { seed: 52 });
    const loss = (theta: Tensor): Tensor => {
      const W1 = reshape(slice(theta, 0, 0, 6), [2, 3]);
      const b1 = slice(theta, 0, 6, 9);
      const W2 = reshape(slice(theta, 0, 9, 12), [3, 1]);
      const b2 = slice(theta, 0, 12, 13);
      const hidden = matmul(X, W1).add(b1).tanh();
      return mean(matmul(hidden, W2).add(b2).sub(Y).square());
    };
    const theta = randn([13], { seed: 53 });
    const before = tapeLength();
    const H = hessian(loss)(theta) as Tensor;
    expect(tapeLength()).toBe(before);
    expect(H.shape).toEqual([13, 13]);
    const g = grad(loss);
    const eps = 1e-5;
    for (let j = 0; j < 13; j++) {
      const plus = Float64Array.from(theta.data);
      const minus = Float64Array.from(theta.data);
      plus[j] = plus[j]! + eps;
      minus[j] = minus[j]! - eps;
      const gp = g(tensor(plus)) as Tensor;
      const gm = g(tensor(minus)) as Tensor;
      for (let i = 0; i < 13; i++) {
        const numeric = (gp.data[i]! - gm.data[i]!) / (2 * eps);
        expect(Math.abs(H.data[i * 13 + j]! - numeric)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
        expectClose(H.data[i * 13 + j]!, H.data[j * 13 + i]!, 1e-12);
      }
    }
  });
});
