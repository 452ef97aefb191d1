import { describe, expect, test } from 'vitest';
import {
  add, backwardSymbolic, binaryCrossEntropy, defineUnary, derive, matmul, mul, parseExpression, prove, sigmoid, simplify, sub, symbol,
  type Sym,
} from '@tapegrad/core';

const S = (x: unknown): Sym => x as Sym;
const A = (x: Sym | number): never => x as never;

describe('derive: the engine rules, simplified and proved', () => {
  // Every printed derivative is checked: proved equal to what the rules built, and numerically equal to
  // the numeric engine's gradient (forward on tensors, backward(), .grad) at random points.
  test.each([
    ['binaryCrossEntropy(sigmoid(z), t)', 'z', 'sigmoid(z) - t'],
    ['mseLoss(tanh(z), t)', 'z', '2*(tanh(z) - t)*(1 - tanh(z)^2)'],
    ['log(1 + exp(z))', 'z', 'sigmoid(z)'],
    ['softplus(z)', 'z', 'sigmoid(z)'],
    ['logsumexp(x)', 'x', 'softmax(x)'],
    ['crossEntropy(z, t)', 'z', 'softmax(z) - t'],
    ['-sum(t * log(softmax(z)))', 'z', 'softmax(z)*sum(t) - t'],
    ['pow(x, 3) + sin(x)', 'x', '3*x^2 + cos(x)'],
    ['x * exp(-x)', 'x', '(1 - x) / exp(x)'],
  ])('%s, d/d%s = %s', (expr, wrt, want) => {
    const d = derive(expr, wrt);
    expect(d.expression).toBe(want);
    expect(d.proof.status).toBe('equal');
    expect(d.proof.maxDiff).toBeLessThan(1e-12);
    expect(d.engineMaxDiff).toBeLessThan(1e-12);
    // The printed form is in the language it was parsed from: it parses back to an equal expression.
    const vectors = d.raw.shape.length > 0 ? ['x', 'z', 't'] : [];
    const back = parseExpression(d.expression, vectors);
    expect(prove(back.expr, d.simplified, { sumsToOne: d.assumptions.length > 0 ? ['t'] : [] }).status).toBe('equal');
  });

  test('the derivative of t with respect to t in a cross-entropy uses Σt = 1 only when told', () => {
    expect(derive('crossEntropy(z, t)', 'z').assumptions).toEqual(['sum(t) = 1']);
    expect(derive('-sum(t * log(softmax(z)))', 'z').assumptions).toEqual([]);
  });

  test('steps show each op, its rule from the symbolic form, and the gradient it sends', () => {
    const d = derive('binaryCrossEntropy(sigmoid(z), t)', 'z');
    expect(d.steps.map((s) => s.op)).toEqual(['binaryCrossEntropy', 'sigmoid']);
    expect(d.steps[1]!.rule).toBe('y = σ(x), dy/dx = y·(1 − y) ⇒ dx = dy·(y·(1 − y))');
    expect(d.steps[1]!.result).toBe('sigmoid(z) - t');
    expect(d.latex).toBe('\\sigma\\left(z\\right) - t');
  });

  test('a derivative that cannot be simplified is printed as the rules built it, with a note, not an error', () => {
    // A user op whose derivative is another user op: the canonical form has an atom no public op can rebuild.
    const slope = defineUnary({ name: 'slope', rule: 'slope', forward: (x) => 2 * x, derivative: () => 2 });
    const f = defineUnary({ name: 'f', rule: 'f', forward: (x) => x * x, derivative: (x) => slope(x as never) });
    const z = symbol('z');
    const d = derive(S(f(A(S(f(A(z)))))), z);
    expect(d.note).toMatch(/^not simplified/);
    expect(d.expression).toBe('((1 * slope(f(z))) * slope(z))');
    expect(d.engineMaxDiff).toBeLessThan(1e-12);
  });

  test('a syntax error or an unknown variable is a typed error naming the position', () => {
    expect(() => derive('sigmoid(z', 'z')).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: derive: expected ')', got the end at position 10 of 'sigmoid(z']`);
    expect(() => derive('foo(z)', 'z')).toThrow(/unknown function 'foo'/);
    expect(() => derive('sigmoid(z)', 'y')).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: derive: wrt must name a symbol of the expression (z), got 'y']`);
  });
});

