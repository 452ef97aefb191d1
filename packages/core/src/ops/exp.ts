import { defineUnary, type UnaryFn } from './define.ts';

/**
 * Elementwise exponential: `y = eˣ`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { exp, tensor } from '@tapegrad/core';
 * console.log(exp(tensor([0])).toArray()); // [1]
 * ```
 * @category Elementwise
 */
export const exp: UnaryFn = defineUnary({
  name: 'exp',
  forward: Math.exp,
  rule: 'y = eˣ, dy/dx = eˣ = y ⇒ dx = dy·y (reuses the output)',
  derivative: (_x, y) => y,
});
