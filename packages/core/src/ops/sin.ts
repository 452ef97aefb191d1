// sin: y = sin x (its derivative uses cos).
import { defineUnary, type UnaryFn } from './define.ts';
import { cos } from './cos.ts';

/**
 * Elementwise sine: `y = sin x`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { sin, tensor } from '@tapegrad/core';
 * console.log(sin(tensor([0])).toArray()); // [0]
 * ```
 * @category Elementwise
 */
export const sin: UnaryFn = defineUnary({
  name: 'sin',
  forward: Math.sin,
  rule: 'y = sin x, dy/dx = cos x ⇒ dx = dy·cos x',
  derivative: (x) => cos(x),
});
