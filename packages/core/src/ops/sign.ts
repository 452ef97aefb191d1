// sign: 1, −1 or 0 (no gradient).
import { defineUnary, type UnaryFn } from './define.ts';

/**
 * Elementwise sign: 1, −1 or 0 (NaN stays NaN). No gradient flows through it, so nothing is recorded.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { sign, tensor } from '@tapegrad/core';
 * console.log(sign(tensor([-3, 0, 2])).toArray()); // [-1, 0, 1]
 * ```
 * @category Elementwise
 */
export const sign: UnaryFn = defineUnary({
  name: 'sign',
  isNondifferentiable: true,
  forward: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x),
  rule: 'piecewise constant: no gradient',
  derivative: () => 0,
});
