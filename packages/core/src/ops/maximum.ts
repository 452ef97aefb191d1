// maximum: y = max(a, b) with broadcasting, ties split evenly.
import { eq } from './eq.ts';
import { gt } from './gt.ts';
import { add } from './add.ts';
import { defineBinary, type BinaryFn } from './define.ts';
import { mul } from './mul.ts';

/**
 * Elementwise maximum with broadcasting: `y = max(a, b)`.
 * At ties (a = b) the gradient is split evenly, half to each input, as PyTorch does: the mean of the
 * two one-sided subgradients, so `maximum(x, x)` has gradient 1.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The maximum, in the broadcast shape.
 * @example
 * ```ts
 * import { maximum, tensor } from '@tapegrad/core';
 * console.log(maximum(tensor([1, 5]), 3).toArray()); // [3, 5]
 * ```
 * @category Elementwise
 */
export const maximum: BinaryFn = defineBinary({
  name: 'maximum',
  forward: (a, b) => (a > b || a !== a ? a : b),
  rule: 'y = max(a, b), ∂y/∂a = [a > b] + ½[a = b], ∂y/∂b = [b > a] + ½[a = b] ⇒ da = dy·∂y/∂a, db = dy·∂y/∂b',
  da: (a, b) => add(gt(a, b), mul(0.5, eq(a, b))),
  db: (a, b) => add(gt(b, a), mul(0.5, eq(a, b))),
});
