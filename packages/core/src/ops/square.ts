// square: y = x².
import { defineUnary, type UnaryFn } from './define.ts';
import { mul } from './mul.ts';

/**
 * Elementwise square: `y = x²`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { square, tensor } from '@tapegrad/core';
 * console.log(square(tensor([-2, 3])).toArray()); // [4, 9]
 * ```
 * @category Elementwise
 */
export const square: UnaryFn = defineUnary({
  name: 'square',
  forward: (x) => x * x,
  rule: 'y = x², dy/dx = 2x ⇒ dx = dy·2x',
  derivative: (x) => mul(2, x),
});
