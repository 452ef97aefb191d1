// add: y = a + b with broadcasting.
import { addLoop } from '../kernels/elementwise.ts';
import { defineBinary, type BinaryFn } from './define.ts';

/**
 * Elementwise sum with broadcasting: `y = a + b`.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The sum, in the broadcast shape.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @example
 * ```ts
 * import { add, tensor } from '@tapegrad/core';
 * console.log(add(tensor([[1, 2], [3, 4]]), tensor([10, 20])).toArray()); // [[11, 22], [13, 24]]
 * ```
 * @category Elementwise
 */
export const add: BinaryFn = defineBinary({
  name: 'add',
  forward: (a, b) => a + b,
  instruction: 'add',
  rule: 'y = a + b, ∂y/∂a = 1, ∂y/∂b = 1 ⇒ da = dy, db = dy',
  da: () => 1,
  db: () => 1,
  kernel: addLoop,
  // No raw form: the rule hands dy on itself; a raw one measured differentiable/raw 1.00 (256×256), 0.99 (+ a bias row), 1.00 (512×64).
});
