// abs: y = |x| (subgradient 0 at 0).
import { defineUnary, type UnaryFn } from './define.ts';
import { sign } from './sign.ts';

/**
 * Elementwise absolute value: `y = |x|`. At x = 0 the subgradient 0 is used (as PyTorch and JAX).
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { abs, tensor } from '@tapegrad/core';
 * console.log(abs(tensor([-2, 3])).toArray()); // [2, 3]
 * ```
 * @category Elementwise
 */
export const abs: UnaryFn = defineUnary({
  name: 'abs',
  forward: Math.abs,
  rule: 'y = |x|, dy/dx = sign(x) (subgradient 0 at x = 0, as PyTorch) ⇒ dx = dy·sign(x)',
  derivative: (x) => sign(x),
});
