// log1p: y = ln(1 + x), accurate for small x.
import { defineUnary, type UnaryFn } from './define.ts';
import { add } from './add.ts';
import { div } from './div.ts';

/**
 * Elementwise `y = ln(1 + x)`, accurate for small x (where `log(1 + x)` loses digits).
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { log1p, tensor } from '@tapegrad/core';
 * console.log(log1p(tensor([0])).toArray()); // [0]
 * ```
 * @category Elementwise
 */
export const log1p: UnaryFn = defineUnary({
  name: 'log1p',
  forward: Math.log1p,
  rule: 'y = ln(1 + x), dy/dx = 1/(1 + x) ⇒ dx = dy/(1 + x)',
  derivative: (x) => div(1, add(1, x)),
});
