// gt: 1 where a > b, else 0 (no gradient).
import { defineBinary, type BinaryFn } from './define.ts';

/**
 * Elementwise comparison `a > b` with broadcasting: 1 where it holds, else 0. No gradient flows
 * through it (it is piecewise constant), so nothing is recorded.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns 1/0 in the broadcast shape.
 * @example
 * ```ts
 * import { gt, tensor } from '@tapegrad/core';
 * console.log(gt(tensor([1, 2, 3]), 2).toArray()); // [0, 0, 1]
 * ```
 * @category Elementwise
 */
export const gt: BinaryFn = defineBinary({
  name: 'gt',
  isNondifferentiable: true,
  forward: (a, b) => (a > b ? 1 : 0),
  rule: 'piecewise constant: no gradient',
  da: () => 0,
  db: () => 0,
});
