// sqrt: y = √x.
import { defineUnary, type UnaryFn } from './define.ts';
import { div } from './div.ts';

/**
 * Elementwise square root: `y = √x`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { sqrt, tensor } from '@tapegrad/core';
 * console.log(sqrt(tensor([4, 9])).toArray()); // [2, 3]
 * ```
 * @category Elementwise
 */
export const sqrt: UnaryFn = defineUnary({
  name: 'sqrt',
  forward: Math.sqrt,
  rule: 'y = √x, dy/dx = 1/(2√x) = 1/(2y) ⇒ dx = dy/(2y) (reuses the output)',
  derivative: (_x, y) => div(0.5, y),
});