describe('prove', () => {
  const z = symbol('z');
  const t = symbol('t');
  test('ŷ − t: the chain of the seed neuron equals the residual', () => {
    const L = S(binaryCrossEntropy(A(S(sigmoid(A(z)))), A(t)));
    const dz = backwardSymbolic(L, [z]).grads.get(z.id)!;
    expect(prove(dz, S(sub(A(S(sigmoid(A(z)))), A(t)))).status).toBe('equal');
  });

  test('a rule broken on purpose (σ′ written as σ(1 + σ)) makes the proof of ŷ − t fail', () => {
    const broken = defineUnary({ name: 'sigmoid', rule: 'broken', forward: (x) => 1 / (1 + Math.exp(-x)), derivative: (_x, y) => mul(y, add(1, y)) });
    const L = S(binaryCrossEntropy(A(S(broken(A(z)))), A(t)));
    const dz = backwardSymbolic(L, [z]).grads.get(z.id)!;
    const verdict = prove(dz, S(sub(A(S(sigmoid(A(z)))), A(t))));
    expect(verdict.status).toBe('different');
    expect(verdict.maxDiff).toBeGreaterThan(0.1);
    // The same break patched into the shared sigmoid definition breaks derive's result as well.
    const op = sigmoid.op as { da: unknown };
    const saved = op.da;
    op.da = (_x: unknown, _b: unknown, y: never) => mul(y, add(1, y));
    try {
      const d = derive('binaryCrossEntropy(sigmoid(z), t)', 'z');
      expect(d.expression).not.toBe('sigmoid(z) - t');
      expect(prove(d.raw, S(sub(A(S(sigmoid(A(z)))), A(t)))).status).toBe('different');
    } finally {
      op.da = saved;
    }
    expect(derive('binaryCrossEntropy(sigmoid(z), t)', 'z').expression).toBe('sigmoid(z) - t');
  });

  test('"not proved" when canonical forms differ but the numbers agree (sin² + cos² = 1 is not in the normaliser)', () => {
    const p = parseExpression('sin(z)^2 + cos(z)^2');
    const verdict = prove(p.expr, S(symbol('one').kind === 'symbol' ? parseExpression('1').expr : z));
    expect(verdict.status).toBe('not proved');
    expect(verdict.maxDiff).toBeLessThan(1e-12);
  });

  test('different expressions are reported different', () => {
    expect(prove(S(sigmoid(A(z))), S(sub(1, A(S(sigmoid(A(z))))))).status).toBe('different');
  });
});

describe('the matrix chain of the seed network, derived from the matmul, add and broadcast rules', () => {
  test('Z = W·X + b: dX = Wᵀ·dZ, dW = dZ·Xᵀ, db = Σ_cols dZ; two layers: dZ₂ = (Ŷ − T)/m, dZ₁ = (W₂ᵀ·dZ₂) ⊙ σ′(Z₁)', () => {
    const X = symbol('X', ['d', 'm']);
    const W1 = symbol('W1', ['h', 'd']);
    const b1 = symbol('b1', ['h', 1]);
    const W2 = symbol('W2', [1, 'h']);
    const b2 = symbol('b2', [1, 1]);
    const T = symbol('T', [1, 'm']);
    const Z1 = S(add(A(S(matmul(A(W1), A(X)))), A(b1)));
    const A1 = S(sigmoid(A(Z1)));
    const Z2 = S(add(A(S(matmul(A(W2), A(A1)))), A(b2)));
    const Yhat = S(sigmoid(A(Z2)));
    const L = S(binaryCrossEntropy(A(Yhat), A(T)));
    const walk = backwardSymbolic(L, [W1, b1, W2, b2, X], { cuts: new Map([[Z2, 'Z2'], [Z1, 'Z1']]) });
    const names = { 'Ŷ': Yhat, A1 };
    const shown = (e: Sym): string => simplify(e, { names }).math;
    expect(walk.cuts.map((c) => `d${c.name} = ${shown(c.grad)}`)).toEqual(['dZ2 = (Ŷ − T) / m', 'dZ1 = (W2ᵀ·dZ2) ⊙ A1 ⊙ (1 − A1)']);
    const g = (v: Sym): string => shown(walk.grads.get(v.id)!);
    expect([g(W2), g(b2), g(W1), g(b1), g(X)]).toEqual(['dZ2·A1ᵀ', 'Σ_cols dZ2', 'dZ1·Xᵀ', 'Σ_cols dZ1', 'W1ᵀ·dZ1']);
    // Numerically: the cut gradient dZ2 is the derivative of the mean loss; proved and checked at random sizes.
    const dZ2 = walk.cuts[0]!.grad;
    expect(prove(dZ2, S(parseExpression('(Yhat - T) / m').expr)).status).not.toBe('equal'); // Yhat there is a bare symbol
    const want = S(mul(A(S(sub(A(Yhat), A(T)))), A(S(parseExpression('1 / m').expr))));
    expect(prove(dZ2, want).status).toBe('equal');
  });
});
