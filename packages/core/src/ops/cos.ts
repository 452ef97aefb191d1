// cos: y = cos x (its derivative uses sin).
import { defineUnary, type UnaryFn } from './define.ts';
import { neg } from './neg.ts';
import { sin } from './sin.ts';

/**
 * Elementwise cosine: `y = cos x`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { cos, tensor } from '@tapegrad/core';
 * console.log(cos(tensor([0])).toArray()); // [1]
 * ```
 * @category Elementwise
 */
export const cos: UnaryFn = defineUnary({
  name: 'cos',
  forward: Math.cos,
  rule: 'y = cos x, dy/dx = −sin x ⇒ dx = −dy·sin x',
  derivative: (x) => neg(sin(x)),
});
