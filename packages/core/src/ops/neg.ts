// neg: y = −x.
import { negLoop } from '../kernels/elementwise.ts';
import { defineUnary, type UnaryFn } from './define.ts';

/**
 * Elementwise negation: `y = −x`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { neg, tensor } from '@tapegrad/core';
 * console.log(neg(tensor([1, -2])).toArray()); // [-1, 2]
 * ```
 * @category Elementwise
 */
export const neg: UnaryFn = defineUnary({
  name: 'neg',
  forward: (x) => -x,
  instruction: 'neg',
  rule: 'y = −x, dy/dx = −1 ⇒ dx = −dy',
  derivative: () => -1,
  kernel: negLoop,
  // No raw form: a hand loop measured differentiable/raw 1.10 (256×256) and 1.00 (512×64), scripts/raw-backward-bench.ts.
});
