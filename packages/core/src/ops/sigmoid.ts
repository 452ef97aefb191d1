import { defineUnary, type UnaryFn } from './define.ts';
import { mul } from './mul.ts';
import { sub } from './sub.ts';

/** σ(x) computed without overflow: for x < 0 the form eˣ/(1 + eˣ) never evaluates e^{|x|}. */
function stableSigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Elementwise logistic sigmoid: `y = σ(x) = 1 / (1 + e⁻ˣ)`, computed in a form that never overflows.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { sigmoid, tensor } from '@tapegrad/core';
 * console.log(sigmoid(tensor([0])).toArray()); // [0.5]
 * ```
 * @category Elementwise
 */
export const sigmoid: UnaryFn = defineUnary({
  name: 'sigmoid',
  forward: stableSigmoid,
  rule: 'y = σ(x) = 1/(1 + e⁻ˣ), dy/dx = σ(x)(1 − σ(x)) = y(1 − y) ⇒ dx = dy·y·(1 − y) (reuses the output)',
  derivative: (_x, y) => mul(y, sub(1, y)),
  // The same values as stableSigmoid: e^{−|x|} is e⁻ˣ for x ≥ 0 and eˣ below; a select, not a branch.
  kernel: (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const e = Math.exp(-Math.abs(v));
      y[i] = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
  },
  // y(1 − y) ∈ [0, 1/4] is finite, so dy = 0 already gives 0.
  rawBackward: (_x, y, dy, dx) => {
    for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * (y[i]! * (1 - y[i]!));
  },
});
