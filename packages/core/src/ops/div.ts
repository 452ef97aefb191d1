import { defineBinary, type BinaryFn } from './define.ts';
import { neg } from './neg.ts';

/**
 * Elementwise quotient with broadcasting: `y = a / b`.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The quotient, in the broadcast shape.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @example
 * ```ts
 * import { div, tensor } from '@tapegrad/core';
 * console.log(div(tensor([2, 9]), tensor([4, 3])).toArray()); // [0.5, 3]
 * ```
 * @category Elementwise
 */
export const div: BinaryFn = defineBinary({
  name: 'div',
  forward: (a, b) => a / b,
  rule: 'y = a / b, ∂y/∂a = 1/b, ∂y/∂b = −a/b² = −y/b ⇒ da = dy/b, db = −dy·y/b',
  da: (_a, b) => div(1, b),
  db: (_a, b, y) => neg(div(y, b)),
});
