// minimum: y = min(a, b) with broadcasting, ties split evenly.
import { eq } from './eq.ts';
import { lt } from './lt.ts';
import { add } from './add.ts';
import { defineBinary, type BinaryFn } from './define.ts';
import { mul } from './mul.ts';

/**
 * Elementwise minimum with broadcasting: `y = min(a, b)`. Ties split the gradient evenly, as in
 * {@link maximum}.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The minimum, in the broadcast shape.
 * @example
 * ```ts
 * import { minimum, tensor } from '@tapegrad/core';
 * console.log(minimum(tensor([1, 5]), 3).toArray()); // [1, 3]
 * ```
 * @category Elementwise
 */
export const minimum: BinaryFn = defineBinary({
  name: 'minimum',
  forward: (a, b) => (a < b || a !== a ? a : b),
  rule: 'y = min(a, b), ∂y/∂a = [a < b] + ½[a = b], ∂y/∂b = [b < a] + ½[a = b] ⇒ da = dy·∂y/∂a, db = dy·∂y/∂b',
  da: (a, b) => add(lt(a, b), mul(0.5, eq(a, b))),
  db: (a, b) => add(lt(b, a), mul(0.5, eq(a, b))),
});
