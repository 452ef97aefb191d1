// sub: y = a − b with broadcasting.
import { subLoop } from '../kernels/elementwise.ts';
import { defineBinary, type BinaryFn } from './define.ts';

/**
 * Elementwise difference with broadcasting: `y = a − b`.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The difference, in the broadcast shape.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @example
 * ```ts
 * import { sub, tensor } from '@tapegrad/core';
 * console.log(sub(tensor([5, 7]), 2).toArray()); // [3, 5]
 * ```
 * @category Elementwise
 */
export const sub: BinaryFn = defineBinary({
  name: 'sub',
  forward: (a, b) => a - b,
  instruction: 'sub',
  rule: 'y = a − b, ∂y/∂a = 1, ∂y/∂b = −1 ⇒ da = dy, db = −dy',
  da: () => 1,
  db: () => -1,
  kernel: subLoop,
  // No raw form: a hand loop measured differentiable/raw 1.03 (256×256) and 1.06 (512×64), scripts/raw-backward-bench.ts.
});
